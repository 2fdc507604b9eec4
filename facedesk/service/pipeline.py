"""The indexing pipeline: read ahead, analyse on every core, one writer committing per image.

Stages, each on its own thread(s), joined by bounded queues:

1. **reader** (1 thread): per file, ``stat``, the skip-unchanged check (a read-only
   query) and ``read_bytes``; skipped and unreadable files become results at once. It
   runs at most ``2 * workers`` files ahead, so reading overlaps analysis without
   holding a whole folder in memory.
2. **workers** (``workers`` threads, default one per core): decode at the working
   resolution (``WORKING_FACE_PX``), then detection, landmarks, descriptors, planning
   and thumbnails (``prepare_index``). No write. Worker 0 does this on its own thread;
   each other worker hands the file's bytes to a spawned process and waits for the
   picklable ``PreparedIndex``. Processes, because dlib-bin's Python binding keeps the
   GIL while dlib runs: two threads ran HOG and the ResNet at 0.93x the speed of one
   (bench/INDEX_RESULTS.md). The dlib models stay per thread
   (``facedesk.engine.dlib_models``). A process killed by a native crash costs only the
   file it was analysing (an error result); the pool is replaced and the batch goes on.
   The reader also answers files whose image + ExternalImageId were indexed before
   (sha256 of the bytes) without analysing them.
3. **writer** (1 thread): ``commit_index`` for each prepared image as it arrives, one
   transaction per image (all its faces or none), so SQLite sees one writer and the
   workers never wait for the write lock.

Results come out in completion order; every file yields exactly one event unless the
run is cancelled. Cancel: no new file is read, analysed or committed once the token is
set; an image whose commit had begun is committed whole (and reported), the others are
not written at all. Work in flight in dlib cannot be interrupted, so the generator
returns after at most one image's analysis per worker. Closing the generator early
(``break`` in the caller) cancels the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import multiprocessing
import os
import queue
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from facedesk.core import ids
from facedesk.core.errors import ClientError
from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.service import lifeline
from facedesk.service.context import ServiceContext
from facedesk.service.index_faces import (
    IndexOutcome,
    PreparedIndex,
    SourceInfo,
    commit_index,
    existing_outcome,
    prepare_index,
)
from facedesk.service.work_claims import claim_image, release_job

if TYPE_CHECKING:
    from facedesk.service.indexing import FileResult, IndexOptions

log = logging.getLogger(__name__)

# Decode so that Rekognition's minimum face still spans this many pixels: the HOG
# window (~72 px) finds it without upsampling and the descriptor's 150 px chip is
# taken from at least 80 px of real face. A 12 Mpx photo (minimum face 111 px)
# is analysed at 0.72 of its size; anything up to ~2 Mpx is kept as it is.
WORKING_FACE_PX: Final = 80.0
_POLL_S: Final = 0.05


def default_workers() -> int:
    """One analysis thread per core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class _Job:
    path: Path
    eid: str | None
    source: SourceInfo
    data: bytes
    sha256: str  # of data: hashed once, by the reader


@dataclass(frozen=True)
class _Prepared:
    job: _Job
    prepared: PreparedIndex


_DONE: Final = object()


class NotARegularFileError(OSError):
    """A FIFO, socket or device named like a photo: reading it could block forever."""


def source_info(path: Path) -> SourceInfo:
    """Size and mtime of a regular file; folders, FIFOs and devices are refused."""
    st = path.stat()
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"{path} is a folder, not an image")
    if not stat.S_ISREG(st.st_mode):
        raise NotARegularFileError(f"{path} is not a regular file (a pipe, socket or device)")
    return SourceInfo(str(path), st.st_size, st.st_mtime)


def largest_first(files: Sequence[Path]) -> list[Path]:
    """Files by size, largest first (unreadable ones first: they fail at once).

    Workers pull one file at a time, so the batch ends when the last file does: a big
    photo taken last keeps one core busy while the others wait. Starting with the largest
    (longest-processing-time-first scheduling) leaves the small ones to fill the gaps;
    on the 24 dev photos the 29-face Solvay scan otherwise comes last, alone.
    """

    def size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return -1

    sizes = {path: size(path) for path in files}
    return sorted(files, key=lambda p: -sizes[p])


def error_result(path: Path, eid: str | None, exc: BaseException) -> FileResult:
    """A file's failure as a result; the batch goes on."""
    from facedesk.service.indexing import FileResult

    if isinstance(exc, ClientError):
        return FileResult(
            str(path), "error", external_image_id=eid, error_code=exc.code, message=exc.message
        )
    if isinstance(exc, OSError):
        return FileResult(
            str(path),
            "error",
            external_image_id=eid,
            error_code=type(exc).__name__,
            message=exc.strerror or str(exc),
        )
    log.error("indexing %s failed", path, exc_info=exc)
    return FileResult(
        str(path),
        "error",
        external_image_id=eid,
        error_code="InternalServerError",
        message=f"{type(exc).__name__}: {exc}",
    )


