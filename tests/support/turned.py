"""A photo whose second face dlib's HOG misses: obama.jpg beside a copy turned in the plane."""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image

from facedesk.core.types import BoundingBox

TURN = 55  # degrees: HOG misses a face turned this far in the picture's plane


def make_pair(testdata: Path, out: Path) -> Path:
    src = Image.open(testdata / "real/face_recognition/obama.jpg").convert("RGB")
    w, h = src.size
    canvas = Image.new("RGB", (2 * w, h), (128, 128, 128))
    canvas.paste(src, (0, 0))
    canvas.paste(src.rotate(TURN, resample=Image.Resampling.BICUBIC, fillcolor=(128,) * 3), (w, 0))
    canvas.save(out, quality=92)
    return out


def turned_box(upright: BoundingBox, pair: Path) -> BoundingBox:
    """Where the upright face lands in the turned copy (PIL turns about the copy's centre,
    counter-clockwise), as a box a little larger than the face, as a person draws it."""
    with Image.open(pair) as picture:
        w, h = picture.width // 2, picture.height
    x, y = (upright.left + upright.width / 2) * 2 * w, (upright.top + upright.height / 2) * h
    t = math.radians(TURN)
    nx = w / 2 + (x - w / 2) * math.cos(t) + (y - h / 2) * math.sin(t)
    ny = h / 2 - (x - w / 2) * math.sin(t) + (y - h / 2) * math.cos(t)
    side = upright.height * h * 1.1
    return BoundingBox(
        left=(w + nx - side / 2) / (2 * w),
        top=(ny - side / 2) / h,
        width=side / (2 * w),
        height=side / h,
    )
