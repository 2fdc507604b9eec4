"""People (Rekognition users) of the selected collection with their face counts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from facedesk.core.types import UserInfo
from facedesk.qt.models.roles import FaceCountRole, IdRole, ItemRole, SubtitleRole

_Index = QModelIndex | QPersistentModelIndex


class PersonListModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[UserInfo] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        u = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{u.name}  ({u.face_count})"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{u.name}\n{u.face_count} faces · UserId {u.user_id}"
        if role == IdRole:
            return u.user_id
        if role == ItemRole:
            return u
        if role == FaceCountRole:
            return u.face_count
        if role == SubtitleRole:
            return u.status
        return None

    def people(self) -> list[UserInfo]:
        return list(self._items)

    def set_people(self, items: list[UserInfo]) -> None:
        self.beginResetModel()
        self._items = sorted(items, key=lambda u: u.name.casefold())
        self.endResetModel()
