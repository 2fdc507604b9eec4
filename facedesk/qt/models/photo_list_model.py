"""One row per indexed image of the selected collection."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

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
from facedesk.qt.workers.thumbnails import ThumbnailLoader

_Index = QModelIndex | QPersistentModelIndex


def photo_key(item: ImageSummary) -> str:
    return f"photo:{item.image_id}:{item.external_image_id}"


class PhotoListModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader, parent: Any = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._items: list[ImageSummary] = []
        self._rows: dict[str, int] = {}
        loader.thumbnail_loaded.connect(self._on_loader_thumbnail_loaded)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, ExternalIdRole):
            return item.external_image_id or item.image_id[:8]
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{item.external_image_id}\n{item.source_path or '(no source file)'}\n"
                f"{item.width}×{item.height}, indexed {item.indexed_at:%Y-%m-%d %H:%M}"
            )
        if role == IdRole:
            return item.image_id
        if role == ItemRole:
            return item
        if role == FaceCountRole:
            return item.face_count
        if role == UnindexedCountRole:
            return item.unindexed_count
        if role == IndexedAtRole:
            return item.indexed_at.timestamp()
        if role == SubtitleRole:
            return f"{item.face_count} indexed · {item.unindexed_count} not"
        if role == ThumbnailRole:
            return self._loader.pixmap(photo_key(item), photo_source(item.source_path))
        if role == LoadFailedRole:
            return self._loader.is_failed(photo_key(item))
        return None

    def images(self) -> list[ImageSummary]:
        return list(self._items)

    def set_images(self, items: list[ImageSummary]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._rows = {photo_key(it): row for row, it in enumerate(self._items)}
        self.endResetModel()

    def find(self, image_id: str, external_image_id: str | None = None) -> ImageSummary | None:
        for item in self._items:
            if item.image_id == image_id and (
                external_image_id is None or item.external_image_id == external_image_id
            ):
                return item
        return None

    def _on_loader_thumbnail_loaded(self, key: str) -> None:
        row = self._rows.get(key)
        if row is not None:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [ThumbnailRole, LoadFailedRole])
