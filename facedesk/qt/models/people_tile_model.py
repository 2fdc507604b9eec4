"""Tiles of the People view: named people (cover, name, count) or unnamed groups (a face,
size, "Is this <name>?")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QPixmap

from facedesk.qt.models.roles import FaceCountRole, IdRole, ItemRole, SubtitleRole

_Index = QModelIndex | QPersistentModelIndex
TILE = QSize(96, 96)


@dataclass(frozen=True)
class PeopleTile:
    """One tile: ``key`` is a UserId (person) or a GroupId (group, or a lone face)."""

    kind: str  # "person" | "group"
    key: str
    title: str
    face_ids: tuple[str, ...]
    count: int
    suggested_user: str | None = None
    suggested_name: str | None = None
    similarity: float | None = None
    # The cover / first face crop as stored (JPEG), decoded when the tile is first painted:
    # decoding every tile up front took seconds with thousands of groups.
    jpeg: bytes | None = None

    @property
    def subtitle(self) -> str:
        if self.kind == "face":
            return ""
        faces = f"{self.count} face{'s' if self.count != 1 else ''}"
        if self.suggested_name is not None and self.similarity is not None:
            return f"{faces}\nIs this {self.suggested_name}? {self.similarity:.0f} %"
        return faces


class PeopleTileModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[PeopleTile] = []
        self._pixmaps: dict[int, QPixmap] = {}
        self._placeholder = QPixmap(TILE)
        self._placeholder.fill(QColor("#4a4f57"))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        tile = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{tile.title}\n{tile.subtitle}" if tile.subtitle else tile.title
        if role == Qt.ItemDataRole.DecorationRole:
            return self._pixmap(index.row(), tile)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{tile.title}\n{tile.subtitle}"
        if role == IdRole:
            return tile.key
        if role == ItemRole:
            return tile
        if role == FaceCountRole:
            return tile.count
        if role == SubtitleRole:
            return tile.subtitle
        return None

    def _pixmap(self, row: int, tile: PeopleTile) -> QPixmap:
        cached = self._pixmaps.get(row)
        if cached is None:
            image = QPixmap()
            if not tile.jpeg or not image.loadFromData(tile.jpeg):
                cached = self._placeholder
            else:
                cached = image.scaled(
                    TILE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            self._pixmaps[row] = cached
        return cached

    def tiles(self) -> list[PeopleTile]:
        return list(self._items)

    def tile(self, row: int) -> PeopleTile | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def set_tiles(self, items: list[PeopleTile]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._pixmaps = {}
        self.endResetModel()
