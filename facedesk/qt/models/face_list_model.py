"""All faces of a collection, handed to the view in batches (fetchMore) for 10k+ faces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

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
from facedesk.qt.workers.thumbnails import ThumbnailLoader

_Index = QModelIndex | QPersistentModelIndex
BATCH = 512
# (collection_id, face_id) -> JPEG bytes or None; image_id -> source path or None
ThumbFetch = Callable[[str, str], bytes | None]
SourceOf = Callable[[str], str | None]


def face_key(face: StoredFace) -> str:
    return f"face:{face.collection_id}:{face.face_id}"


class FaceListModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader, parent: Any = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self._all: list[StoredFace] = []
        self._shown = 0
        self._rows: dict[str, int] = {}
        self._fetch: ThumbFetch = lambda _c, _f: None
        self._source_of: SourceOf = lambda _i: None
        loader.thumbnail_loaded.connect(self._on_loader_thumbnail_loaded)

    # -- Qt API --------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._shown

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and self._shown < len(self._all)

    def fetchMore(self, parent: _Index) -> None:
        if parent.isValid():
            return
        n = min(BATCH, len(self._all) - self._shown)
        if n <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._shown, self._shown + n - 1)
        self._shown += n
        self.endInsertRows()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._shown:
            return None
        face = self._all[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, ExternalIdRole):
            return face.external_image_id or ""
        if role == SubtitleRole:
            return face.user_id or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            who = f"\nPerson: {face.user_id}" if face.user_id else ""
            return (
                f"{face.external_image_id}\nFaceId {face.face_id}\n"
                f"Confidence {face.confidence:.1f}{who}"
            )
        if role == IdRole:
            return face.face_id
        if role == ItemRole:
            return face
        if role == ThumbnailRole:
            return self._loader.pixmap(face_key(face), self._source(face))
        if role == LoadFailedRole:
            return self._loader.is_failed(face_key(face))
        return None

    # -- feeding -------------------------------------------------------------------------
    def set_faces(self, faces: list[StoredFace], fetch: ThumbFetch, source_of: SourceOf) -> None:
        self.beginResetModel()
        self._all = list(faces)
        self._shown = min(BATCH, len(self._all))
        self._rows = {face_key(f): r for r, f in enumerate(self._all)}
        self._fetch, self._source_of = fetch, source_of
        self.endResetModel()

    def fetch_all(self) -> None:
        """For filters and selection by id: make every face a row."""
        while self.canFetchMore(QModelIndex()):
            self.fetchMore(QModelIndex())

    def faces(self) -> list[StoredFace]:
        return list(self._all)

    def total(self) -> int:
        return len(self._all)

    def row_of(self, face_id: str) -> int:
        for row, f in enumerate(self._all):
            if f.face_id == face_id:
                return row
        return -1

    def _source(self, face: StoredFace) -> Callable[[], Any]:
        fetch, cid, fid = self._fetch, face.collection_id, face.face_id
        return face_source(
            lambda: fetch(cid, fid), self._source_of(face.image_id), face.bounding_box.to_dict()
        )

    def _on_loader_thumbnail_loaded(self, key: str) -> None:
        row = self._rows.get(key)
        if row is not None and row < self._shown:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [ThumbnailRole, LoadFailedRole])
