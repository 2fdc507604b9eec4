"""Photos and faces appear in the grids while a batch indexes, not only when it ends.

Each photo's transaction commits in the analysis pipeline; its result reaches the UI in a
progress batch. The photos indexed since the last flush are read back (summary and faces)
on a pool thread, at most every ``INTERVAL_MS``, and inserted where the grids' order puts
them, so the UI thread only inserts rows: a few milliseconds per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from facedesk.core.types import ImageSummary, StoredFace
from facedesk.qt.models.face_list_model import FaceListModel
from facedesk.qt.models.photo_list_model import PhotoListModel
from facedesk.service.indexing import FileResult
from facedesk.service.library import Library

INTERVAL_MS = 400  # often enough to feel live, rare enough to batch a fast run's photos

# run(fn, *args, done=...) -> the task runner; the controller's plumbing
RunTask = Callable[..., Any]


class LiveResults(QObject):
    added = Signal(int, int)  # photos, faces added to the grids by one flush

    def __init__(
        self,
        library: Library,
        photos: PhotoListModel,
        faces: FaceListModel,
        run: RunTask,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._library, self._photos, self._faces, self._run = library, photos, faces, run
        self._collection = ""
        self._pending: list[tuple[str, str | None]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.flush)

    def add(self, collection_id: str, results: Sequence[FileResult]) -> None:
        """Results of a progress batch for ``collection_id`` (the one on screen)."""
        if collection_id != self._collection:
            self.clear()
            self._collection = collection_id
        self._pending.extend(
            (r.image_id, r.external_image_id)
            for r in results
            if r.status == "indexed" and r.image_id is not None
        )
        if self._pending and not self._timer.isActive():
            self._timer.start()

    def clear(self) -> None:
        """Another collection is shown: what was pending belongs to the old one."""
        self._timer.stop()
        self._pending = []

    def flush(self) -> None:
        self._timer.stop()
        photos, self._pending = self._pending, []
        if not photos:
            return
        cid = self._collection
        self._run(
            self._library.fresh_photos,
            cid,
            photos,
            done=lambda fresh: self._show(cid, *fresh),
        )

    def _show(self, cid: str, summaries: list[ImageSummary], faces: list[StoredFace]) -> None:
        if cid != self._collection or cid != self._faces.collection_id:
            return
        n_photos = self._photos.add_images(summaries)
        n_faces = self._faces.add_faces(faces)
        self.added.emit(n_photos, n_faces)
