"""The collections in the sidebar."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from facedesk.core.sorting import natural_key
from facedesk.core.types import CollectionInfo
from facedesk.qt.models.roles import FaceCountRole, IdRole, ItemRole, SubtitleRole

_Index = QModelIndex | QPersistentModelIndex


def subtitle(info: CollectionInfo) -> str:
    faces = "1 face" if info.face_count == 1 else f"{info.face_count:,} faces"
    text = f"{faces} · model {info.face_model_version}"
    # the id scripts and the CLI use, where it is not what the list shows
    return text if info.shown_name == info.collection_id else f"{text} · id {info.collection_id}"


class CollectionListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[CollectionInfo] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        info = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return info.shown_name
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"{info.shown_name}\nCollectionId {info.collection_id}\n"
                f"{subtitle(info)}\nARN {info.arn}"
            )
        if role == IdRole:
            return info.collection_id
        if role == ItemRole:
            return info
        if role == FaceCountRole:
            return info.face_count
        if role == SubtitleRole:
            return subtitle(info)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
        )

    def collections(self) -> list[CollectionInfo]:
        return list(self._items)

    def row_of(self, collection_id: str) -> int:
        for row, info in enumerate(self._items):
            if info.collection_id == collection_id:
                return row
        return -1

    def set_face_count(self, collection_id: str, face_count: int) -> None:
        """One collection's count, known without a query (faces added live by a batch)."""
        row = self.row_of(collection_id)
        if row < 0 or self._items[row].face_count == face_count:
            return
        self._items[row] = replace(self._items[row], face_count=face_count)
        self.dataChanged.emit(self.index(row), self.index(row))

    def set_collections(self, items: list[CollectionInfo]) -> None:
        """Replace in place when the ids are the same (keeps the selection), else reset."""
        items = sorted(items, key=lambda c: natural_key(c.shown_name))
        if [c.collection_id for c in items] == [c.collection_id for c in self._items]:
            self._items = items
            if items:
                self.dataChanged.emit(self.index(0), self.index(len(items) - 1))
            return
        self.beginResetModel()
        self._items = items
        self.endResetModel()
