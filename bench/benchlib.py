"""Shared pieces of Ringside's benchmarks: pinned servers, wrk runs, CPU accounting.

Every measurement runs the server on one core and wrk on another, and reads the
server's utime+stime from /proc/PID/stat around each run, so results are
reported both as req/s and as server CPU microseconds per request.
"""
import dataclasses
import datetime
import json
import os
import pathlib
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "Sources" / "Workloads" / "Resources" / "avatar.json"
PIPELINE_SCRIPT = str(ROOT / "bench" / "pipeline.lua")


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One load shape; `idle` > 0: hold that many idle connections and read RSS instead of running wrk."""
    name: str
    connections: int = 100
    script: str | None = None
    headers: tuple = ()
    idle: int = 0
    path: str = "/v1/avatar"
    # Arguments for the server (after `serve ...`) and for wrk.
    server_args: tuple = ()
    wrk_args: tuple = ()


SCENARIOS = [
    Scenario("keep-alive c=100", 100),
    Scenario("keep-alive c=1000", 1000),
    Scenario("churn c=100 (Connection: close)", 100, headers=("Connection: close",)),
    Scenario("pipelined 16, c=100", 100, script=PIPELINE_SCRIPT),
    Scenario("10,000 idle keep-alive connections", idle=10_000),
]


def pick(scenarios, spec):
    """`all`, or comma-separated indexes into `scenarios`."""
    if spec == "all":
        return list(scenarios)
    return [scenarios[int(i)] for i in spec.split(",")]


def cpu_ticks(pid):
    """utime + stime of a process (all its threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)


