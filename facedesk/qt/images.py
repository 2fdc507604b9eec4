"""Image loading for the GUI: pure QImage work, safe on pool threads (never QPixmap here)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QImage, QImageReader

FACE_THUMB_PX = 128
PHOTO_THUMB_PX = 220
VIEWER_MAX_PX = 4096  # enough for a 4K screen at 100 %; bigger photos are scaled on decode


def read_image(path: str, max_side: int | None = None) -> QImage | None:
    """Decode with EXIF orientation applied, optionally downscaled while decoding."""
    reader = QImageReader(path)
    reader.setAutoTransform(True)
    if max_side is not None:
        size = reader.size()
        if size.isValid():
            # one factor for both sides keeps the aspect whether Qt scales before or after
            # the EXIF transform
            longest = max(size.width(), size.height())
            if longest > max_side:
                f = max_side / longest
                reader.setScaledSize(
                    QSize(max(1, round(size.width() * f)), max(1, round(size.height() * f)))
                )
    image = reader.read()
    return None if image.isNull() else image


def decode_bytes(data: bytes | None) -> QImage | None:
    if not data:
        return None
    image = QImage.fromData(data)
    return None if image.isNull() else image


def crop_ratio_box(image: QImage, box: Mapping[str, float], margin: float = 0.15) -> QImage:
    """A square-ish crop around a Rekognition box (ratios), with a margin, scaled for a tile."""
    w, h = image.width(), image.height()
    bw, bh = box["Width"] * w, box["Height"] * h
    side = max(bw, bh) * (1 + 2 * margin)
    cx, cy = (box["Left"] + box["Width"] / 2) * w, (box["Top"] + box["Height"] / 2) * h
    rect = QRect(round(cx - side / 2), round(cy - side / 2), round(side), round(side))
    crop = image.copy(rect.intersected(image.rect()))
    return crop.scaled(
        FACE_THUMB_PX,
        FACE_THUMB_PX,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )


def face_source(
    fetch: Callable[[], bytes | None],
    source_path: str | Callable[[], str | None] | None,
    box: Mapping[str, float],
) -> Callable[[], QImage | None]:
    """The stored JPEG thumbnail, else a crop of the source photo if the file is still there.

    ``source_path`` may be a callable, asked (on the loader's thread) only when no thumbnail
    is stored.
    """

    def load() -> QImage | None:
        image = decode_bytes(fetch())
        if image is not None:
            return image
        path = source_path() if callable(source_path) else source_path
        if path:
            photo = read_image(path, 1600)
            if photo is not None:
                return crop_ratio_box(photo, box)
        return None

    return load


def photo_source(path: str | None, max_side: int = PHOTO_THUMB_PX) -> Callable[[], QImage | None]:
    def load() -> QImage | None:
        return read_image(path, max_side) if path else None

    return load


def as_box(d: Any) -> dict[str, float]:
    return {k: float(d[k]) for k in ("Left", "Top", "Width", "Height")}
