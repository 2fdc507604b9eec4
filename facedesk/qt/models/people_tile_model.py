"""Tiles of the People view: named people (cover, name, count) or unnamed groups (a face,
size, "Is this <name>?")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import shiboken6
from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
)
from PySide6.QtGui import QColor, QPixmap

from facedesk.qt.models.roles import FaceCountRole, IdRole, ItemRole, SubtitleRole
from facedesk.qt.workers.runner import TaskRunner

_Index = QModelIndex | QPersistentModelIndex
TILE = QSize(96, 96)
Fetch = Callable[[Sequence[str]], dict[str, bytes]]  # face ids -> JPEG crops
# Rows handed to the view at a time. Thousands of tiles (5k people, 15k groups at 100k faces)
# cost the view a layout pass each; it asks for more (fetchMore) as it scrolls to the end.
PAGE = 200


class PeopleTile(NamedTuple):
    """One tile: ``key`` is a UserId (person) or a GroupId (group, or a lone face).

    A NamedTuple, not a frozen dataclass: a listing at 100k faces makes 20k of them in the
    People view's first phase, and a frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` per field) took twice as long as building the tuple."""

    kind: str  # "person" | "group"
    key: str
    title: str
    face_ids: tuple[str, ...]
    count: int  # type: ignore[assignment]  # (shadows tuple.count: the tile API predates)
    suggested_user: str | None = None
    suggested_name: str | None = None
    similarity: float | None = None
    # The cover / first face crop as stored (JPEG), decoded when the tile is first painted:
    # decoding every tile up front took seconds with thousands of groups.
    jpeg: bytes | None = None
    # The face whose crop the tile shows, fetched when the tile is first painted if ``jpeg``
    # did not come with it (thousands of tiles: only the visible ones are read).
    cover: str | None = None

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
        self._items: list[PeopleTile] = []  # every tile of the listing
        self._shown = 0  # rows the view knows: the first ``PAGE``, more as it scrolls
        self._pixmaps: dict[int, QPixmap] = {}
        self._placeholder = QPixmap(TILE)
        self._placeholder.fill(QColor("#4a4f57"))
        self._fetch: Fetch | None = None
        self._pool: QThreadPool | None = None
        self._wanted: dict[str, int] = {}  # cover face id -> row, to fetch
        self._asked: set[str] = set()  # fetched or being fetched
        self._runners: set[TaskRunner] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)  # after this paint: one query for every tile it showed
        self._timer.timeout.connect(self._fetch_wanted)

    def set_fetch(self, fetch: Fetch, pool: QThreadPool) -> None:
        """Read missing cover crops with ``fetch`` on ``pool`` as tiles get painted."""
        self._fetch, self._pool = fetch, pool

    @property
    def fetching(self) -> bool:
        return bool(self._runners) or self._timer.isActive()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._shown

    def canFetchMore(self, parent: _Index) -> bool:
        return not parent.isValid() and self._shown < len(self._items)

    def fetchMore(self, parent: _Index) -> None:
        # the tiles are in memory already: only the view's rows are added, no I/O
        if self.canFetchMore(parent):
            self.show_rows(self._shown + PAGE)

    def show_rows(self, n: int) -> None:
        """Let the view have at least the first ``n`` rows (or every row)."""
        n = min(n, len(self._items))
        if n > self._shown:
            self.beginInsertRows(QModelIndex(), self._shown, n - 1)
            self._shown = n
            self.endInsertRows()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._shown:
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
        if cached is None and tile.jpeg is None and tile.cover and self._fetch is not None:
            if tile.cover not in self._asked:
                self._wanted[tile.cover] = row
                self._timer.start()
            return self._placeholder  # not cached: painted again when the crop arrives
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
        """Every tile of the listing, including rows the view has not asked for yet."""
        return list(self._items)

    def tile(self, row: int) -> PeopleTile | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def set_tiles(self, items: list[PeopleTile]) -> None:
        # The crops decoded for the old tiles, by cover face: after a people action most
        # tiles show the same faces, at once, instead of fetched and decoded again (the new
        # tile gets the old one's JPEG too, as if it had been read for it).
        decoded: dict[str | None, tuple[QPixmap, bytes | None]] = {
            self._items[row].cover: (pixmap, self._items[row].jpeg)
            for row, pixmap in self._pixmaps.items()
            if pixmap is not self._placeholder and row < len(self._items)
        }
        decoded.pop(None, None)
        fresh = list(items)
        pixmaps: dict[int, QPixmap] = {}
        if decoded:
            for row, tile in enumerate(fresh):
                found = decoded.get(tile.cover)
                if found is not None:
                    pixmaps[row] = found[0]
                    if tile.jpeg is None:
                        fresh[row] = tile._replace(jpeg=found[1])
        self.beginResetModel()
        self._items = fresh
        self._shown = min(PAGE, len(self._items))
        self._pixmaps = pixmaps
        self._wanted, self._asked = {}, set()
        self.endResetModel()

    def _fetch_wanted(self) -> None:
        fetch, pool, items = self._fetch, self._pool, self._items
        batch, self._wanted = self._wanted, {}
        if fetch is None or pool is None or not batch:
            return
        self._asked.update(batch)
        wanted = list(batch)
        runner = TaskRunner(lambda: fetch(wanted))

        def arrived(crops: dict[str, bytes]) -> None:
            # gone with its window, or reset meanwhile (these rows are other tiles now)
            if not shiboken6.isValid(self) or self._items is not items:
                return
            for cover, row in batch.items():
                tile = items[row] if row < len(items) else None
                if tile is not None and tile.cover == cover and cover in crops:
                    items[row] = tile._replace(jpeg=crops[cover])
                    index = self.index(row, 0)
                    self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

        runner.signals.succeeded.connect(arrived)
        runner.signals.finished.connect(lambda: self._runners.discard(runner))
        self._runners.add(runner)
        runner.start(pool)
