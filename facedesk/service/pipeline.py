"""The indexing pipeline: read ahead, analyse on every core, one writer committing per image.

Stages, each on its own thread(s), joined by bounded queues:

1. **reader** (1 thread): per file, ``stat``, the skip-unchanged check (a read-only
   query) and ``read_bytes``; skipped and unreadable files become results at once. It
   runs at most ``2 * workers`` files ahead, so reading overlaps analysis without
   holding a whole folder in memory. The reader also answers files whose image +
   ExternalImageId were indexed before (sha256 of the bytes) without analysing them.
2. **workers** (``workers`` threads, default one per core): decode at the working
   resolution (``WORKING_FACE_PX``), then detection, landmarks, descriptors, planning
   and thumbnails (``prepare_index``). No write. Worker 0 does this on its own thread;
   each other worker hands the file's bytes to a spawned process and waits for the
   picklable ``PreparedIndex`` (``facedesk.service.analysis_pool``: why processes, and
   what a native crash costs).
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
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from facedesk.core import ids
from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.service.analysis_pool import (
    POLL_S,
    AnalysisPool,
    FileJob,
    ProcessesUnavailable,
    default_workers,
    prepare_job,
    take_early,
)
from facedesk.service.analysis_pool import start_analysis_early as start_analysis_early
from facedesk.service.context import ServiceContext
from facedesk.service.file_results import (
    FileResult,
    IndexOptions,
    error_result,
    external_image_id_for,
    outcome_result,
    source_info,
    unchanged_result,
)
from facedesk.service.index_faces import PreparedIndex, commit_index, existing_outcome
from facedesk.service.work_claims import claim_image, release_job
from facedesk.service.working_image import WORKING_FACE_PX as WORKING_FACE_PX

log = logging.getLogger(__name__)


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


def run_pipeline(
    ctx: ServiceContext,
    collection_id: str,
    files: Sequence[Path],
    options: IndexOptions,
    cancel: CancelToken | None = None,
) -> Iterator[ProgressEvent]:
    """One ProgressEvent per file (completion order) with a FileResult in ``result``."""
    # The collection's FaceModelVersion decides the detector (and the skip-unchanged key).
    version = ctx.collection_version(collection_id)
    options = dataclasses.replace(
        options, model_version=version, detector=ctx.detector_for(version, options.detector)
    )
    with ctx.db.unit_of_work(read_only=True) as uow:
        uow.collections.ensure(collection_id)
    ctx.analyzer  # noqa: B018 - create the shared analyzer before the threads race for it
    yield from _Run(ctx, collection_id, files, options, cancel).events()


@dataclass(frozen=True)
class _Prepared:
    job: FileJob
    prepared: PreparedIndex


_DONE: Final = object()  # end of a queue's items


def _take(q: queue.Queue[object]) -> object | None:
    """The next item, or None after a short wait (so the caller can look at the stop flag)."""
    try:
        return q.get(timeout=POLL_S)
    except queue.Empty:
        return None


class _Run:
    """One run of the pipeline: its queues, its stop flag, its threads and their bodies."""

    def __init__(
        self,
        ctx: ServiceContext,
        collection_id: str,
        files: Sequence[Path],
        options: IndexOptions,
        cancel: CancelToken | None,
    ) -> None:
        self.ctx, self.collection_id, self.files = ctx, collection_id, files
        self.options, self.cancel = options, cancel
        self.n_workers = max(1, options.workers or default_workers())
        self.stop = threading.Event()  # cancel token, generator closed, or a fatal error
        self.in_process = threading.Event()  # processes could not start: use the threads
        self.read_all = threading.Event()  # the reader has queued its last file
        self.jobs: queue.Queue[object] = queue.Queue(maxsize=2 * self.n_workers)
        self.prepared_q: queue.Queue[object] = queue.Queue(maxsize=2 * self.n_workers)
        self.results: queue.Queue[FileResult] = queue.Queue()
        # dlib-bin holds the GIL while it works (measured: two threads run dlib at 0.93x
        # one thread), so more than one analysis needs processes; one runs on a thread here.
        # Worker 0 analyses on its own thread in this process and starts at once; workers
        # 1..n-1 hand their image to one of n-1 spawned processes, which need a few seconds
        # to import and load models (measured 1.5-4.6 s), so a small batch is not held up.
        # A GUI asks for no local analysis (options.local_analysis): then all n run remotely.
        local = options.local_analysis
        remote = self.n_workers - 1 if local else self.n_workers
        wanted = remote > 0 and (len(files) > 1 or not local)
        early = take_early(remote, ctx.store_thumbnails)
        if early is not None and not wanted:
            early.shutdown()
            early = None
        self.pool = (
            early or AnalysisPool(remote, options.detector, ctx.store_thumbnails)
            if wanted
            else None
        )
        # Worker 0's analysis holds this process's GIL for up to 0.3 s at a time (dlib and
        # libfacedetection keep it), and a thread handing files to a process needs the GIL
        # to collect one answer and send the next file: the process sat idle in between
        # (gaps up to 0.3 s, 7 % of its time, measured at load 10). A second thread per
        # process keeps the next file already in its pipe. Not for a GUI (no local
        # analysis, so no such wait), where a cancel then waits for one file less.
        extra = remote if local and self.pool is not None else 0
        self.n_threads = self.n_workers + extra
        try:
            self.claims = ctx.db.work_claims(collection_id)
        except BaseException:
            if self.pool is not None:
                self.pool.shutdown()
            raise

    def stopped(self) -> bool:
        return self.stop.is_set() or (self.cancel is not None and self.cancel.cancelled)

    def events(self) -> Iterator[ProgressEvent]:
        """Start the stages, yield a result per file as it comes, stop them all at the end."""
        threads = self._threads()
        for t in threads:
            t.start()
        total = len(self.files)
        done = 0
        closed = False
        try:
            while done < total and not self.stopped():
                try:
                    item = self.results.get(timeout=POLL_S)
                except queue.Empty:
                    if not any(t.is_alive() for t in threads):
                        break  # a stage died (logged); nothing more will come
                    continue
                done += 1
                yield _event(done, total, item)
        except GeneratorExit:
            closed = True
            raise
        finally:
            self._shutdown(threads)
        if closed:
            return
        # Images committed while the run was being cancelled are in the database: say so.
        while not self.results.empty():
            item = self.results.get_nowait()
            if item.status == "indexed":
                done += 1
                yield _event(done, total, item)

    def _threads(self) -> list[threading.Thread]:
        local = self.options.local_analysis
        workers = [
            threading.Thread(
                target=self._guarded(
                    functools.partial(self._worker, local and i == 0, i >= self.n_workers),
                    "worker",
                ),
                name=f"facedesk-index-{i}",
                daemon=True,
            )
            for i in range(self.n_threads)
        ]
        reader = threading.Thread(
            target=self._guarded(self._reader, "reader"), name="facedesk-read", daemon=True
        )
        writer = threading.Thread(
            target=self._guarded(self._writer, "writer"), name="facedesk-write", daemon=True
        )
        # The writer counts one _DONE per worker; workers send theirs through this closer.
        closer = threading.Thread(
            target=functools.partial(self._close_workers, workers), daemon=True
        )
        return [reader, *workers, writer, closer]

    def _shutdown(self, threads: list[threading.Thread]) -> None:
        self.stop.set()
        for t in threads:
            t.join()
        self.claims.close()  # what a cancelled run still held goes back to other processes
        if self.pool is not None:
            self.pool.shutdown()

    def _guarded(self, body: Callable[[], None], name: str) -> Callable[[], None]:
        def run() -> None:
            try:
                body()
            except BaseException:  # a bug in a stage must not hang the generator
                log.exception("indexing pipeline %s failed", name)
                self.stop.set()

        return run

    def _put(self, q: queue.Queue[object], item: object) -> bool:
        """Blocking put that gives up when the run stops."""
        while True:
            try:
                q.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                if self.stopped():
                    return False

    # --- reader -------------------------------------------------------------------------

    def _reader(self) -> None:
        try:
            # Files another process is analysing right now come back at the end, when
            # its answer is stored (or, had it failed, to be analysed here).
            deferred = []
            for path in largest_first(self.files):
                if self.stopped():
                    return
                if not self._read_one(path, wait_for_claim=False):
                    deferred.append(path)
            for path in deferred:
                if self.stopped() or not self._read_one(path, wait_for_claim=True):
                    return
        finally:
            self.read_all.set()
            for _ in range(self.n_threads):
                self._put(self.jobs, _DONE)

    def _read_one(self, path: Path, wait_for_claim: bool) -> bool:
        """Queue one file for analysis or answer it at once. False: claimed elsewhere (and
        not waited for), or the run stopped."""
        options = self.options
        eid = external_image_id_for(path) if options.external_image_id_from_filename else None
        try:
            found = self._job_or_result(path, eid, wait_for_claim)
        except Exception as exc:
            found = error_result(path, eid, exc)
        if found is None:
            return False
        if isinstance(found, FileResult):
            self.results.put(found)
            return True
        return self._put(self.jobs, found)

    def _job_or_result(
        self, path: Path, eid: str | None, wait_for_claim: bool
    ) -> FileJob | FileResult | None:
        """The file read and claimed for analysis, or its answer without analysis; None
        when another process holds its claim (and we do not wait) or the run stopped."""
        source = source_info(path)
        if self.options.skip_unchanged:
            skipped = unchanged_result(self.ctx, self.collection_id, source, self.options)
            if skipped is not None:
                return skipped
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        image_id = ids.image_id(digest)
        if not claim_image(self.claims, image_id, eid, self.stopped if wait_for_claim else None):
            return None
        try:
            # Same image and ExternalImageId indexed before (maybe by the process that
            # held the claim until now) with these settings: its stored answer. Indexed
            # with other settings: analysed again and replaced (commit_index).
            existing = existing_outcome(
                self.ctx, self.collection_id, image_id, eid, self.options.settings_key()
            )
        except BaseException:
            self.claims.release(image_id, eid)
            raise
        if existing is not None:
            self.claims.release(image_id, eid)
            return outcome_result(path, eid, existing)
        return FileJob(path, eid, source, data, digest)

    # --- workers ------------------------------------------------------------------------

    def _worker(self, local: bool, second: bool = False) -> None:
        """``second``: a process's second thread (see ``__init__``). It stops once the
        last file is queued, so the batch's last few files are not held in a process's
        pipe while another worker is free, and when the processes cannot start, rather
        than become one more analysis thread here."""
        while not self.stopped():
            if second and (self.in_process.is_set() or self.read_all.is_set()):
                return
            job = _take(self.jobs)
            if job is None:
                continue
            if job is _DONE:
                return
            assert isinstance(job, FileJob)
            try:
                prepared = self._analyse(job, local)
            except Exception as exc:
                release_job(self.claims, job)
                self.results.put(error_result(job.path, job.eid, exc))
                continue
            if prepared is None or not self._put(self.prepared_q, _Prepared(job, prepared)):
                return  # the run stopped

    def _analyse(self, job: FileJob, local: bool) -> PreparedIndex | None:
        """The prepared image; None when the run stopped while a process analysed it."""
        if local or self.pool is None or self.in_process.is_set():
            return prepare_job(self.ctx, self.collection_id, job, self.options)
        try:
            return self.pool.prepare(self.collection_id, job, self.options, self.stopped)
        except ProcessesUnavailable:
            log.warning("analysis processes cannot start; using threads")
            self.in_process.set()
            return prepare_job(self.ctx, self.collection_id, job, self.options)

    def _close_workers(self, workers: list[threading.Thread]) -> None:
        for t in workers:
            t.join()
            self._put(self.prepared_q, _DONE)

    # --- writer -------------------------------------------------------------------------

    def _writer(self) -> None:
        finished = 0
        while finished < self.n_threads and not self.stopped():
            item = _take(self.prepared_q)
            if item is None:
                continue
            if item is _DONE:
                finished += 1
                continue
            assert isinstance(item, _Prepared)
            self.results.put(self._commit(item.job, item.prepared))

    def _commit(self, job: FileJob, prepared: PreparedIndex) -> FileResult:
        try:
            outcome = commit_index(self.ctx, prepared, replace_other_settings=True)
        except Exception as exc:
            return error_result(job.path, job.eid, exc)
        finally:
            release_job(self.claims, job)
        return outcome_result(job.path, job.eid, outcome)


def _event(done: int, total: int, result: FileResult) -> ProgressEvent:
    return ProgressEvent(done=done, total=total, item=result.path, result=result)
