#!/usr/bin/env python3
"""Checks a seccomp profile for Ringside; with --run, runs the server under it.

    check.py PROFILE                 structure only (plain Python, no binary)
    check.py PROFILE --run RINGSIDE  also: RINGSIDE under PROFILE serves with
                                     io_uring, and under PROFILE without the
                                     io_uring calls `--engine auto` falls back to
                                     epoll and says so (needs python3-seccomp)

The structure rules are those the container runtimes enforce, plus Ringside's:
the plain OCI form (no Docker-only `includes`/`excludes`, which containerd
ignores), deny by default, no syscall given two unconditional actions (libseccomp
refuses that filter), and io_uring_setup/enter/register allowed unconditionally.
"""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

IO_URING = {"io_uring_enter", "io_uring_register", "io_uring_setup"}
ACTIONS = {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
           "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG"}
OPS = {"SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"}
ARCHITECTURES = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}
NAME = re.compile(r"^[a-z0-9_]+$")


def structure_errors(profile):
    errors = []
    if not isinstance(profile, dict):
        return ["the profile is not a JSON object"]
    unknown = set(profile) - {"defaultAction", "defaultErrnoRet", "architectures", "syscalls"}
    if unknown:
        errors.append(f"unknown top-level keys {sorted(unknown)} (archMap is Docker-only: use architectures)")
    if profile.get("defaultAction") != "SCMP_ACT_ERRNO":
        errors.append(f"defaultAction is {profile.get('defaultAction')!r}, not SCMP_ACT_ERRNO (deny by default)")
    if not isinstance(profile.get("defaultErrnoRet", 1), int):
        errors.append("defaultErrnoRet is not an integer")
    arches = profile.get("architectures")
    if not isinstance(arches, list) or not arches or not set(arches) <= ARCHITECTURES:
        errors.append(f"architectures must be a non-empty subset of {sorted(ARCHITECTURES)}: {arches!r}")
    rules = profile.get("syscalls")
    if not isinstance(rules, list) or not rules:
        return errors + ["syscalls is not a non-empty list"]
    unconditional = {}  # name -> (action, errnoRet) of its rule without args
    for number, rule in enumerate(rules):
        where = f"syscalls[{number}]"
        if not isinstance(rule, dict):
            errors.append(f"{where} is not an object")
            continue
        extra = set(rule) - {"names", "action", "errnoRet", "args", "comment"}
        if extra:
            errors.append(f"{where}: unknown keys {sorted(extra)} (includes/excludes are Docker-only)")
        names = rule.get("names")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) and NAME.match(n) for n in names):
            errors.append(f"{where}: names must be a non-empty list of syscall names: {names!r}")
            continue
        if len(set(names)) != len(names):
            errors.append(f"{where}: a name is listed twice")
        action = rule.get("action")
        if action not in ACTIONS:
            errors.append(f"{where}: unknown action {action!r}")
        if "errnoRet" in rule and (action != "SCMP_ACT_ERRNO" or not isinstance(rule["errnoRet"], int)):
            errors.append(f"{where}: errnoRet is an integer, for SCMP_ACT_ERRNO only")
        args = rule.get("args") or []
        for arg in args:
            if (not isinstance(arg, dict) or set(arg) - {"index", "value", "valueTwo", "op"}
                    or not isinstance(arg.get("index"), int) or not 0 <= arg["index"] <= 5
                    or not isinstance(arg.get("value"), int) or arg.get("op") not in OPS):
                errors.append(f"{where}: bad argument condition {arg!r}")
        if args:
            continue
        outcome = (action, rule.get("errnoRet"))
        for name in names:
            if name in unconditional and unconditional[name] != outcome:
                errors.append(f"{where}: {name} already has action {unconditional[name][0]} (libseccomp refuses)")
            unconditional.setdefault(name, outcome)
    for name in sorted(IO_URING):
        if unconditional.get(name, (None,))[0] != "SCMP_ACT_ALLOW":
            errors.append(f"{name} is not allowed unconditionally: --engine auto would fall back to epoll")
    return errors