def outcome_result(path: Path, eid: str | None, outcome: IndexOutcome) -> FileResult:
    from facedesk.service.indexing import FileResult

    response = outcome.response
    return FileResult(
        str(path),
        "indexed" if outcome.stored else "unchanged",
        image_id=outcome.image_id,
        external_image_id=eid,
        indexed=len(response.get("FaceRecords", [])),
        unindexed=len(response.get("UnindexedFaces", [])),
    )


def prepare_job(
    ctx: ServiceContext, collection_id: str, job: _Job, options: IndexOptions
) -> PreparedIndex:
    """Decode at the working resolution and analyse one file; no database access."""
    from facedesk.engine import RELAXED_LIMITS, decode_image

    image = decode_image(
        job.data, RELAXED_LIMITS, working_face_px=WORKING_FACE_PX, sha256=job.sha256
    )
    return prepare_index(ctx, collection_id, image, options.request(job.eid), job.source)


# --- analysis processes -------------------------------------------------------------------

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


def _process_prepare(collection_id: str, job: _Job, options: IndexOptions) -> PreparedIndex:
    assert _PROCESS_CTX is not None, "analysis process was not initialised"
    return prepare_job(_PROCESS_CTX, collection_id, job, options)


def _process_ready() -> None:
    """A no-op task: submitting it makes the pool start a process."""


class AnalysisProcessCrashed(RuntimeError):
    """The process analysing a file died (a native crash); the batch goes on."""


class ProcessesUnavailable(RuntimeError):
    """Analysis processes cannot start here; the pipeline analyses on its own threads."""


class _ProcessPool:
    """``workers`` spawned processes; a pool broken by a native crash is replaced."""

    def __init__(self, workers: int, detector: str, store_thumbnails: bool) -> None:
        self._args = (workers, detector, store_thumbnails)
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
        job: _Job,
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
                    prepared = future.result(timeout=_POLL_S)
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


