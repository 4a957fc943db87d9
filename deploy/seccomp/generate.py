#!/usr/bin/env python3
"""Writes deploy/seccomp/ringside.json from Docker's default seccomp profile.

    deploy/seccomp/generate.py DOCKER_DEFAULT_JSON > deploy/seccomp/ringside.json

DOCKER_DEFAULT_JSON is moby's profiles/seccomp/default.json (Debian 12 ships it in
golang-github-docker-docker-dev: `apt-get download` it and `dpkg-deb -x` it).

The result is that profile resolved for Ringside's containers, in the plain OCI
form that Docker, containerd and CRI-O all read the same way:
- Docker's `includes`/`excludes` conditions are resolved (containerd, which
  Kubernetes mostly runs, ignores them and would apply every rule at once):
  rules that need an added capability are dropped (Ringside's pods drop all
  capabilities), the kernel is taken to be >= 6.0, and only x86-64 and arm64
  (with their 32-bit modes) are kept, as a flat `architectures` list.
- io_uring_setup, io_uring_enter and io_uring_register are allowed: Docker's
  default has blocked them since Docker 25 and containerd's since 2.0.
"""

import json
import sys

IO_URING = ["io_uring_enter", "io_uring_register", "io_uring_setup"]
# Docker's names for the architectures kept, and their libseccomp names.
ARCHES = {"amd64", "x32", "x86", "arm64", "arm"}
ARCHITECTURES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
MIN_KERNEL = (6, 0)


def applies(rule):
    """Whether a Docker rule holds for an unprivileged container on the kept arches."""
    includes = rule.get("includes") or {}
    excludes = rule.get("excludes") or {}
    if includes.get("caps"):
        return False
    if "minKernel" in includes:
        wanted = tuple(int(part) for part in includes["minKernel"].split("."))
        if wanted > MIN_KERNEL:
            return False
    if includes.get("arches") and not ARCHES & set(includes["arches"]):
        return False
    if excludes.get("arches") and ARCHES <= set(excludes["arches"]):
        return False
    return True  # excluded capabilities are ones the container does not have


def resolve(docker):
    rules = []
    for rule in docker["syscalls"]:
        if not applies(rule):
            continue
        flat = {"names": sorted(rule["names"]), "action": rule["action"]}
        if "errnoRet" in rule:
            flat["errnoRet"] = rule["errnoRet"]
        if rule.get("args"):
            flat["args"] = rule["args"]
        rules.append(flat)
    # io_uring joins the first unconditional allow list; nothing else may name it.
    for rule in rules:
        rule["names"] = [name for name in rule["names"] if name not in IO_URING]
    rules = [rule for rule in rules if rule["names"]]
    allow = next(r for r in rules if r["action"] == "SCMP_ACT_ALLOW" and "args" not in r)
    allow["names"] = sorted(allow["names"] + IO_URING)
    return {
        "defaultAction": docker["defaultAction"],
        "defaultErrnoRet": docker.get("defaultErrnoRet", 1),
        "architectures": ARCHITECTURES,
        "syscalls": rules,
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py DOCKER_DEFAULT_JSON > ringside.json")
    with open(sys.argv[1]) as source:
        docker = json.load(source)
    json.dump(resolve(docker), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
