"""Watch a process tree at the system-call level: network use and files it leaves behind.

A Python-level guard (patching ``socket``) cannot see what native libraries do on their
own threads: onnxruntime's telemetry sent its DNS queries that way. ``strace -f`` sees
every thread of every process. Standard library only: ``packaging/smoke_test.py`` runs
the same checks on the frozen bundle with the build machine's Python.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

# Families that never leave the machine: Unix sockets, and netlink (talks to the kernel).
LOCAL_FAMILIES = frozenset({"AF_UNIX", "AF_LOCAL", "AF_NETLINK"})
# Reading these means a host name is being resolved (glibc's resolver and NSS files).
RESOLVER_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/host.conf", "/etc/gai.conf")
TRACE = "trace=network,openat"

_CALL = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)$")
_FAMILY = re.compile(r"sa_family=(AF_\w+)")
_INET = re.compile(r'inet_addr\("([\d.]+)"\)')
_INET6 = re.compile(r'inet_pton\(AF_INET6,\s*"([0-9a-fA-F:.]+)"')
_SENDS = frozenset({"connect", "sendto", "sendmsg", "sendmmsg"})


def strace_unavailable() -> str | None:
    """Why strace cannot watch a process here, or None when it can."""
    exe = shutil.which("strace")
    if exe is None:
        return "strace is not installed (Debian: apt-get install strace; .ci/run installs it)"
    try:
        done = subprocess.run(
            [exe, "-f", "-qq", "-e", TRACE, "-o", os.devnull, "true"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"strace does not run: {exc}"
    if done.returncode != 0:  # e.g. ptrace forbidden (seccomp, yama ptrace_scope=3)
        return f"strace cannot trace here: {done.stderr.strip()[:300]}"
    return None


def strace_command(log: Path, cmd: Sequence[str]) -> list[str]:
    """``cmd`` under ``strace -f``, every thread and child process, into ``log``."""
    exe = shutil.which("strace") or "strace"
    return [exe, "-f", "-qq", "-s", "64", "-e", TRACE, "-o", str(log), *cmd]


def _loopback(family: str, args: str) -> bool:
    if family == "AF_INET":
        addr = _INET.search(args)
        return addr is not None and addr.group(1).startswith("127.")
    if family == "AF_INET6":
        addr6 = _INET6.search(args)
        return addr6 is not None and addr6.group(1) in ("::1", "::ffff:127.0.0.1")
    return False


def network_violations(trace: str) -> list[str]:
    """Lines of a strace log that reach beyond this machine or resolve a name."""
    bad: list[str] = []
    for line in trace.splitlines():
        m = _CALL.match(line)
        if m is None:
            continue
        call, args = m.group(2), m.group(3)
        if call == "openat":
            if any(f'"{name}"' in args for name in RESOLVER_FILES):
                bad.append(f"name lookup (resolver file): {line}")
            continue
        if "htons(53)" in args:
            bad.append(f"DNS query: {line}")
            continue
        if call not in _SENDS:
            continue
        family = _FAMILY.search(args)
        if family is None:
            continue  # a send on a socket connected before: that connect was checked
        if family.group(1) in LOCAL_FAMILIES or _loopback(family.group(1), args):
            continue
        bad.append(f"{call} to {family.group(1)}: {line}")
    return bad


def snapshot(root: Path) -> set[Path]:
    """Every file and folder under ``root`` (relative paths)."""
    return {p.relative_to(root) for p in root.rglob("*")}


def outside(paths: Iterable[Path], allowed: Iterable[Path]) -> list[str]:
    """Paths that are neither one of ``allowed`` folders, inside one, nor a parent of one."""
    keep = [Path(a) for a in allowed]
    return sorted(
        str(p) for p in paths if not any(p == a or a in p.parents or p in a.parents for a in keep)
    )


def clean_environment(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A new user's environment: HOME, the XDG folders and TMPDIR in ``home``; nothing
    of this process's (in particular no ORT_* switch that ``import facedesk`` set here)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_RUNTIME_DIR": str(home / "run"),
        "TMPDIR": str(home / "tmp"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    if "FACEDESK_TEST_SESSION" in os.environ:  # so the suite's leftover check sees it
        env["FACEDESK_TEST_SESSION"] = os.environ["FACEDESK_TEST_SESSION"]
    env.update(extra or {})
    return env