def run_pipeline(
    ctx: ServiceContext,
    collection_id: str,
    files: Sequence[Path],
    options: IndexOptions,
    cancel: CancelToken | None = None,
) -> Iterator[ProgressEvent]:
    """One ProgressEvent per file (completion order) with a FileResult in ``result``."""
    from facedesk.service.indexing import external_image_id_for, unchanged_result

    # The collection's FaceModelVersion decides the detector (and the skip-unchanged key).
    version = ctx.collection_version(collection_id)
    options = dataclasses.replace(
        options, model_version=version, detector=ctx.detector_for(version, options.detector)
    )
    n_workers = max(1, options.workers or default_workers())
    stop = threading.Event()  # cancel token, generator closed, or a fatal error
    in_process = threading.Event()  # processes could not start: analyse on the threads
    # dlib-bin holds the GIL while it works (measured: two threads run dlib at 0.93x one
    # thread), so more than one analysis needs processes; one runs on a thread here.
    # Worker 0 analyses on its own thread in this process and starts at once; workers
    # 1..n-1 hand their image to one of n-1 spawned processes, which need a few seconds
    # to import and load models (measured 1.5-4.6 s), so a small batch is not held up.
    # A GUI asks for no local analysis (options.local_analysis): then all n run remotely.
    local = options.local_analysis
    remote = n_workers - 1 if local else n_workers
    pool = (
        _ProcessPool(remote, options.detector, ctx.store_thumbnails)
        if remote > 0 and (len(files) > 1 or not local)
        else None
    )

    def stopped() -> bool:
        return stop.is_set() or (cancel is not None and cancel.cancelled)

    jobs: queue.Queue[_Job | object] = queue.Queue(maxsize=2 * n_workers)
    prepared_q: queue.Queue[_Prepared | object] = queue.Queue(maxsize=2 * n_workers)
    results: queue.Queue[FileResult | object] = queue.Queue()

    def put(q: queue.Queue[object], item: object) -> bool:
        """Blocking put that gives up when the run stops."""
        while True:
            try:
                q.put(item, timeout=_POLL_S)
                return True
            except queue.Full:
                if stopped():
                    return False

    def guarded(body: Callable[[], None], name: str) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except BaseException:  # a bug in a stage must not hang the generator
                log.exception("indexing pipeline %s failed", name)
                stop.set()

        return run

    def read_one(path: Path, wait_for_claim: bool) -> bool:
        """Queue one file for analysis or answer it at once. False: claimed elsewhere (and
        not waited for), or the run stopped."""
        eid = external_image_id_for(path) if options.external_image_id_from_filename else None
        try:
            source = source_info(path)
            if options.skip_unchanged:
                skipped = unchanged_result(ctx, collection_id, source, options)
                if skipped is not None:
                    results.put(skipped)
                    return True
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            image_id = ids.image_id(digest)
            if not claim_image(claims, image_id, eid, stopped if wait_for_claim else None):
                return False
            try:
                # Same image and ExternalImageId indexed before (maybe by the process
                # that held the claim until now) with these settings: its stored answer.
                # Indexed with other settings: analysed again and replaced (commit_index).
                existing = existing_outcome(
                    ctx, collection_id, image_id, eid, options.settings_key()
                )
            except BaseException:
                claims.release(image_id, eid)
                raise
            if existing is not None:
                claims.release(image_id, eid)
                results.put(outcome_result(path, eid, existing))
                return True
        except Exception as exc:
            results.put(error_result(path, eid, exc))
            return True
        return put(jobs, _Job(path, eid, source, data, digest))

    def reader() -> None:
        try:
            # Files another process is analysing right now come back at the end, when
            # its answer is stored (or, had it failed, to be analysed here).
            deferred = []
            for path in largest_first(files):
                if stopped():
                    return
                if not read_one(path, wait_for_claim=False):
                    deferred.append(path)
            for path in deferred:
                if stopped() or not read_one(path, wait_for_claim=True):
                    return
        finally:
            for _ in range(n_workers):
                put(jobs, _DONE)

    def worker(local: bool) -> None:
        while not stopped():
            try:
                job = jobs.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if job is _DONE:
                return
            assert isinstance(job, _Job)
            try:
                if local or pool is None or in_process.is_set():
                    done = prepare_job(ctx, collection_id, job, options)
                else:
                    try:
                        maybe = pool.prepare(collection_id, job, options, stopped)
                    except ProcessesUnavailable:
                        log.warning("analysis processes cannot start; using threads")
                        in_process.set()
                        done = prepare_job(ctx, collection_id, job, options)
                    else:
                        if maybe is None:
                            return
                        done = maybe
            except Exception as exc:
                release_job(claims, job)
                results.put(error_result(job.path, job.eid, exc))
                continue
            if not put(prepared_q, _Prepared(job, done)):
                return

    def writer() -> None:
        finished = 0
        while finished < n_workers and not stopped():
            try:
                item = prepared_q.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if item is _DONE:
                finished += 1
                continue
            assert isinstance(item, _Prepared)
            job = item.job
            try:
                outcome = commit_index(ctx, item.prepared, replace_other_settings=True)
            except Exception as exc:
                results.put(error_result(job.path, job.eid, exc))
                continue
            finally:
                release_job(claims, job)
            results.put(outcome_result(job.path, job.eid, outcome))

    with ctx.db.unit_of_work(read_only=True) as uow:
        uow.collections.ensure(collection_id)
    claims = ctx.db.work_claims(collection_id)
    ctx.analyzer  # noqa: B018 - create the shared analyzer before the threads race for it

    worker_threads = [
        threading.Thread(
            target=guarded(functools.partial(worker, local and i == 0), "worker"),
            name=f"facedesk-index-{i}",
            daemon=True,
        )
        for i in range(n_workers)
    ]
    reader_thread = threading.Thread(
        target=guarded(reader, "reader"), name="facedesk-read", daemon=True
    )

    writer_thread = threading.Thread(
        target=guarded(writer, "writer"), name="facedesk-write", daemon=True
    )
    # The writer counts one _DONE per worker; workers send theirs through this closer.
    closer = threading.Thread(target=_closer(worker_threads, prepared_q, put), daemon=True)
    threads = [reader_thread, *worker_threads, writer_thread, closer]
    for t in threads:
        t.start()

    total = len(files)
    done_count = 0
    closed = False
    try:
        while done_count < total and not stopped():
            try:
                item = results.get(timeout=_POLL_S)
            except queue.Empty:
                if not any(t.is_alive() for t in threads):
                    break  # a stage died (logged); nothing more will come
                continue
            done_count += 1
            yield _event(done_count, total, item)
    except GeneratorExit:
        closed = True
        raise
    finally:
        stop.set()
        for t in threads:
            t.join()
        claims.close()  # what a cancelled run still held goes back to other processes
        if pool is not None:
            pool.shutdown()
    if closed:
        return
    # Images committed while the run was being cancelled are in the database: say so.
    while not results.empty():
        item = results.get_nowait()
        if getattr(item, "status", None) == "indexed":
            done_count += 1
            yield _event(done_count, total, item)


def _event(done: int, total: int, result: object) -> ProgressEvent:
    return ProgressEvent(done=done, total=total, item=getattr(result, "path", None), result=result)


def _closer(
    worker_threads: list[threading.Thread],
    prepared_q: queue.Queue[_Prepared | object],
    put: Callable[[queue.Queue[object], object], bool],
) -> Callable[[], None]:
    def run() -> None:
        for t in worker_threads:
            t.join()
            put(prepared_q, _DONE)

    return run