def load_filter(profile):
    """Installs PROFILE on this process, as runc does (unknown names skipped)."""
    import seccomp  # python3-seccomp (Debian), libseccomp's own binding

    default_errno = profile.get("defaultErrnoRet", 1)
    def action(rule):
        name = rule["action"]
        if name == "SCMP_ACT_ERRNO":
            return seccomp.ERRNO(rule.get("errnoRet", default_errno))
        return {"SCMP_ACT_ALLOW": seccomp.ALLOW, "SCMP_ACT_LOG": seccomp.LOG, "SCMP_ACT_TRAP": seccomp.TRAP,
                "SCMP_ACT_KILL": seccomp.KILL, "SCMP_ACT_KILL_THREAD": seccomp.KILL,
                "SCMP_ACT_KILL_PROCESS": seccomp.KILL_PROCESS}[name]
    ops = {"SCMP_CMP_" + op: getattr(seccomp, op) for op in ("EQ", "NE", "LT", "LE", "GT", "GE", "MASKED_EQ")}
    seccomp_filter = seccomp.SyscallFilter(defaction=seccomp.ERRNO(default_errno))
    for arch in profile["architectures"]:
        try:
            seccomp_filter.add_arch(getattr(seccomp.Arch, arch.removeprefix("SCMP_ARCH_")))
        except (RuntimeError, ValueError, OSError):
            pass  # the native one is there already
    for rule in profile["syscalls"]:
        conditions = [seccomp.Arg(a["index"], ops[a["op"]], a["value"], a.get("valueTwo", 0))
                      for a in rule.get("args") or []]
        for name in rule["names"]:
            try:
                seccomp_filter.add_rule(action(rule), name, *conditions)
            except (RuntimeError, ValueError, OSError):
                pass  # a name this libseccomp or arch lacks: runc skips it too
    seccomp_filter.load()


class Server:
    """RINGSIDE serve on a free loopback port, under PROFILE."""

    def __init__(self, ringside, profile_path, engine):
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        command = [sys.executable, os.path.abspath(__file__), "--exec", profile_path, ringside, "serve",
                   "--host", "127.0.0.1", "--port", "0", "--workers", "1", "--engine", engine]
        self.process = subprocess.Popen(command, stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL)
        self.port = None
        deadline = time.monotonic() + 10
        while self.port is None and time.monotonic() < deadline and self.process.poll() is None:
            found = re.search(rb"Listening on http://127\.0\.0\.1:(\d+)\n", self.read(self.out))
            self.port = int(found.group(1)) if found else None
            time.sleep(0.05)

    @staticmethod
    def read(file):
        file.seek(0)
        return file.read()

    def stop(self):
        """SIGTERM; returns (exit status, stderr)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = "killed after 10 s"
        return status, self.read(self.err).decode(errors="replace")


def run_errors(ringside, profile):
    errors = []
    blocked = dict(profile, syscalls=[dict(r, names=[n for n in r["names"] if n not in IO_URING])
                                      for r in profile["syscalls"]])
    blocked["syscalls"] = [r for r in blocked["syscalls"] if r["names"]]
    with tempfile.TemporaryDirectory() as folder:
        paths = {}
        for label, content in (("profile", profile), ("without io_uring", blocked)):
            paths[label] = os.path.join(folder, label.replace(" ", "-") + ".json")
            with open(paths[label], "w") as file:
                json.dump(content, file)
        cases = [("profile", "uring", False), ("profile", "auto", False), ("without io_uring", "auto", True)]
        for label, engine, expect_fallback in cases:
            case = f"{label}, --engine {engine}"
            server = Server(ringside, paths[label], engine)
            if server.port is None:
                status, stderr = server.stop()
                errors.append(f"{case}: no Listening line (exit {status}): {stderr.strip()}")
                continue
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/v1/avatar", timeout=5) as answer:
                    body = answer.read()
                    if answer.status != 200 or not body.startswith(b"["):
                        errors.append(f"{case}: GET /v1/avatar answered {answer.status}, {len(body)} bytes")
            except OSError as error:
                errors.append(f"{case}: GET /v1/avatar failed: {error}")
            status, stderr = server.stop()
            if status != 0:
                errors.append(f"{case}: exit status {status} after SIGTERM: {stderr.strip()}")
            fallback = [line for line in stderr.splitlines() if "using epoll" in line]
            if expect_fallback and (len(fallback) != 1 or "io_uring is blocked" not in fallback[0]):
                errors.append(f"{case}: expected one line saying io_uring is blocked, using epoll: {stderr!r}")
            if not expect_fallback and fallback:
                errors.append(f"{case}: fell back to epoll: {fallback[0]}")
            print(f"seccomp: {case}: {'epoll, said so' if expect_fallback else 'io_uring'}; served; exit {status}")
    return errors


def main(argv):
    if len(argv) >= 3 and argv[0] == "--exec":
        with open(argv[1]) as file:
            load_filter(json.load(file))
        os.execv(argv[2], argv[2:])
    if len(argv) not in (1, 3) or (len(argv) == 3 and argv[1] != "--run"):
        sys.exit(__doc__)
    with open(argv[0]) as file:
        profile = json.load(file)
    errors = structure_errors(profile)
    if not errors and len(argv) == 3:
        errors = run_errors(argv[2], profile)
    for error in errors:
        print(f"{argv[0]}: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"{argv[0]}: ok" + (" (structure and a real run)" if len(argv) == 3 else " (structure)"))


if __name__ == "__main__":
    main(sys.argv[1:])
