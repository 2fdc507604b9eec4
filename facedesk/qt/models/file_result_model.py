"""Per-file outcome of an indexing run (appended as results arrive)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from facedesk.qt.models.roles import ItemRole

_Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("File", "Status", "Indexed", "Unindexed", "Message")
_STATUS_COLOURS = {"error": QColor("#c0392b"), "unchanged": QColor("#7f8c8d")}


class FileResultModel(QAbstractTableModel):
    """Rows are ``facedesk.service.indexing.FileResult`` (read by attribute only)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._items: list[Any] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        r, col = self._items[index.row()], index.column()
        if role == ItemRole:
            return r
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.path if col == 0 else (r.message or None)
        if role == Qt.ItemDataRole.ForegroundRole and col in (1, 4):
            return _STATUS_COLOURS.get(r.status)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if col == 0:
            return Path(r.path).name
        if col == 1:
            return r.status
        if col == 2:
            return r.indexed
        if col == 3:
            return r.unindexed
        if r.status == "error":
            return f"{r.error_code}: {r.message}" if r.error_code else (r.message or "")
        return r.message or ""

    def results(self) -> list[Any]:
        return list(self._items)

    def append(self, results: list[Any]) -> None:
        if not results:
            return
        first = len(self._items)
        self.beginInsertRows(QModelIndex(), first, first + len(results) - 1)
        self._items.extend(results)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self._items = []
        self.endResetModel()

    def totals(self) -> dict[str, int]:
        t = {
            "files": len(self._items),
            "indexed_files": 0,
            "indexed": 0,
            "unindexed": 0,
            "errors": 0,
            "unchanged": 0,
        }
        for r in self._items:
            # an unchanged file reports the faces stored before: not indexed by this run
            if r.status == "indexed":
                t["indexed"] += r.indexed
                t["unindexed"] += r.unindexed
            t["indexed_files"] += r.status == "indexed"
            t["errors"] += r.status == "error"
            t["unchanged"] += r.status == "unchanged"
        return t


def summary_text(totals: dict[str, int], cancelled: bool) -> str:
    """What a finished run says in the status bar: files by outcome first, then faces.

    Failed files are never counted as indexed ("Indexed 9 files" when 5 failed misled).
    """

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    head = "Cancelled: " if cancelled else ""
    parts = [f"{plural(totals['indexed_files'], 'file')} indexed"]
    if totals["unchanged"]:
        parts.append(f"{totals['unchanged']} unchanged")
    if totals["errors"]:
        parts.append(f"{totals['errors']} failed")
    faces = f"{plural(totals['indexed'], 'face')} indexed"
    if totals["unindexed"]:
        faces += f", {totals['unindexed']} not"
    return f"{head}{', '.join(parts)} ({faces})"


def eta_seconds(elapsed: float, done: int, worked: int, total: int | None) -> float | None:
    """Time left, from the files that needed work only.

    Unchanged files take milliseconds; counting them in the rate made a resumed batch
    promise to finish far too soon. The files left are assumed to need work in the same
    share as the files done so far.
    """
    if not total or not done or worked <= 0:
        return None
    left = (total - done) * worked / done
    return elapsed / worked * left
