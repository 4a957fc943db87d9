"""Peer servers for Ringside's side-by-side benchmark: nginx, Hummingbird 2 (its
default set-up, and `hummingbird-nio` with NIO's event loop as Swift
concurrency's global executor), hyper 0.14, and two plain C servers of our own
(`c-uring`: io_uring, `c-epoll`: level-triggered epoll; bench/peers/c-*).

Each peer serves the same workload as Ringside:

    GET /v1/avatar -> 200, body = Sources/Workloads/Resources/avatar.json (3696 bytes)
    headers: content-type: application/json, engine: <peer>, location: /v1/avatar,
             date, content-length: 3696; HTTP/1.1 keep-alive; honours Connection: close

with one worker / one event-loop thread, listening on 127.0.0.1:PORT, in the
foreground as a single process that exits on SIGTERM.

    build_all(peers=None)  build what is missing (idempotent; quick when built)
    argv(peer, port)       -> (command, cleanup): run `command` in the foreground
                              (the benchmark prefixes `taskset -c 0`), then call cleanup()
    check(peer, port)      -> list of problems (empty when the peer is correct)

`python3 bench/peers.py [PEER ...]` builds the peers (all by default) and checks each with a handful of
requests (no load).  Stdlib only.
"""
import email.utils
import http.client
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent  # repo root
PEERS_DIR = ROOT / "bench" / "peers"
FIXTURE = ROOT / "Sources" / "Workloads" / "Resources" / "avatar.json"

NGINX_TEMPLATE = PEERS_DIR / "nginx" / "nginx.conf"
HB_PACKAGE = PEERS_DIR / "hummingbird-peer"
HB_BINARY = HB_PACKAGE / ".build" / "release" / "HummingbirdPeer"
HYPER_CRATE = PEERS_DIR / "hyper-peer"
HYPER_BINARY = HYPER_CRATE / "target" / "release" / "hyper-peer"

C_COMMON = PEERS_DIR / "c-common"
C_PEERS = {"c-uring": ["-luring"], "c-epoll": []}  # peer -> link flags
# The C peers' engine values are 8 characters, as "Ringside" is: same response length.
C_ENGINE = {"c-uring": "liburing", "c-epoll": "epoll(7)"}

PEERS = ["nginx", "hummingbird", "hummingbird-nio", "hyper", "c-uring", "c-epoll"]
ENGINE = {"nginx": "nginx", "hummingbird": "Hummingbird", "hummingbird-nio": "Hummingbird", "hyper": "hyper",
          **C_ENGINE}

# Debian packages behind the peers: nginx itself, and the vendored crates that
# hyper-peer builds against offline (/usr/share/cargo/registry).
NGINX_APT = ["nginx-light"]
HYPER_APT = ["librust-hyper-dev", "librust-tokio-dev", "librust-tokio-macros-dev"]
HYPER_CRATES = ["hyper-0.14", "tokio-1", "tokio-macros-"]
CARGO_REGISTRY = pathlib.Path("/usr/share/cargo/registry")


# ---------------------------------------------------------------- building

def _log(msg):
    print(f"[peers] {msg}", file=sys.stderr, flush=True)


def _tool(name, *fallbacks):
    found = shutil.which(name)
    if found:
        return found
    for f in fallbacks:
        if os.access(f, os.X_OK):
            return f
    raise RuntimeError(f"{name} not found (looked on PATH and in {', '.join(fallbacks)})")


def _nginx():
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


_apt_updated = False


def _apt_install(packages):
    global _apt_updated
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _apt_updated:
        subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
        _apt_updated = True
    _log("apt-get install " + " ".join(packages))
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *packages],
                   check=True, env=env, stdout=subprocess.DEVNULL)


def _newest_mtime(paths):
    newest = 0.0
    for p in paths:
        if p.is_dir():
            for f in p.rglob("*"):
                if f.is_file():
                    newest = max(newest, f.stat().st_mtime)
        elif p.exists():
            newest = max(newest, p.stat().st_mtime)
    return newest


def _up_to_date(binary, sources):
    return binary.exists() and binary.stat().st_mtime >= _newest_mtime(sources)


def build_nginx():
    if _nginx() is None:
        _apt_install(NGINX_APT)
    if _nginx() is None:
        raise RuntimeError("nginx is still missing after installing " + " ".join(NGINX_APT))


def build_hummingbird():
    if _up_to_date(HB_BINARY, [HB_PACKAGE / "Package.swift", HB_PACKAGE / "Sources"]):
        return
    swift = _tool("swift", "/opt/swift/usr/bin/swift")
    _log("swift build -c release (hummingbird-peer; a first build takes minutes)")
    t = time.monotonic()
    subprocess.run([swift, "build", "-c", "release", "--package-path", str(HB_PACKAGE)],
                   check=True, cwd=ROOT)
    os.utime(HB_BINARY)  # a no-op rebuild leaves the binary's mtime behind the sources
    _log(f"hummingbird-peer built in {time.monotonic() - t:.0f}s")


