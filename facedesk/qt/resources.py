"""Runtime assets found through importlib.resources (works from source, wheel and frozen)."""

from __future__ import annotations

from importlib import resources

from PySide6.QtGui import QIcon, QPixmap


def _files():  # type: ignore[no-untyped-def]
    return resources.files("facedesk.qt") / "resources"


def stylesheet() -> str:
    return str((_files() / "app.qss").read_text(encoding="utf-8"))


def app_icon() -> QIcon:
    icon = QIcon()
    data = (_files() / "icons" / "facedesk.svg").read_bytes()
    pixmap = QPixmap()
    pixmap.loadFromData(data, "SVG")
    if not pixmap.isNull():
        icon.addPixmap(pixmap)
    return icon
