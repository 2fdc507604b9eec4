"""File ▸ Open library: a library file on this computer or a shared PostgreSQL library.

The library is opened (and given the schema when new) before the dialog closes, so a typo,
a server that does not answer or a file that is not a library is said here, in the dialog,
and the window keeps the library it has."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from facedesk.service.library_choice import is_url

HINT = (
    "A library file on this computer (new or existing), or a library on a PostgreSQL "
    "server that several computers share, such as "
    "postgresql+psycopg://me@nas/photos. Passwords are not remembered: keep them in "
    "~/.pgpass."
)


class OpenLibraryDialog(QDialog):
    def __init__(
        self,
        current: str,
        recent: list[str],
        check: Callable[[str], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open library")
        self._check = check
        self.library = QComboBox()
        self.library.setEditable(True)
        self.library.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.library.addItems([d for d in dict.fromkeys([current, *recent]) if d])
        self.library.setCurrentText(current)
        self.library.setMinimumContentsLength(48)
        line = self.library.lineEdit()
        assert line is not None
        line.setPlaceholderText("~/Pictures/family.db  or  postgresql+psycopg://me@nas/photos")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.library, 1)
        row.addWidget(browse)
        hint = QLabel(HINT)
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("inlineWarning")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._open)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Library"))
        layout.addLayout(row)
        layout.addWidget(hint)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

    def chosen(self) -> str:
        """The library as typed or picked: a file path (``~`` expanded) or a URL."""
        text = self.library.currentText().strip()
        return text if is_url(text) else str(Path(text).expanduser()) if text else ""

    def _browse(self) -> None:
        chosen = self.chosen()
        start = str(Path.home()) if is_url(chosen) else chosen
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Choose or create a library file",
            start,
            "facedesk libraries (*.db);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.library.setCurrentText(path)

    def _open(self) -> None:
        """Open the library before accepting: the window switches only to one that opens."""
        self.error.hide()
        self.buttons.setEnabled(False)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            problem = self._check(self.chosen())
        finally:
            QGuiApplication.restoreOverrideCursor()
            self.buttons.setEnabled(True)
        if problem is None:
            self.accept()
            return
        self.error.setText(f"This library cannot be opened: {problem}")
        self.error.show()