def rss_kib(pid, peak=False):
    key = "VmHWM" if peak else "VmRSS"
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class PinnedServer:
    """A server command started on `cpu` (a taskset CPU list), ready once it accepts on `port`."""

    def __init__(self, argv, port, cpu, ready_timeout=30):
        self.port = port
        self.cpu = cpu
        self.process = subprocess.Popen(
            ["taskset", "-c", str(cpu)] + argv,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + ready_timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not listen on {port}")

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


UNITS = {"us": 1.0, "ms": 1000.0, "s": 1_000_000.0}


def _micros(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    return float(match.group(1)) * UNITS[match.group(2)]


def seconds(duration):
    """A wrk duration (`5s`, `1m`, `500ms`) in seconds."""
    match = re.fullmatch(r"([\d.]+)(ms|s|m|h)?", duration)
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]


def parse_wrk(output):
    """requests, req/s, p50 and p99 (µs) and error count from `wrk --latency` output."""
    result = {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_us": _micros(re.search(r"\s50%\s+(\S+)", output).group(1)),
        "p99_us": _micros(re.search(r"\s99%\s+(\S+)", output).group(1)),
        "errors": 0,
    }
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        result["errors"] += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        result["errors"] += int(non_2xx.group(1))
    return result


def wrk_argv(url, connections, duration, client_cpu, script=None, headers=(), threads=1, wrk="wrk", extra_args=()):
    """wrk pinned to `client_cpu` (a taskset CPU list), with latency percentiles; `extra_args` as they are."""
    argv = ["taskset", "-c", str(client_cpu), wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}", "--latency"]
    argv += list(extra_args)
    for header in headers:
        argv += ["-H", header]
    if script:
        argv += ["-s", script]
    return argv + [url]


def core_times(cpu):
    """(busy, total) jiffies of one CPU from /proc/stat; softirq and other
    processes' work on it included, which per-process CPU time misses."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                fields = [int(x) for x in line.split()[1:]]
                idle = fields[3] + fields[4]  # idle + iowait
                total = sum(fields[:8])  # guest time is already in user
                return total - idle, total
    return 0, 0


def core_busy(before, after):
    busy, total = after[0] - before[0], after[1] - before[1]
    return busy / total if total else float("nan")


def run_wrk(server, url, connections, duration, client_cpu, script=None, headers=(), threads=1, wrk="wrk",
            extra_args=()):
    """One wrk run against `server` (wrk pinned to `client_cpu`, a taskset CPU list);
    adds server CPU µs per request and RSS."""
    argv = wrk_argv(url, connections, duration, client_cpu, script, headers, threads, wrk, extra_args)
    before = cpu_ticks(server.pid)
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cores = [int(c) for c in (getattr(server, "cpu", None), client_cpu) if str(c).isdigit()]
    cores_before = {c: core_times(c) for c in cores}
    started = time.monotonic()
    output = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    wall = time.monotonic() - started
    cores_after = {c: core_times(c) for c in cores}
    client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = cpu_ticks(server.pid)
    result = parse_wrk(output)
    result["cpu_us_per_req"] = (after - before) * 1_000_000 / CLK_TCK / max(result["requests"], 1)
    # How busy each side's core was: which of the two was the limit.
    result["server_core_busy"] = (after - before) / CLK_TCK / wall
    result["client_core_busy"] = (client_after.ru_utime + client_after.ru_stime
                                  - client_before.ru_utime - client_before.ru_stime) / wall
    # Each core as a whole (/proc/stat): ksoftirqd and other work on it included.
    result["cores_busy"] = {str(c): core_busy(cores_before[c], cores_after[c]) for c in cores}
    result["rss_kib"] = rss_kib(server.pid)
    result["raw"] = output
    return result


def median(values):
    return statistics.median(values) if values else float("nan")


def spread(values):
    """Median, min-max and interquartile range of one figure over the rounds."""
    values = sorted(values)
    if not values:
        nan = float("nan")
        return {"median": nan, "min": nan, "max": nan, "q1": nan, "q3": nan, "n": 0}
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else values * 3
    return {"median": statistics.median(values), "min": values[0], "max": values[-1], "q1": q1, "q3": q3,
            "n": len(values)}


def per_round_ratios(base_runs, runs, key):
    """runs[i][key] / base_runs[i][key] for each round i: the ratio within one round, same host state."""
    return [r[key] / b[key] for b, r in zip(base_runs, runs) if b[key]]


def show(stats, digits=2, scale=1.0, unit=""):
    """`median [min–max]` of a spread(), for tables."""
    f = f"{{:,.{digits}f}}"
    return (f"{f.format(stats['median'] * scale)}{unit} "
            f"[{f.format(stats['min'] * scale)}–{f.format(stats['max'] * scale)}]")


def rotated(names, round_number):
    """The round's running order: rotated by one each round, so no server always follows the same one."""
    k = round_number % len(names)
    return names[k:] + names[:k]


def ringside_argv(binary, port, engine, workers=1, extra=()):
    return [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--engine", engine, *extra]


def measure(argv, port, scenario, server_cpu, client_cpu, duration, check=None):
    """Starts `argv` fresh pinned to `server_cpu`, runs `check(port)` (raises if the server
    answers wrongly), then one run of `scenario`; returns the result with peak RSS."""
    server = PinnedServer(argv, port, server_cpu)
    try:
        if check:
            check(port)
        if scenario.idle:
            import idle_connections
            before = rss_kib(server.pid)
            sockets = idle_connections.open_idle(port, scenario.idle)
            time.sleep(1)
            result = {"idle": len(sockets), "rss_before_kib": before, "rss_kib": rss_kib(server.pid)}
            for s in sockets:
                s.close()
        else:
            result = run_wrk(server, f"http://127.0.0.1:{port}{scenario.path}", scenario.connections, duration,
                             client_cpu, scenario.script, scenario.headers, extra_args=scenario.wrk_args)
        result["peak_rss_kib"] = rss_kib(server.pid, peak=True)
        return result
    finally:
        server.stop()


def describe(result):
    """One line for the progress log."""
    if "idle" in result:
        return f"RSS {result['rss_kib'] / 1024:.1f} MiB with {result['idle']} idle connections"
    return (f"{result['rps']:,.0f} req/s, {result['cpu_us_per_req']:.2f} µs/req, "
            f"p99 {result['p99_us']:.0f} µs, errors {result['errors']}")


def stamp():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def write_json(path, payload):
    """Writes `payload` to `path`; returns the path to print (relative to the repository when inside it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1))
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port, path="/v1/avatar", method="GET"):
    """One HTTP/1.1 request with Connection: close; returns (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"{method} {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def bootstrap(packages=()):
    """Installs the system tools the benchmarks need (make bench-deps), and
    re-runs the calling script inside bench/.venv with `packages` from PyPI."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    venv = os.path.join(root, "bench", ".venv")
    python = os.path.join(venv, "bin", "python3")
    if os.environ.get("RINGSIDE_BENCH_VENV") == "1":
        return
    subprocess.run(["make", "-s", "-C", root, "bench-deps"], check=True)
    if packages:
        if not os.path.exists(python):
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        probe = "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(p) is None for p in sys.argv[1:]))"
        missing = subprocess.run([python, "-c", probe, *packages], capture_output=True).returncode
        if missing:
            subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True)
        os.environ["RINGSIDE_BENCH_VENV"] = "1"
        os.execv(python, [python, *sys.argv])


def raise_fd_limit():
    """Raises this process's soft descriptor limit to the hard one (children inherit it)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def socket_errors(output):
    """wrk's socket error counts by kind (connect, read, write, timeout), and non-2xx/3xx answers."""
    counts = dict.fromkeys(["connect", "read", "write", "timeout"], 0)
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if match:
        counts = dict(zip(counts, map(int, match.groups())))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    counts["non_2xx"] = int(non_2xx.group(1)) if non_2xx else 0
    return counts


def tcp_counters():
    """Machine-wide TCP counters: PassiveOpens (connections the listeners completed)
    from /proc/net/snmp, ListenOverflows and ListenDrops from /proc/net/netstat."""
    counters = {}
    for path, prefix in (("/proc/net/snmp", "Tcp:"), ("/proc/net/netstat", "TcpExt:")):
        with open(path) as f:
            lines = [line.split() for line in f if line.startswith(prefix)]
        counters.update(zip(lines[0][1:], map(int, lines[1][1:])))
    return {key: counters[key] for key in ("PassiveOpens", "ListenOverflows", "ListenDrops")}


def percentile(values, fraction):
    """The `fraction` quantile of `values` (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))]
