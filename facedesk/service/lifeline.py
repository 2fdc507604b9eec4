"""Helper processes die with the process that started them, however it dies.

A spawned analysis process blocks on its call queue, and it holds both ends of that
pipe, so it never sees EOF when the parent is killed (SIGKILL, a crash, the OOM killer):
before this module, orphans with a few hundred MB each stayed alive for good. Two guards:

- **Linux**: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``. The kernel kills the child the moment
  its parent goes, even while dlib's binding holds the GIL for seconds (no Python thread
  could run then). The "parent" is the *thread* that forked the child, so the caller
  must start its processes from a thread that outlives them.
- **Everywhere** (Windows, macOS, and Linux as a second line): a daemon thread that
  checks every ``WATCH_INTERVAL_S`` that the parent is still alive and ends the process
  when it is not. It needs the GIL, so a long native call delays it until the call returns.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Final

WATCH_INTERVAL_S: Final = 0.25
_PR_SET_PDEATHSIG: Final = 1  # <linux/prctl.h>
_EXIT_ORPHANED: Final = 70  # never seen by anyone: the parent is gone


def die_with_parent(parent_pid: int) -> None:
    """Call first thing in a child process: it ends when ``parent_pid`` does."""
    if sys.platform.startswith("linux"):
        _set_pdeathsig()
    alive = _liveness_check(parent_pid)
    if not alive():  # it died before the guard was armed
        os._exit(_EXIT_ORPHANED)
    threading.Thread(
        target=_watch, args=(alive,), name="facedesk-parent-watch", daemon=True
    ).start()


def _set_pdeathsig() -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        # The watchdog still runs; say why the fast path is missing.
        err = ctypes.get_errno()
        print(f"facedesk: prctl(PR_SET_PDEATHSIG) failed: {os.strerror(err)}", file=sys.stderr)


def _watch(alive: Callable[[], bool]) -> None:
    stopped = threading.Event()  # never set: a sleep that does not spin
    while not stopped.wait(WATCH_INTERVAL_S):
        if not alive():
            # No cleanup: the parent that would read our results is gone, and atexit
            # handlers could block on the very pipes that orphaned us.
            os._exit(_EXIT_ORPHANED)


def _liveness_check(parent_pid: int) -> Callable[[], bool]:
    """A cheap "is the parent still there?" for the watchdog's loop."""
    if sys.platform == "win32":
        return _windows_handle_check(parent_pid)
    # POSIX: an orphan is re-parented (to init or a subreaper), so getppid() changes;
    # unlike kill(pid, 0), a recycled pid cannot fool it.
    return lambda: os.getppid() == parent_pid


def _windows_handle_check(pid: int) -> Callable[[], bool]:
    # A handle opened now keeps naming this process even after its pid is reused.
    synchronize, wait_timeout = 0x00100000, 0x00000102
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    handle = kernel32.OpenProcess(synchronize, False, pid)
    if not handle:
        return lambda: False  # already gone
    return lambda: bool(kernel32.WaitForSingleObject(handle, 0) == wait_timeout)
