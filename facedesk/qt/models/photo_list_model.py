"""One row per indexed image of the selected collection, in the chosen order.

Storage orders the photos (``Library.image_order`` reads only the sort key); the model
shows the first ``FIRST_PAGE`` at once and streams the rest in behind them on its own
pool, appended in order, so nothing sorts 20k rows on the UI thread (a sorting proxy
would call ``data()`` ~600k times). The proxy in front only filters; another sort order
reloads the list from storage.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QThreadPool,
    Signal,
)

from facedesk.core.progress import CancelToken
from facedesk.core.types import ImageSummary
from facedesk.qt.images import photo_source
from facedesk.qt.models.roles import (
    ExternalIdRole,
    FaceCountRole,
    IdRole,
    IndexedAtRole,
    ItemRole,
    LoadFailedRole,
    SubtitleRole,
    ThumbnailRole,
    UnindexedCountRole,
)
from facedesk.qt.workers.runner import ErrorInfo, TaskRunner
from facedesk.qt.workers.task_slot import TaskSlot
from facedesk.qt.workers.thumbnails import ThumbnailLoader
from facedesk.service.grid_order import photo_order_key
from facedesk.service.grid_sources import (
    FIRST_PHOTOS,
    PHOTO_PAGE,
    PhotoListing,
    PhotoSource,
)

# The Qt-free sources live in the service layer; these names stay importable from here.
__all__ = ["FIRST_PAGE", "PAGE", "SORTS", "PhotoListModel", "PhotoListing", "PhotoSource"]

_Index = QModelIndex | QPersistentModelIndex
SORTS = ("name", "date", "faces")
FIRST_PAGE = FIRST_PHOTOS
PAGE = PHOTO_PAGE
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)


def photo_key(item: ImageSummary) -> str:
    return f"photo:{item.image_id}:{item.external_image_id}"


class PhotoListModel(QAbstractListModel):
    load_failed = Signal(str)  # message

    def __init__(self, loader: ThumbnailLoader, parent: Any = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._items: list[ImageSummary] = []
        self._rows: dict[str, int] = {}  # photo_key -> row
        self._by_image: dict[str, int] = {}  # image_id -> its first row
        self._source: PhotoSource | None = None
        self._sort = "name"  # the latest order asked for
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        # Another order's listing, or the stream of the rest: a reset cancels it.
        self._slot = TaskSlot(self._pool)
        loader.thumbnail_loaded.connect(self._on_loader_thumbnail_loaded)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        # the painted and filtered roles first, compared as ints (called per tile per paint)
        if role in (_DISPLAY, ExternalIdRole):
            return item.external_image_id or item.image_id[:8]
        if role == ThumbnailRole:
            path = item.source_path
            return self._loader.pixmap_lazy(photo_key(item), lambda: photo_source(path))
        if role == FaceCountRole:
            return item.face_count
        if role == UnindexedCountRole:
            return item.unindexed_count
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{item.external_image_id}\n{item.source_path or '(no source file)'}\n"
                f"{item.width}×{item.height}, indexed {item.indexed_at:%Y-%m-%d %H:%M}"
            )
        if role == IdRole:
            return item.image_id
        if role == ItemRole:
            return item
        if role == IndexedAtRole:
            return item.indexed_at.timestamp()
        if role == SubtitleRole:
            return f"{item.face_count} indexed · {item.unindexed_count} not"
        if role == LoadFailedRole:
            return self._loader.is_failed(photo_key(item))
        return None

    # -- state ---------------------------------------------------------------------------
    @property
    def sort_key(self) -> str:
        """The latest order asked for."""
        return self._sort

    @property
    def loading(self) -> bool:
        """Photos are still streaming in, or another order is being read."""
        return self._slot.active

    # -- feeding -------------------------------------------------------------------------
    def show_listing(self, source: PhotoSource, listing: PhotoListing) -> None:
        """Show the first page, then stream the rest in behind it."""
        self.beginResetModel()
        self._slot.cancel()
        self._source, self._sort = source, listing.sort
        self._items, self._rows, self._by_image = [], {}, {}
        self._index(list(listing.items))
        self.endResetModel()
        if listing.rest:
            self._start_stream(source, listing.rest)

    def clear(self) -> None:
        self.beginResetModel()
        self._slot.cancel()
        self._source = None
        self._items, self._rows, self._by_image = [], {}, {}
        self.endResetModel()

    def set_sort_key(self, sort: str) -> None:
        """Show the photos in another order ("name", "date", "faces"), read from storage."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}")
        self._sort = sort
        if self._source is None:
            return
        source = self._source
        self._slot.start(
            TaskRunner(source.listing, sort),
            done=lambda listing: self.show_listing(source, listing),
            failed=self._on_load_failed,
        )

    def add_images(self, items: list[ImageSummary]) -> int:
        """Photos indexed meanwhile, each put where the current order wants it; returns how
        many were added. While the list still streams or re-sorts, nothing is added: the
        rows read from storage will hold them."""
        if self._source is None or self.loading:
            return 0
        added = 0
        for item in items:
            if photo_key(item) in self._rows:
                continue
            key = photo_order_key(item, self._sort)
            row = bisect_right(self._items, key, key=lambda it: photo_order_key(it, self._sort))
            self.beginInsertRows(QModelIndex(), row, row)
            self._items.insert(row, item)
            self.endInsertRows()
            added += 1
        if added:
            self._rows, self._by_image = {}, {}
            items_now, self._items = self._items, []
            self._index(items_now)
        return added

    def images(self) -> list[ImageSummary]:
        """The photos loaded so far."""
        return list(self._items)

    def shutdown(self) -> None:
        self._slot.cancel()
        self._pool.waitForDone()

    def _start_stream(self, source: PhotoSource, ids: list[int]) -> None:
        token = CancelToken()
        self._slot.start(
            TaskRunner(source.pages, ids, token, cancel=token),
            progress=self._on_pages_loaded,
            failed=self._on_load_failed,
        )

    def _on_pages_loaded(self, pages: list[list[ImageSummary]]) -> None:
        fresh = [it for page in pages for it in page if photo_key(it) not in self._rows]
        if fresh:
            first = len(self._items)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._index(fresh)
            self.endInsertRows()

    def _on_load_failed(self, info: ErrorInfo) -> None:
        self.load_failed.emit(f"{info.message}\n\n({info.code})")

    def _index(self, items: list[ImageSummary]) -> None:
        first = len(self._items)
        self._items.extend(items)
        for row, it in enumerate(items, first):
            self._rows[photo_key(it)] = row
            self._by_image.setdefault(it.image_id, row)

    def find(self, image_id: str, external_image_id: str | None = None) -> ImageSummary | None:
        """A loaded photo; any of the image's ExternalImageIds when none is given."""
        if external_image_id is None:
            row = self._by_image.get(image_id)
        else:
            row = self._rows.get(f"photo:{image_id}:{external_image_id}")
        return self._items[row] if row is not None else None

    def _on_loader_thumbnail_loaded(self, key: str) -> None:
        row = self._rows.get(key)
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [ThumbnailRole, LoadFailedRole])
