"""What every part of the main controller holds: its signals, models and task plumbing.

Every service call runs through ``TaskRunner`` on the pool (the Library opens one Session
per call and keeps dlib models per thread, so pool threads may call it). Widgets never
call the Library; they call controller methods and listen to its past-tense signals.
The controller is built in three layers, each a module under 400 lines: this base, the
browsing of collections and photos (``browse_controller``), and ``controller`` (indexing,
search, people).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject, QThreadPool, Signal

from facedesk.core.progress import CancelToken
from facedesk.qt.live_results import LiveResults
from facedesk.qt.models.collection_list_model import CollectionListModel
from facedesk.qt.models.face_list_model import FaceListModel
from facedesk.qt.models.file_result_model import FileResultModel
from facedesk.qt.models.match_list_model import MatchListModel
from facedesk.qt.models.person_list_model import PersonListModel
from facedesk.qt.models.photo_list_model import PhotoListModel
from facedesk.qt.workers.runner import ErrorInfo, TaskRunner
from facedesk.qt.workers.task_slot import TaskSlot
from facedesk.qt.workers.thumbnails import ThumbnailLoader
from facedesk.service.library import Library


class HasLibrary(Protocol):
    """What hands out a Library, such as ``facedesk.client()``: the controller takes its
    Library and keeps nothing else of it."""

    @property
    def library(self) -> Library: ...


def library_of(source: Library | HasLibrary) -> Library:
    return source if isinstance(source, Library) else source.library


class ControllerBase(QObject):
    collections_changed = Signal()
    collection_selected = Signal(str)  # "" when none
    collection_loaded = Signal(str)
    photo_opened = Signal(object)  # PhotoDocument
    search_finished = Signal(object)  # SearchDocument
    people_changed = Signal()
    person_opened = Signal(str, int)  # user_id ("" = everyone), face count
    indexing_started = Signal(str)
    indexing_progressed = Signal(object)  # IndexingProgress
    indexing_finished = Signal(object)  # IndexingOutcome
    faces_deleted = Signal(list)  # the FaceIds deleted
    error_occurred = Signal(str, str)  # title, message
    status_posted = Signal(str)
    busy_changed = Signal(bool)

    def __init__(
        self,
        library: Library | HasLibrary,
        pool: QThreadPool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library_of(library)
        self.pool = pool or QThreadPool.globalInstance()
        self.thumbnails = ThumbnailLoader(max_threads=2, parent=self)
        self.collections = CollectionListModel(self)
        self.photos = PhotoListModel(self.thumbnails, self)
        self.faces = FaceListModel(self.thumbnails, self)
        self.results = FileResultModel(self)
        self.matches = MatchListModel(self.thumbnails, self)
        self.people = PersonListModel(self)
        self.live = LiveResults(self.library, self.photos, self.faces, self._run, self)
        self.current_collection = ""
        self._runners: set[TaskRunner] = set()
        # Latest result wins: the first pages of each grid and the people list, read
        # again by every selection or reload; an older read is cancelled, never shown.
        self._faces_load = TaskSlot(self.pool)
        self._photos_load = TaskSlot(self.pool)
        self._people_load = TaskSlot(self.pool)

    # -- state ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._runners) or self.faces.loading or self.photos.loading

    def source_path_of(self, image_id: str) -> str | None:
        item = self.photos.find(image_id)
        return item.source_path if item is not None else None

    # -- runner plumbing -----------------------------------------------------------------
    def run_task(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        progress: Callable[[list[Any]], None] | None = None,
        failed_title: str = "Operation failed",
        cancel: CancelToken | None = None,
        finished: Callable[[], None] | None = None,
        slot: TaskSlot | None = None,
    ) -> TaskRunner:
        """Run ``fn(*args)`` on the pool; ``done`` gets its result and ``progress`` the
        batches a generator yields, on the UI thread; a failure becomes an error dialog
        titled ``failed_title``; ``finished`` comes last, whatever happened. In a ``slot``,
        starting it cancels the slot's previous task, whose result (or error) is then
        dropped."""
        runner = TaskRunner(fn, *args, cancel=cancel)

        def failed(info: ErrorInfo) -> None:
            self.error_occurred.emit(failed_title, f"{info.message}\n\n({info.code})")

        def _finished() -> None:
            self._runners.discard(runner)
            if finished is not None:
                finished()
            if not self._runners:
                self.busy_changed.emit(False)

        runner.signals.finished.connect(_finished)
        was_idle = not self._runners
        self._runners.add(runner)
        if was_idle:
            self.busy_changed.emit(True)
        if slot is not None:
            return slot.start(runner, done=done, failed=failed, progress=progress)
        if done is not None:
            runner.signals.succeeded.connect(done)
        if progress is not None:
            runner.signals.progressed.connect(progress)
        runner.signals.failed.connect(failed)
        runner.start(self.pool)
        return runner

    # the controllers' own name for it (run_task is the one other windows call)
    _run = run_task

    def shutdown(self) -> None:
        """Cancel everything and wait for the pools (window closing, tests' teardown)."""
        for slot in (self._faces_load, self._photos_load, self._people_load):
            slot.cancel()
        for r in list(self._runners):
            r.cancel()
        self.pool.waitForDone()
        self.faces.shutdown()
        self.photos.shutdown()
        self.thumbnails.shutdown()
