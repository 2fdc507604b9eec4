"""Analysing one file, on a thread of this process or in a spawned analysis process.

Processes, because dlib-bin's Python binding keeps the GIL while dlib runs: two threads
ran HOG and the ResNet at 0.93x the speed of one (bench/INDEX_RESULTS.md). The dlib models
stay per thread (``facedesk.engine.dlib_models``). A process killed by a native crash
costs only the file it was analysing (``AnalysisProcessCrashed``); the pool is replaced
and the batch goes on.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from facedesk.service import lifeline
from facedesk.service.context import ServiceContext
from facedesk.service.file_results import IndexOptions
from facedesk.service.index_faces import PreparedIndex, SourceInfo, prepare_index
from facedesk.service.working_image import decode_file_bytes

POLL_S: Final = 0.05  # how often a waiting stage looks at the stop flag


@dataclass(frozen=True)
class FileJob:
    """One file read and hashed, on its way to analysis (picklable: it may go to a process)."""

    path: Path
    eid: str | None
    source: SourceInfo
    data: bytes
    sha256: str  # of data: hashed once, by the reader


def prepare_job(
    ctx: ServiceContext, collection_id: str, job: FileJob, options: IndexOptions
) -> PreparedIndex:
    """Decode at the working resolution and analyse one file; no database access."""
    image = decode_file_bytes(job.data, sha256=job.sha256)
    return prepare_index(ctx, collection_id, image, options.request(job.eid), job.source)


# --- in the analysis process ----------------------------------------------------------------

_PROCESS_CTX: ServiceContext | None = None


def _process_init(detector: str, store_thumbnails: bool, parent_pid: int) -> None:
    global _PROCESS_CTX
    lifeline.die_with_parent(parent_pid)  # first: model loading takes seconds
    from facedesk.engine.dlib_models import prepare_worker_process

    prepare_worker_process(detector)
    # No database in the analysis process: prepare_index never opens one.
    _PROCESS_CTX = ServiceContext(
        database_url="sqlite://", detector=detector, store_thumbnails=store_thumbnails
    )


def _process_prepare(collection_id: str, job: FileJob, options: IndexOptions) -> PreparedIndex:
    assert _PROCESS_CTX is not None, "analysis process was not initialised"
    return prepare_job(_PROCESS_CTX, collection_id, job, options)


def _process_ready() -> None:
    """A no-op task: submitting it makes the pool start a process."""


# --- in the indexing process ----------------------------------------------------------------


class AnalysisProcessCrashed(RuntimeError):
    """The process analysing a file died (a native crash); the batch goes on."""


class ProcessesUnavailable(RuntimeError):
    """Analysis processes cannot start here; the pipeline analyses on its own threads."""


class AnalysisPool:
    """``workers`` spawned processes; a pool broken by a native crash is replaced."""

    def __init__(self, workers: int, detector: str, store_thumbnails: bool) -> None:
        self._args = (workers, detector, store_thumbnails)
        self.workers, self.store_thumbnails = workers, store_thumbnails
        self._lock = threading.Lock()
        # Processes are forked from this one thread, which outlives them (see _new).
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="facedesk-spawner")
        self._pool = self._new()
        self._worked = False  # a pool that never returned a result cannot start here

    def _new(self) -> ProcessPoolExecutor:
        # A child dies with the thread that forked it (PR_SET_PDEATHSIG), and submit()
        # forks on demand in whichever pipeline thread calls it; those end before the pool.
        return self._spawner.submit(self._start).result()

    def _start(self) -> ProcessPoolExecutor:
        workers, detector, thumbs = self._args
        # spawn, not fork: the parent has threads (Qt's, SQLite's, this pipeline's).
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_process_init,
            initargs=(detector, thumbs, os.getpid()),
        )
        # submit() forks on demand; fork every process here, on the spawner, instead.
        for _ in range(workers):
            pool.submit(_process_ready)
        return pool

    def prepare(
        self,
        collection_id: str,
        job: FileJob,
        options: IndexOptions,
        stopped: Callable[[], bool],
    ) -> PreparedIndex | None:
        """The prepared image, or None when the run stopped while it was analysed."""
        with self._lock:
            pool = self._pool
        try:
            future = pool.submit(_process_prepare, collection_id, job, options)
            while True:
                try:
                    prepared = future.result(timeout=POLL_S)
                    self._worked = True
                    return prepared
                except FuturesTimeout:
                    if stopped():
                        future.cancel()
                        return None
        except BrokenProcessPool as exc:
            if not self._worked:
                # The processes died before any result: they cannot start in this
                # interpreter (e.g. a __main__ they cannot re-import). Not a file's fault.
                raise ProcessesUnavailable(str(exc)) from exc
            with self._lock:
                if self._pool is pool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = self._new()
            raise AnalysisProcessCrashed(
                f"the analysis process crashed on this file ({exc})"
            ) from exc

    def shutdown(self) -> None:
        with self._lock:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._spawner.shutdown(wait=True)  # only now: its children have exited


# --- started before the batch is known ------------------------------------------------------


def default_workers() -> int:
    """One analysis thread per core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def start_analysis_early(file_count: int, options: IndexOptions, store_thumbnails: bool) -> None:
    """Start the analysis processes a batch of ``file_count`` files will want, now.

    For a caller that knows a batch is coming but has work to do first (the ``index``
    command opens the database and checks the collection: about 1.4 s of CPU on one
    core). ``run_pipeline`` takes the processes if its batch fits them (same number,
    same thumbnail setting); see ``start_early``.
    """
    local = options.local_analysis
    n_workers = max(1, options.workers or default_workers())
    remote = n_workers - 1 if local else n_workers
    if remote < 1 or (local and file_count <= 1):
        return
    from facedesk.engine.versions import default_model_version, detector_for

    start_early(remote, detector_for(default_model_version(), options.detector), store_thumbnails)


_early_lock = threading.Lock()
_early: AnalysisPool | None = None
_exit_hook: list[bool] = []  # registered once


def start_early(workers: int, detector: str, store_thumbnails: bool) -> None:
    """Start ``workers`` analysis processes now, for a batch that will ask for them.

    An analysis process needs about 2 s of CPU to import and load its models before its
    first image; ``facedesk index`` spends about 1.4 s opening the database and checking
    the collection before its batch starts, with the second core idle. Started here, the
    two overlap. The pipeline takes the pool (``take_early``) when its size and
    thumbnail setting match; otherwise, or if no batch comes, it is shut down (at exit
    at the latest). ``detector`` only chooses which detector model is loaded ahead: the
    processes analyse with whatever detector each request names.
    """
    global _early
    with _early_lock:
        if _early is not None or workers < 1:
            return
        _early = AnalysisPool(workers, detector, store_thumbnails)
        if not _exit_hook:
            _exit_hook.append(True)
            atexit.register(discard_early)


def take_early(workers: int, store_thumbnails: bool) -> AnalysisPool | None:
    """The pool ``start_early`` started, if it fits this batch; None otherwise (a pool
    that does not fit is shut down)."""
    global _early
    with _early_lock:
        pool, _early = _early, None
    if pool is None:
        return None
    if pool.workers == workers and pool.store_thumbnails == store_thumbnails:
        return pool
    pool.shutdown()
    return None


def discard_early() -> None:
    """Shut down a pool started early that no batch took."""
    global _early
    with _early_lock:
        pool, _early = _early, None
    if pool is not None:
        pool.shutdown()
