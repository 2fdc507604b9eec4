"""Find processes by an environment marker they inherited (Linux ``/proc``).

Eight engineers run test suites side by side on one machine, so "any facedesk process"
would name other people's work: a test tags the processes it starts with a unique value
in their environment (children inherit it) and looks only for that.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def can_scan() -> bool:
    return (PROC / "self" / "environ").is_file()


def tagged(name: str, value: str) -> dict[int, str]:
    """pid -> command line of every live process (not this one) with ``name=value`` set."""
    needle = f"{name}={value}".encode()
    found: dict[int, str] = {}
    me = os.getpid()
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            # A zombie's environ reads empty: it holds no memory and its parent reaps it.
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        found[int(entry.name)] = cmdline.strip()
    return found


def wait_until_gone(name: str, value: str, timeout_s: float) -> dict[int, str]:
    """The tagged processes still alive after ``timeout_s`` (empty when all are gone)."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = tagged(name, value)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)


def kill_all(pids: dict[int, str]) -> None:
    """Clean up after a failed check, so the failure does not leave load behind."""
    for pid in pids:
        with contextlib.suppress(OSError):  # already gone
            os.kill(pid, signal.SIGKILL)


def ancestors() -> set[int]:
    """This process and its ancestors: a session started from a tagged one is not a leftover."""
    found: set[int] = set()
    pid = os.getpid()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            stat = (PROC / str(pid) / "stat").read_text()
        except OSError:
            break
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def leftovers(name: str, value: str, timeout_s: float) -> dict[int, str]:
    """Tagged processes still alive after ``timeout_s``, but for this process's own
    multiprocessing resource tracker (it exits when this interpreter closes its pipe)."""
    deadline = time.monotonic() + timeout_s
    mine = ancestors()
    while True:
        left = {
            pid: cmd
            for pid, cmd in tagged(name, value).items()
            if pid not in mine and "multiprocessing.resource_tracker" not in cmd
        }
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.2)
