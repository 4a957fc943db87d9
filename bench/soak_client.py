"""The misbehaving half of bench/soak: a client process that keeps a server busy
with everything wrk does not send.

One main loop picks operations at random: invalid requests (each must get
its 4xx/5xx and a close), connections aborted halfway through a request or
reset before reading their responses, pipelined bursts, chunked and
Content-Length POSTs followed by a GET, over-long request lines and bodies.
Beside it, a few threads play slow clients (a head trickling in, a stalled
body, a connection that never speaks) that the server must time out.

Runs until SIGTERM or SIGINT, then prints its counters as one JSON line:
{"requests": N, "ok": {kind: n}, "errors": {kind: n}, "examples": {kind: [..]}}.

    python3 bench/soak_client.py --port P [--header-timeout 2] [--body-timeout 2] [--idle-timeout 4]

Also imported by bench/soak for the final correctness check (`final_check`).
"""
import argparse
import json
import random
import signal
import socket
import struct
import threading
import time

HOST = "127.0.0.1"

GET = b"GET /v1/avatar HTTP/1.1\r\nHost: soak\r\n\r\n"
GET_NOPE = b"GET /nope HTTP/1.1\r\nHost: soak\r\n\r\n"

# (name, bytes, expected status); every one must be answered and then closed.
INVALID = [
    ("cl+te", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: 5\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("two-cl", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
    ("cl-negative", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: -1\r\n\r\n", 400),
    ("cl-plus", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: +5\r\n\r\nhello", 400),
    ("cl-underscore", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: 1_0\r\n\r\n", 400),
    ("cl-overflow", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
    ("chunk-size-zz", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"zz\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk-no-crlf", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhelloXX0\r\n\r\n", 400),
    ("no-host", b"GET /v1/avatar HTTP/1.1\r\n\r\n", 400),
    ("two-hosts", b"GET /v1/avatar HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("space-before-colon", b"GET /v1/avatar HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("obs-fold", b"GET /v1/avatar HTTP/1.1\r\nHost: soak\r\nX-Folded: a\r\n b\r\n\r\n", 400),
    ("bad-field-name", b"GET /v1/avatar HTTP/1.1\r\nHost: soak\r\nBad(Name): x\r\n\r\n", 400),
    ("nul-in-value", b"GET /v1/avatar HTTP/1.1\r\nHost: soak\r\nX-Nul: a\x00b\r\n\r\n", 400),
    ("no-version", b"GET /v1/avatar\r\nHost: soak\r\n\r\n", 400),
    ("two-spaces", b"GET  /v1/avatar HTTP/1.1\r\nHost: soak\r\n\r\n", 400),
    ("te-gzip", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    ("long-target", b"GET /" + b"a" * 9216 + b" HTTP/1.1\r\nHost: soak\r\n\r\n", 414),
    ("body-too-large", b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: 2000000\r\n\r\n", 413),
    ("expect-teapot", b"GET /v1/avatar HTTP/1.1\r\nHost: soak\r\nExpect: teapot\r\n\r\n", 417),
]


class Stats:
    """Counters shared by the threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.ok = {}
        self.errors = {}
        self.examples = {}

    def sent(self, n=1):
        with self.lock:
            self.requests += n

    def good(self, kind):
        with self.lock:
            self.ok[kind] = self.ok.get(kind, 0) + 1

    def bad(self, kind, detail=""):
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            examples = self.examples.setdefault(kind, [])
            if len(examples) < 5:
                examples.append(detail[:300])

    def as_dict(self):
        with self.lock:
            return {"requests": self.requests, "ok": dict(self.ok), "errors": dict(self.errors),
                    "examples": dict(self.examples)}


class Closed(Exception):
    """The peer closed (or reset) before a complete response."""


def connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def reset(s):
    """Close with SO_LINGER {1, 0}: the kernel sends RST."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


class Reader:
    """Reads HTTP/1.1 responses (content-length framed) from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            raise Closed("reset")
        if not chunk:
            raise Closed("eof")
        self.buffer += chunk

    def response(self, head_only=False):
        """(status, {lower-name: value}, body). Raises Closed or socket.timeout."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > 65536:
                raise ValueError("no end of head in 64 KiB")
            self._fill()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            raise ValueError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if head_only or 100 <= status < 200 or status in (204, 304):
            return status, headers, b""
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def at_eof(self, timeout):
        """True if the peer closes (FIN or RST) within `timeout` with nothing more sent."""
        if self.buffer:
            return False
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except (socket.timeout, TimeoutError):
            return False


def says_close(headers):
    return "close" in [t.strip().lower() for t in headers.get("connection", "").split(",")]


class Chaos:
    def __init__(self, port, fixture, header_timeout, body_timeout, idle_timeout, seed=None):
        self.port = port
        self.fixture = fixture
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.idle_timeout = idle_timeout
        self.stats = Stats()
        self.stop = threading.Event()
        self.random = random.Random(seed)

    # -- checks --------------------------------------------------------------

    def expect_avatar(self, reader, kind):
        status, headers, body = reader.response()
        if status != 200 or body != self.fixture or headers.get("content-type") != "application/json":
            self.stats.bad(f"{kind}:bad-avatar", f"status {status} {headers} {len(body)} bytes")
            return False
        return True

    # -- operations (main loop) ----------------------------------------------

    def op_invalid(self):
        name, data, status = self.random.choice(INVALID)
        with connect(self.port) as s:
            s.sendall(data)
            self.stats.sent()
            reader = Reader(s)
            try:
                got, headers, body = reader.response()
            except Closed as e:
                self.stats.bad("invalid:no-response", f"{name}: {e}")
                return
            if got != status:
                self.stats.bad("invalid:wrong-status", f"{name}: {got}, expected {status}")
            elif not says_close(headers):
                self.stats.bad("invalid:no-connection-close", f"{name}: {headers}")
            elif not reader.at_eof(3):
                self.stats.bad("invalid:not-closed", name)
            else:
                self.stats.good("invalid")

    def op_abort_half(self):
        s = connect(self.port)
        s.sendall(GET[: self.random.randint(1, len(GET) - 2)])
        reset(s)
        self.stats.good("abort-half-request")

    def op_abort_response(self):
        s = connect(self.port)
        n = self.random.randint(1, 32)
        s.sendall(GET * n)
        self.stats.sent(n)
        if self.random.random() < 0.5:
            try:  # wait for the first bytes: reset mid-response
                s.settimeout(2)
                s.recv(1)
            except OSError:
                pass
        reset(s)
        self.stats.good("abort-mid-response")

    def op_pipelined(self):
        n = self.random.randint(2, 32)
        paths = [GET_NOPE if self.random.random() < 0.15 else GET for _ in range(n)]
        with connect(self.port) as s:
            s.sendall(b"".join(paths))
            self.stats.sent(n)
            reader = Reader(s)
            for request in paths:
                if request is GET:
                    if not self.expect_avatar(reader, "pipelined"):
                        return
                else:
                    status, _, _ = reader.response()
                    if status != 404:
                        self.stats.bad("pipelined:bad-404", f"status {status}")
                        return
        self.stats.good("pipelined")

    def op_chunked_post(self):
        chunks = b""
        for _ in range(self.random.randint(1, 20)):
            size = self.random.randint(1, 2000)
            ext = b";ext=1" if self.random.random() < 0.3 else b""
            chunks += b"%x%s\r\n" % (size, ext) + b"c" * size + b"\r\n"
        trailer = b"X-Trailer: 1\r\n" if self.random.random() < 0.5 else b""
        data = (b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunks + b"0\r\n" + trailer + b"\r\n" + GET)
        self._post_then_get(data, "chunked-post")

    def op_length_post(self):
        body = b"b" * self.random.randint(0, 8192)
        data = b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: %d\r\n\r\n" % len(body) + body + GET
        self._post_then_get(data, "length-post")

    def _post_then_get(self, data, kind):
        with connect(self.port) as s:
            # Sometimes in two writes, split anywhere.
            if self.random.random() < 0.5:
                cut = self.random.randint(1, len(data) - 1)
                s.sendall(data[:cut])
                time.sleep(0.001)
                s.sendall(data[cut:])
            else:
                s.sendall(data)
            self.stats.sent(2)
            reader = Reader(s)
            status, _, _ = reader.response()
            if status != 405:
                self.stats.bad(f"{kind}:not-405", f"status {status}")
                return
            if self.expect_avatar(reader, kind):
                self.stats.good(kind)

    OPERATIONS = [  # (weight, method name)
        (4, "op_invalid"),
        (2, "op_abort_half"),
        (2, "op_abort_response"),
        (2, "op_pipelined"),
        (2, "op_chunked_post"),
        (1, "op_length_post"),
    ]

    def main_loop(self):
        names = [name for weight, name in self.OPERATIONS for _ in range(weight)]
        while not self.stop.is_set():
            name = self.random.choice(names)
            try:
                getattr(self, name)()
            except Closed as e:
                self.stats.bad(f"{name[3:]}:closed", str(e))
            except (socket.timeout, TimeoutError):
                self.stats.bad(f"{name[3:]}:timeout")
            except ConnectionRefusedError as e:
                self.stats.bad("connect-refused", str(e))
                time.sleep(0.1)
            except OSError as e:
                self.stats.bad(f"{name[3:]}:{type(e).__name__}", str(e))
            except ValueError as e:
                self.stats.bad(f"{name[3:]}:malformed", str(e))

    # -- slow clients (threads) ----------------------------------------------

    def _wait_for_close(self, s, started, deadline, kind, want_status):
        """Waits until the server answers `want_status` (None: nothing at all) and closes."""
        reader = Reader(s)
        while time.time() < deadline and not self.stop.is_set():
            s.settimeout(max(0.05, min(0.5, deadline - time.time())))
            try:
                if want_status is None:
                    try:
                        data = s.recv(1)
                    except ConnectionResetError:
                        data = b""
                    if data:
                        self.stats.bad(f"{kind}:sent-data", repr(data))
                    else:
                        self.stats.good(kind)
                    return
                status, headers, _ = reader.response()
                if status != want_status:
                    self.stats.bad(f"{kind}:wrong-status", f"{status}")
                elif reader.at_eof(3):
                    self.stats.good(kind)
                else:
                    self.stats.bad(f"{kind}:not-closed")
                return
            except (socket.timeout, TimeoutError):
                continue
            except Closed as e:
                self.stats.bad(f"{kind}:closed-without-{want_status}", str(e))
                return
        if not self.stop.is_set():
            self.stats.bad(f"{kind}:not-timed-out", f"still open after {time.time() - started:.0f} s")

    def slowloris(self):
        while not self.stop.is_set():
            try:
                with connect(self.port) as s:
                    started = time.time()
                    s.sendall(b"GET /v1/avatar HTTP/1.1\r\nHost: soak\r\n")
                    self.stats.sent()
                    deadline = time.time() + self.header_timeout + 5
                    trickle = b"X-Slow: " + b"s" * 1000
                    reader_done = False
                    i = 0
                    while not reader_done and time.time() < deadline and not self.stop.is_set():
                        s.settimeout(0.3)
                        try:
                            peek = s.recv(1, socket.MSG_PEEK)
                            reader_done = True  # answered (or closed): read it below
                            del peek
                        except (socket.timeout, TimeoutError):
                            try:
                                s.sendall(trickle[i % len(trickle): i % len(trickle) + 1])
                                i += 1
                            except OSError:
                                reader_done = True
                        except ConnectionResetError:
                            reader_done = True
                    self._wait_for_close(s, started, time.time() + 3, "slowloris", 408)
            except OSError as e:
                self.stats.bad("slowloris:error", str(e))
                time.sleep(0.5)

    def stalled_body(self):
        while not self.stop.is_set():
            try:
                with connect(self.port) as s:
                    started = time.time()
                    s.sendall(b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: 100\r\n\r\n0123456789")
                    self.stats.sent()
                    self._wait_for_close(s, started, time.time() + self.body_timeout + 5, "stalled-body", 408)
            except OSError as e:
                self.stats.bad("stalled-body:error", str(e))
                time.sleep(0.5)

    def silent(self):
        while not self.stop.is_set():
            try:
                with connect(self.port) as s:
                    started = time.time()
                    self._wait_for_close(s, started, started + self.idle_timeout + 5, "silent-connection", None)
            except OSError as e:
                self.stats.bad("silent-connection:error", str(e))
                time.sleep(0.5)

    def run(self, slow=True):
        threads = [threading.Thread(target=self.main_loop, daemon=True)]
        if slow:
            threads += [threading.Thread(target=f, daemon=True)
                        for f in (self.slowloris, self.slowloris, self.stalled_body, self.silent)]
        for t in threads:
            t.start()
        return threads


def final_check(port, fixture):
    """A short list of must-pass exchanges; returns a list of failures (empty when all good)."""
    failures = []

    def exchange(name, data, check):
        try:
            with connect(port) as s:
                s.sendall(data)
                reader = Reader(s)
                problem = check(reader)
                if problem:
                    failures.append(f"{name}: {problem}")
        except Exception as e:  # noqa: BLE001 - any failure is a failed check
            failures.append(f"{name}: {type(e).__name__}: {e}")

    def avatar(reader):
        status, headers, body = reader.response()
        if status != 200 or body != fixture or headers.get("content-type") != "application/json":
            return f"status {status}, {len(body)} bytes, {headers}"
        if headers.get("content-length") != str(len(fixture)):
            return f"content-length {headers.get('content-length')}"
        return None

    def pipelined(reader):
        for i in range(20):
            problem = avatar(reader)
            if problem:
                return f"#{i}: {problem}"
        return None

    def not_found(reader):
        status, headers, body = reader.response()
        json.loads(body)
        return None if status == 404 and headers.get("content-type") == "application/json" else f"status {status}"

    def method_not_allowed(reader):
        status, headers, _ = reader.response()
        if status != 405 or "GET" not in headers.get("allow", ""):
            return f"status {status} {headers}"
        return avatar(reader)

    def bad_request(reader):
        status, headers, _ = reader.response()
        if status != 400 or not says_close(headers):
            return f"status {status} {headers}"
        return None if reader.at_eof(3) else "not closed after 400"

    exchange("GET /v1/avatar", GET, avatar)
    exchange("20 pipelined GETs", GET * 20, pipelined)
    exchange("GET /nope", GET_NOPE, not_found)
    exchange("POST /v1/avatar + GET",
             b"POST /v1/avatar HTTP/1.1\r\nHost: soak\r\nContent-Length: 11\r\n\r\nhello world" + GET,
             method_not_allowed)
    exchange("two spaces in the request line", b"GET  /v1/avatar HTTP/1.1\r\nHost: soak\r\n\r\n", bad_request)
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--fixture", required=True)
    parser.add_argument("--header-timeout", type=float, default=10)
    parser.add_argument("--body-timeout", type=float, default=10)
    parser.add_argument("--idle-timeout", type=float, default=15)
    parser.add_argument("--no-slow", action="store_true", help="no slow-client threads")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    with open(args.fixture, "rb") as f:
        fixture = f.read()
    chaos = Chaos(args.port, fixture, args.header_timeout, args.body_timeout, args.idle_timeout, args.seed)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    threads = chaos.run(slow=not args.no_slow)
    while not done.wait(0.5):
        pass
    chaos.stop.set()
    for t in threads:
        t.join(10)
    print(json.dumps(chaos.stats.as_dict()), flush=True)


if __name__ == "__main__":
    main()
