"""facedesk.qt layer: the PySide6 desktop app."""

from __future__ import annotations


def qt_version() -> str:
    """The Qt version, after loading every Qt module the app uses (an install check)."""
    from PySide6 import QtCore, QtGui, QtSvg, QtWidgets  # noqa: F401

    return str(QtCore.qVersion())
