"""The engine's fast paths give exactly what the paths they short-cut give.

- ``imaging.warp_affine_linear`` on a map without rotation (every face crop the engine
  takes) gathers rows then columns: bit-equal to the general per-pixel path.
- ``thumbnail.face_thumbnail_jpeg`` crops the numpy pixels instead of copying the whole
  picture into Pillow first: byte-equal JPEGs to Pillow's own crop, black outside.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from facedesk.core.types import DecodedImage, PixelBox
from facedesk.engine import imaging, thumbnail

TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "real"


def _photo(relative: str) -> npt.NDArray[np.uint8]:
    return np.ascontiguousarray(np.asarray(Image.open(TESTDATA / relative).convert("RGB")))


@pytest.mark.parametrize("grey", [False, True])
def test_axis_aligned_warp_equals_the_general_path(grey: bool) -> None:
    rgb = _photo("dlib/bald_guys.jpg")
    image = imaging.rgb_to_grey(rgb) if grey else rgb
    h, w = image.shape[:2]
    rng = np.random.default_rng(3)
    for _ in range(60):
        # crops inside, across the border and wholly outside; shrinking and enlarging
        cx, cy = rng.uniform(-150, w + 150), rng.uniform(-150, h + 150)
        side, size = rng.uniform(4.0, 900.0), int(rng.choice([192, 64, 150, 33]))
        scale = size / side
        to_crop = np.array(
            [[scale, 0.0, size / 2 - scale * cx], [0.0, scale, size / 2 - scale * cy]]
        )
        m = imaging.invert_affine(to_crop).astype(np.float32)
        fast = imaging.warp_affine_linear(image, imaging.invert_affine(to_crop), size, size)
        general = imaging._warp_general(image, m, size, size)
        assert fast.shape == general.shape == (size, size, *image.shape[2:])
        assert np.array_equal(fast, general)


def test_a_turned_map_still_takes_the_general_path() -> None:
    image = _photo("dicm/dicm_10.jpg")
    turned = np.array([[0.0, -1.0, 300.0], [1.0, 0.0, 20.0]])
    out = imaging.warp_affine_linear(image, turned, 50, 40)
    # output (x, y) samples source (300 - y, 20 + x): a quarter turn, whole pixels
    ys, xs = np.arange(40)[:, None], np.arange(50)[None, :]
    assert np.array_equal(out, image[20 + xs, 300 - ys])


def _pillow_thumbnail(image: DecodedImage, box: PixelBox, size: int = 128) -> bytes:
    """The thumbnail as it was made before the fast crop: Pillow crops the whole picture."""
    s = image.scale
    cx, cy = (box.left + box.right) / 2.0 * s, (box.top + box.bottom) / 2.0 * s
    half = max(box.width, box.height, 1.0) * s * thumbnail.MARGIN_FACTOR / 2.0
    crop = (round(cx - half), round(cy - half), round(cx + half), round(cy + half))
    if crop[2] <= crop[0]:
        crop = (crop[0], crop[1], crop[0] + 1, crop[1] + 1)
    picture = Image.fromarray(image.pixels, mode="RGB").crop(crop)
    picture = picture.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=thumbnail.JPEG_QUALITY)
    return out.getvalue()


def test_thumbnail_crop_equals_pillows_crop_inside_and_across_the_border() -> None:
    pixels = _photo("face_recognition/obama_and_biden.jpg")
    h, w = pixels.shape[:2]
    image = DecodedImage(
        pixels=pixels,
        width=w,
        height=h,
        scale=1.0,
        format="JPEG",
        mode="RGB",
        sha256="0" * 64,
        byte_size=0,
    )
    rng = np.random.default_rng(5)
    for _ in range(40):
        left, top, side = rng.uniform(-400, w), rng.uniform(-400, h), rng.uniform(0.2, 500)
        box = PixelBox(left=left, top=top, right=left + side, bottom=top + side * 1.2)
        assert thumbnail.face_thumbnail_jpeg(image, box) == _pillow_thumbnail(image, box)
