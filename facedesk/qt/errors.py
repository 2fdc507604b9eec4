"""Uncaught exceptions become a dialog (details folded away), never a console traceback."""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(title)
    box.setInformativeText(message)
    if details:
        box.setDetailedText(details)
    box.exec()


def install_excepthook() -> None:
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(details)
        app = QApplication.instance()
        if app is None or QThread.currentThread() is not app.thread():
            return
        message = getattr(exc, "message", None) or str(exc) or kind.__name__
        show_error(QApplication.activeWindow(), "Something went wrong", message, details)

    sys.excepthook = hook
