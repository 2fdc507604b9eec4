"""Search results: face matches with their Similarity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from facedesk.qt.images import face_source
from facedesk.qt.models.roles import (
    ExternalIdRole,
    IdRole,
    ItemRole,
    LoadFailedRole,
    SimilarityRole,
    SubtitleRole,
    ThumbnailRole,
)
from facedesk.qt.workers.thumbnails import ThumbnailLoader

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class MatchItem:
    collection_id: str
    similarity: float
    face: dict[str, Any]  # Rekognition's Face shape
    source_path: str | None = None

    @property
    def face_id(self) -> str:
        return str(self.face["FaceId"])


class MatchListModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader, parent: Any = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._items: list[MatchItem] = []
        self._fetch: Callable[[str, str], bytes | None] = lambda _c, _f: None
        loader.thumbnail_loaded.connect(self._on_loader_thumbnail_loaded)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        m = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{m.similarity:.1f} %"
        if role == ExternalIdRole:
            return m.face.get("ExternalImageId", "")
        if role == SubtitleRole:
            return m.face.get("UserId") or m.face.get("ExternalImageId", "")
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{m.face.get('ExternalImageId', '')}\nSimilarity {m.similarity:.2f}\n{m.face_id}"
            )
        if role == IdRole:
            return m.face_id
        if role == ItemRole:
            return m
        if role == SimilarityRole:
            return m.similarity
        if role == ThumbnailRole:
            fetch, cid, fid = self._fetch, m.collection_id, m.face_id
            return self._loader.pixmap_lazy(
                self._key(m),
                lambda: face_source(lambda: fetch(cid, fid), m.source_path, m.face["BoundingBox"]),
            )
        if role == LoadFailedRole:
            return self._loader.is_failed(self._key(m))
        return None

    def matches(self) -> list[MatchItem]:
        return list(self._items)

    def set_matches(
        self, items: list[MatchItem], fetch: Callable[[str, str], bytes | None]
    ) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._fetch = fetch
        self.endResetModel()

    @staticmethod
    def _key(m: MatchItem) -> str:
        return f"face:{m.collection_id}:{m.face_id}"

    def _on_loader_thumbnail_loaded(self, key: str) -> None:
        for row, m in enumerate(self._items):
            if self._key(m) == key:
                idx = self.index(row)
                self.dataChanged.emit(idx, idx, [ThumbnailRole, LoadFailedRole])