def build_hyper():
    have = [p.name for p in CARGO_REGISTRY.iterdir()] if CARGO_REGISTRY.is_dir() else []
    if not all(any(n.startswith(c) for n in have) for c in HYPER_CRATES):
        _apt_install(HYPER_APT)
    if _up_to_date(HYPER_BINARY, [HYPER_CRATE / "Cargo.toml", HYPER_CRATE / "src",
                                  HYPER_CRATE / ".cargo"]):
        return
    cargo = _tool("cargo", os.path.expanduser("~/.cargo/bin/cargo"), "/usr/bin/cargo")
    _log("cargo build --release --offline (hyper-peer)")
    t = time.monotonic()
    # cwd matters: cargo reads .cargo/config.toml (the Debian source replacement)
    # from the directory it runs in, not from the manifest's.
    subprocess.run([cargo, "build", "--release", "--offline"], check=True, cwd=HYPER_CRATE)
    os.utime(HYPER_BINARY)
    _log(f"hyper-peer built in {time.monotonic() - t:.0f}s")


def _c_binary(peer):
    return PEERS_DIR / peer / ".build" / peer


def build_c(peer):
    """One plain C peer: its server.c and the shared c-common, with the system cc."""
    binary = _c_binary(peer)
    sources = [PEERS_DIR / peer / "server.c", C_COMMON / "plainhttp.c"]
    if _up_to_date(binary, sources + [C_COMMON / "plainhttp.h"]):
        return
    binary.parent.mkdir(exist_ok=True)
    cc = _tool("cc", "/usr/bin/gcc")
    _log(f"cc -O2 ({peer})")
    subprocess.run([cc, "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-o", str(binary),
                    *map(str, sources), *C_PEERS[peer]], check=True)


def build_all(peers=None) -> None:
    """Builds `peers` (all by default) where they are missing or stale."""
    wanted = set(PEERS if peers is None else peers)
    if "nginx" in wanted:
        build_nginx()
    if "hyper" in wanted:
        build_hyper()
    if wanted & {"hummingbird", "hummingbird-nio"}:
        build_hummingbird()
    for peer in C_PEERS:
        if peer in wanted:
            build_c(peer)


# ---------------------------------------------------------------- running

def _nothing():
    pass


def _nginx_argv(port):
    nginx = _nginx()
    if nginx is None:
        raise RuntimeError("nginx is not installed: run build_all() first")
    prefix = tempfile.mkdtemp(prefix="ringside-nginx-")
    conf = (NGINX_TEMPLATE.read_text()
            .replace("@PORT@", str(port))
            .replace("@PREFIX@", prefix)
            .replace("@FIXTURE@", str(FIXTURE)))
    conf_path = os.path.join(prefix, "nginx.conf")
    with open(conf_path, "w") as f:
        f.write(conf)
    # -e stderr: the error log nginx opens before it has read the config.
    return ([nginx, "-p", prefix + "/", "-e", "stderr", "-c", conf_path],
            lambda: shutil.rmtree(prefix, ignore_errors=True))


def argv(peer: str, port: int):
    """The command that runs `peer` in the foreground on 127.0.0.1:port, and a
    cleanup callable to call after it has exited."""
    if peer == "nginx":
        return _nginx_argv(port)
    if peer == "hummingbird":
        return [str(HB_BINARY), "--port", str(port), "--fixture", str(FIXTURE)], _nothing
    if peer == "hummingbird-nio":
        return [str(HB_BINARY), "--port", str(port), "--fixture", str(FIXTURE), "--nio-executor"], _nothing
    if peer in C_PEERS:
        return [str(_c_binary(peer)), "--port", str(port), "--fixture", str(FIXTURE)], _nothing
    if peer == "hyper":
        return [str(HYPER_BINARY), "--port", str(port), "--fixture", str(FIXTURE)], _nothing
    raise ValueError(f"unknown peer {peer!r}; expected one of {PEERS}")


# ---------------------------------------------------------------- checking

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _check_response(resp, body, expected_engine, what):
    problems = []
    if resp.status != 200:
        problems.append(f"{what}: status {resp.status}, expected 200")
    if body != _fixture():
        problems.append(f"{what}: body differs from the fixture ({len(body)} bytes)")
    expected = {
        "content-type": "application/json",
        "engine": expected_engine,
        "location": "/v1/avatar",
        "content-length": str(len(_fixture())),
    }
    for name, value in expected.items():
        got = resp.getheader(name)
        if got != value:
            problems.append(f"{what}: header {name}: {got!r}, expected {value!r}")
    date = resp.getheader("date")
    if date is None:
        problems.append(f"{what}: no date header")
    else:
        try:
            email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            problems.append(f"{what}: date header not an HTTP date: {date!r}")
    return problems


_FIXTURE_BYTES = None


def _fixture():
    global _FIXTURE_BYTES
    if _FIXTURE_BYTES is None:
        _FIXTURE_BYTES = FIXTURE.read_bytes()
    return _FIXTURE_BYTES


def _read_until_eof(sock, timeout):
    sock.settimeout(timeout)
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return b"".join(chunks), False
        if not data:
            return b"".join(chunks), True
        chunks.append(data)


