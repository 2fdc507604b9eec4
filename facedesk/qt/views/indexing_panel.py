"""Indexing progress (count, ETA, Cancel) and the per-file results table."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from facedesk.qt.models.file_result_model import FileResultModel


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = round(seconds)
    return (
        f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


class IndexingPanel(QWidget):
    cancel_requested = Signal()

    def __init__(self, model: FileResultModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.label = QLabel("Ready")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.table = QTableView()
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(0, 260)
        for col in (1, 2, 3):
            self.table.setColumnWidth(col, 80)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.label)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        self.cancel_button.clicked.connect(self.cancel_requested)
        model.rowsInserted.connect(lambda *_: self.table.scrollToBottom())

    def on_started(self, collection_id: str) -> None:
        self.bar.setRange(0, 0)
        self.label.setText(f"Looking for photos to index into “{collection_id}”…")
        self.cancel_button.setEnabled(True)

    def on_progressed(self, p: object) -> None:
        done, total = getattr(p, "done", 0), getattr(p, "total", None)
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
            self.bar.setFormat(f"{done} / {total}")
        self.label.setText(f"ETA {format_duration(getattr(p, 'eta_s', None))}")

    def on_finished(self, outcome: object) -> None:
        t = getattr(outcome, "totals", {})
        self.cancel_button.setEnabled(False)
        self.bar.setRange(0, max(1, t.get("files", 0)))
        self.bar.setValue(t.get("files", 0))
        self.bar.setFormat(f"{t.get('files', 0)} files")
        head = "Cancelled" if getattr(outcome, "cancelled", False) else "Done"
        self.label.setText(
            f"{head}: {t.get('indexed', 0)} faces indexed, {t.get('unindexed', 0)} not, "
            f"{t.get('errors', 0)} errors, {t.get('unchanged', 0)} unchanged  "
            f"({format_duration(getattr(outcome, 'elapsed_s', None))})"
        )
