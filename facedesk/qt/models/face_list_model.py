"""The faces of a collection in grid order, paged from storage as the view scrolls.

Nothing here holds the whole collection: a query (everyone, one person, an ExternalImageId
substring) starts with one page and its counts, loaded off the UI thread; ``fetchMore``
loads the next page of ``BATCH`` rows on the model's own one-thread pool and appends it
when it arrives (a page is ~15 ms of SQL and Python at 100k faces; a filter that matches
few faces may scan the whole collection, ~200 ms: never on the UI thread). Pages follow
storage's keyset cursor, so faces deleted or added meanwhile neither repeat nor shift rows.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    Signal,
)

from facedesk.core.types import StoredFace
from facedesk.qt.images import face_source
from facedesk.qt.models.roles import (
    ExternalIdRole,
    IdRole,
    ItemRole,
    LoadFailedRole,
    SubtitleRole,
    ThumbnailRole,
)
from facedesk.qt.workers.runner import ErrorInfo, TaskRunner
from facedesk.qt.workers.task_slot import TaskSlot
from facedesk.qt.workers.thumbnails import ThumbnailLoader
from facedesk.service.grid_order import face_grid_key
from facedesk.service.grid_sources import FACE_PAGE, FaceListing, FaceQuery, FaceSource

if TYPE_CHECKING:
    from facedesk.service.library import FaceCursor

# The Qt-free sources live in the service layer; these names stay importable from here.
__all__ = ["BATCH", "FaceListModel", "FaceListing", "FaceQuery", "FaceSource", "face_key"]

_Index = QModelIndex | QPersistentModelIndex
BATCH = FACE_PAGE
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
_THUMBNAIL = int(ThumbnailRole)


def face_key(face: StoredFace) -> str:
    return f"face:{face.collection_id}:{face.face_id}"


class FaceListModel(QAbstractListModel):
    query_loaded = Signal(object, int)  # FaceQuery, faces matching it: after each new query
    counts_changed = Signal()  # total()/match_count() changed without a reset (deletes)
    load_failed = Signal(str)  # message

    def __init__(self, loader: ThumbnailLoader, parent: Any = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._faces: list[StoredFace] = []
        self._rows: dict[str, int] = {}  # face_key -> row
        self._gone: set[str] = set()  # face_keys deleted since the last reset
        self._source: FaceSource | None = None
        self._query = FaceQuery()  # what the rows show
        self._wanted = FaceQuery()  # the latest query asked for (its rows may be on the way)
        self._cursor: FaceCursor | None = None
        self._count = 0
        self._total = 0
        self._paging = False
        self._querying = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one page at a time, in order
        # The page or query wanted now: a reset cancels it, so older answers never land.
        self._slot = TaskSlot(self._pool)
        loader.thumbnail_loaded.connect(self._on_loader_thumbnail_loaded)

    # -- Qt API --------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._faces)

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and self._source is not None and self._cursor is not None

    def fetchMore(self, parent: _Index) -> None:
        """Load the next page in the background; rows arrive with rowsInserted."""
        if parent.isValid() or self._paging or self._querying or not self.canFetchMore(parent):
            return
        source = self._source
        assert source is not None
        self._paging = True
        self._slot.start(
            TaskRunner(source.page, self._query, self._cursor, BATCH),
            done=self._on_page_loaded,
            failed=self._on_load_failed,
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called several times per tile per paint: the painted roles come first, as ints.
        row = index.row()
        if not 0 <= row < len(self._faces) or not index.isValid():
            return None
        face = self._faces[row]
        if role == _THUMBNAIL:
            return self._loader.pixmap_lazy(face_key(face), lambda: self._thumbnail_source(face))
        if role in (_DISPLAY, ExternalIdRole):
            return face.external_image_id or ""
        if role == SubtitleRole:
            return face.user_id or ""
        if role == LoadFailedRole:
            return self._loader.is_failed(face_key(face))
        if role == _TOOLTIP:
            who = f"\nPerson: {face.user_id}" if face.user_id else ""
            return (
                f"{face.external_image_id}\nFaceId {face.face_id}\n"
                f"Confidence {face.confidence:.1f}{who}"
            )
        if role == IdRole:
            return face.face_id
        if role == ItemRole:
            return face
        return None

    # -- state ---------------------------------------------------------------------------
    @property
    def query(self) -> FaceQuery:
        """The latest query asked for; the rows show it once ``query_loaded`` said so."""
        return self._wanted

    @property
    def collection_id(self) -> str:
        return self._source.collection_id if self._source is not None else ""

    @property
    def loading(self) -> bool:
        """A page or a query is being loaded."""
        return self._paging or self._querying

    def faces(self) -> list[StoredFace]:
        """The faces loaded so far (rows 0..rowCount-1), not the whole query."""
        return list(self._faces)

    def face(self, face_id: str) -> StoredFace | None:
        row = self.row_of(face_id)
        return self._faces[row] if row >= 0 else None

    def total(self) -> int:
        """Faces in the collection (any query)."""
        return self._total

    def match_count(self) -> int:
        """Faces matching the current query: the rows once every page is loaded."""
        return self._count

    def row_of(self, face_id: str) -> int:
        """The row of a loaded face, else -1."""
        return self._rows.get(f"face:{self.collection_id}:{face_id}", -1)

    # -- feeding -------------------------------------------------------------------------
    def show_listing(self, source: FaceSource, listing: FaceListing) -> None:
        """Show a query's first page (``source.listing`` made it off the UI thread)."""
        self.beginResetModel()
        self._slot.cancel()
        self._paging = self._querying = False
        self._source = source
        self._query = self._wanted = listing.query
        self._faces = list(listing.faces)
        self._rows = {face_key(f): r for r, f in enumerate(self._faces)}
        self._gone = set()
        self._cursor = listing.cursor
        self._count, self._total = listing.count, listing.total
        self.endResetModel()
        self.query_loaded.emit(listing.query, listing.count)

    def clear(self) -> None:
        """No collection: no rows, nothing to fetch (the query's text part is kept)."""
        self.beginResetModel()
        self._slot.cancel()
        self._paging = self._querying = False
        self._source = None
        self._query = self._wanted = FaceQuery(name_contains=self._wanted.name_contains)
        self._faces, self._rows, self._cursor, self._gone = [], {}, None, set()
        self._count = self._total = 0
        self.endResetModel()
        self.query_loaded.emit(self._query, 0)

    def set_query(self, query: FaceQuery) -> None:
        """Show another query of the same collection; the rows change when its first page
        has loaded (``query_loaded``)."""
        self._wanted = query
        if self._source is None:
            self._query = query
            self.query_loaded.emit(query, 0)
            return
        source = self._source
        self._paging, self._querying = False, True
        # starting it cancels a page still on its way: that page belongs to the old query
        self._slot.start(
            TaskRunner(source.listing, query),
            done=lambda listing: self.show_listing(source, listing),
            failed=self._on_load_failed,
        )

    def set_name_filter(self, text: str) -> None:
        self.set_query(replace(self._wanted, name_contains=text))

    def remove_faces(self, face_ids: list[str]) -> int:
        """Drop deleted faces from the rows (the pages after them stay valid); returns how
        many were shown. ``total`` goes down by all of them."""
        # a page read before the delete may still be on its way: keep these out of it
        self._gone.update(f"face:{self.collection_id}:{fid}" for fid in face_ids)
        rows = sorted({self.row_of(fid) for fid in face_ids} - {-1})
        for first, last in reversed(_runs(rows)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._faces[first : last + 1]
            self.endRemoveRows()
        if rows:
            self._rows = {face_key(f): r for r, f in enumerate(self._faces)}
        self._total = max(0, self._total - len(set(face_ids)))
        self._count = self._total if not self._query.filtered else self._count - len(rows)
        self.counts_changed.emit()
        return len(rows)

    def add_faces(self, faces: list[StoredFace]) -> int:
        """Faces indexed meanwhile (no person yet): each goes where the grid order puts it
        among the loaded rows; one past the last loaded row waits for its page. Returns
        how many rows were added; the counts take every face in."""
        if self._source is None or self._querying:
            return 0
        text = self._query.name_contains.lower()
        fresh = [f for f in faces if face_key(f) not in self._rows]
        matching = [
            f
            for f in fresh
            if self._query.user_id is None and text in (f.external_image_id or "").lower()
        ]
        added = 0
        for face in sorted(matching, key=face_grid_key):
            row = bisect_right(self._faces, face_grid_key(face), key=face_grid_key)
            if row == len(self._faces) and self._cursor is not None:
                continue  # beyond the loaded pages: fetchMore brings it
            self.beginInsertRows(QModelIndex(), row, row)
            self._faces.insert(row, face)
            self.endInsertRows()
            added += 1
        if added:
            self._rows = {face_key(f): r for r, f in enumerate(self._faces)}
        self._total += len(fresh)
        self._count = self._total if not self._query.filtered else self._count + len(matching)
        self.counts_changed.emit()
        return added

    def shutdown(self) -> None:
        self._slot.cancel()
        self._pool.clear()
        self._pool.waitForDone()

    # -- internals -----------------------------------------------------------------------
    def _on_page_loaded(self, page: tuple[list[StoredFace], FaceCursor | None]) -> None:
        faces, cursor = page
        fresh = [
            f for f in faces if face_key(f) not in self._rows and face_key(f) not in self._gone
        ]
        first = len(self._faces)
        self._cursor = cursor
        # Still "paging" while rows go in: views and testers that react to the insert by
        # asking for more must wait for this page to be complete.
        if fresh:
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._faces.extend(fresh)
            self._rows.update((face_key(f), first + i) for i, f in enumerate(fresh))
            self.endInsertRows()
        self._paging = False

    def _on_load_failed(self, info: ErrorInfo) -> None:
        self._paging = self._querying = False
        self._cursor = None  # do not retry in a loop; the next reset starts over
        self.load_failed.emit(f"{info.message}\n\n({info.code})")

    def _thumbnail_source(self, face: StoredFace) -> Callable[[], Any]:
        source = self._source
        if source is None:
            return lambda: None
        fid, image_id, ext = face.face_id, face.image_id, face.external_image_id
        return face_source(
            lambda: source.thumbnail(fid),
            lambda: source.source_path(image_id, ext),
            face.bounding_box.to_dict(),
        )

    def _on_loader_thumbnail_loaded(self, key: str) -> None:
        row = self._rows.get(key)
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [ThumbnailRole, LoadFailedRole])


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