PIPELINED = 16  # bench/pipeline.lua's depth


def _read_responses(sock, count, timeout):
    """Reads `count` responses (framed by content-length); returns their (status, body) pairs."""
    sock.settimeout(timeout)
    data, answers = b"", []
    while len(answers) < count:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            head = data[:end].decode("latin-1").split("\r\n")
            fields = dict(line.split(":", 1) for line in head[1:] if ":" in line)
            length = int({k.strip().lower(): v for k, v in fields.items()}.get("content-length", 0))
            if len(data) >= end + 4 + length:
                answers.append((int(head[0].split()[1]), data[end + 4:end + 4 + length]))
                data = data[end + 4 + length:]
                continue
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return answers


def _check_answers(port, writes, count, what):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        for index, chunk in enumerate(writes):
            if index:
                time.sleep(0.05)  # a separate segment, read separately
            s.sendall(chunk)
        answers = _read_responses(s, count, 5)
    if len(answers) != count:
        return [f"{what}: {len(answers)} answers, expected {count}"]
    if any(status != 200 or body != _fixture() for status, body in answers):
        return [f"{what}: an answer is not 200 with the fixture"]
    return []


def _process_tree(pid):
    """(threads of pid, pids of its children)."""
    threads = len(os.listdir(f"/proc/{pid}/task"))
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == pid:
                children.append(int(entry))
    return threads, children


def check(peer, port, info=None) -> list[str]:
    """Start `peer` on `port`, make a few requests, SIGTERM it. Returns the
    problems found (empty when the peer is correct). `info`, if a dict, gets
    a few facts (threads, start and stop times)."""
    info = {} if info is None else info
    problems = []
    engine = ENGINE[peer]
    cmd, cleanup = argv(peer, port)
    errlog = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errlog)

    def stderr_tail():
        errlog.seek(0)
        return errlog.read().decode(errors="replace")[-800:].strip()

    try:
        t0 = time.monotonic()
        while True:
            if proc.poll() is not None:
                return [f"exited with {proc.returncode} before listening: {stderr_tail()}"]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() - t0 > 20:
                    return ["did not listen within 20s"]
                time.sleep(0.05)
        info["start_s"] = round(time.monotonic() - t0, 2)

        # 1, 2: two requests on one keep-alive connection.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/v1/avatar")
        resp = conn.getresponse()
        body = resp.read()
        problems += _check_response(resp, body, engine, "request 1")
        if resp.will_close or resp.getheader("connection", "").lower() == "close":
            problems.append("request 1: server closes a keep-alive connection")
        first_sock = conn.sock
        conn.request("GET", "/v1/avatar")
        resp = conn.getresponse()
        body = resp.read()
        problems += _check_response(resp, body, engine, "request 2 (same connection)")
        if conn.sock is None or conn.sock is not first_sock:
            problems.append("request 2 did not reuse the first connection")

        info["threads"], children = _process_tree(proc.pid)
        if children:
            problems.append(f"has child processes {children}: CPU would not be all in one PID")

        # 3: Connection: close gets its response, then the server closes.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            raw, eof = _read_until_eof(s, 5)
        if not eof:
            problems.append("Connection: close: server did not close the connection within 5s")
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 200"):
            problems.append(f"Connection: close: status line {lines[0]!r}")
        if rest != _fixture():
            problems.append(f"Connection: close: body differs from the fixture ({len(rest)} bytes)")
        conn_hdr = [l.split(":", 1)[1].strip().lower() for l in lines[1:]
                    if l.lower().startswith("connection:")]
        info["close_header"] = conn_hdr[0] if conn_hdr else None  # hyper 0.14 sends none

        # 4, 5: what the pipelined scenario sends (16 requests in one write) gets 16
        # answers; a request split over two writes gets its answer.
        request = b"GET /v1/avatar HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        problems += _check_answers(port, [request * PIPELINED], PIPELINED, f"{PIPELINED} pipelined")
        problems += _check_answers(port, [request[:7], request[7:]], 1, "a request in two writes")

        # 6: SIGTERM, with one idle keep-alive connection still open.
        t1 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
            info["stop_s"] = round(time.monotonic() - t1, 2)
        except subprocess.TimeoutExpired:
            problems.append("did not exit within 10s of SIGTERM")
        conn.close()
    except (OSError, http.client.HTTPException) as e:
        problems.append(f"{type(e).__name__}: {e}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        cleanup()
        errlog.close()
    return problems


def main():
    peers = sys.argv[1:] or PEERS
    build_all(peers)
    failed = 0
    for peer in peers:
        info = {}
        problems = check(peer, free_port(), info)
        facts = (f"threads={info.get('threads')} start={info.get('start_s')}s "
                 f"stop={info.get('stop_s')}s close-header={info.get('close_header')}")
        if problems:
            failed += 1
            print(f"{peer:12} FAIL  {facts}")
            for p in problems:
                print(f"    - {p}")
        else:
            print(f"{peer:12} ok    {facts}")
    print(f"{len(peers) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
