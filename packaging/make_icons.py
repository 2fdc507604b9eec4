"""Render resources/icons/facedesk.svg into the per-OS icon files the spec and .desktop use.

``python packaging/make_icons.py`` writes resources/app.png (256 px, Linux .desktop),
resources/app.ico (Windows, 16-256 px) and resources/app.icns (macOS). The outputs are
committed, so builds need neither QtSvg rendering nor this script; rerun it after the SVG
changes. Needs PySide6 and Pillow (both in the test venv).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SVG = REPO / "resources" / "icons" / "facedesk.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)


def render(size: int) -> bytes:
    """PNG bytes of the SVG at size x size, transparent background."""
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def main() -> int:
    from PIL import Image

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    images = {size: Image.open(io.BytesIO(render(size))).convert("RGBA") for size in SIZES}
    images[256].save(REPO / "resources" / "app.png")
    # Pillow writes every listed size it can derive from the largest image it is given.
    images[256].save(REPO / "resources" / "app.ico", sizes=[(s, s) for s in SIZES if s <= 256])
    images[1024].save(REPO / "resources" / "app.icns")
    for name in ("app.png", "app.ico", "app.icns"):
        print(name, (REPO / "resources" / name).stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
