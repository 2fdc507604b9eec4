"""Region geometry: EXIF orientations, MWG/Microsoft notations, IoU matching."""

from __future__ import annotations

from dataclasses import astuple

import numpy as np
import pytest
from PIL import Image, ImageOps

from facedesk.core.regions import (
    StoredBox,
    applied_to_oriented,
    clip,
    from_mp_rectangle,
    from_mwg_area,
    from_stored,
    match_regions,
    mp_rectangle,
    mwg_area,
    ratio_box,
    stored_size,
    to_stored,
)
from facedesk.core.types import BoundingBox


@pytest.mark.parametrize("orientation", range(1, 9))
def test_to_stored_and_back_is_identity(orientation: int) -> None:
    box = BoundingBox(left=0.1, top=0.2, width=0.3, height=0.15)
    back = from_stored(to_stored(box, orientation), orientation)
    assert back.left == pytest.approx(box.left)
    assert back.top == pytest.approx(box.top)
    assert back.width == pytest.approx(box.width)
    assert back.height == pytest.approx(box.height)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_stored_box_lands_where_pillow_puts_the_pixels(orientation: int) -> None:
    """A marked block in the stored pixels is found, after Pillow's exif_transpose, exactly
    where from_stored says: the transforms agree with an independent implementation."""
    stored = np.zeros((60, 90), np.uint8)  # 90 wide, 60 high as stored
    stored[10:25, 20:50] = 255
    img = Image.fromarray(stored)
    exif = img.getexif()
    exif[0x0112] = orientation
    img.info["exif"] = exif.tobytes()
    shown = np.asarray(ImageOps.exif_transpose(img))
    ys, xs = np.nonzero(shown)
    h, w = shown.shape
    box = from_stored(StoredBox(20 / 90, 10 / 60, 30 / 90, 15 / 60), orientation)
    assert box.left == pytest.approx(xs.min() / w)
    assert box.top == pytest.approx(ys.min() / h)
    assert box.width == pytest.approx((xs.max() + 1 - xs.min()) / w)
    assert box.height == pytest.approx((ys.max() + 1 - ys.min()) / h)
    assert stored_size(w, h, orientation) == (90, 60)


def test_mwg_area_is_the_centre_and_microsoft_the_corner() -> None:
    box = StoredBox(0.1, 0.2, 0.3, 0.4)
    assert mwg_area(box) == pytest.approx((0.25, 0.4, 0.3, 0.4))
    assert astuple(from_mwg_area(*mwg_area(box))) == pytest.approx(astuple(box))
    assert mp_rectangle(box) == "0.100000, 0.200000, 0.300000, 0.400000"
    assert from_mp_rectangle("0.1, 0.2, 0.3, 0.4") == box
    with pytest.raises(ValueError):
        from_mp_rectangle("0.1, 0.2")


def test_pixel_areas_need_applied_to_dimensions() -> None:
    assert ratio_box(50, 40, 20, 20, "pixel", (100, 80)) == StoredBox(0.4, 0.375, 0.2, 0.25)
    with pytest.raises(ValueError):
        ratio_box(50, 40, 20, 20, "pixel", None)


def test_clip_keeps_boxes_inside_the_picture() -> None:
    clipped = clip(StoredBox(-0.1, 0.9, 0.3, 0.2))
    assert astuple(clipped) == pytest.approx((0.0, 0.9, 0.2, 0.1))


def test_regions_take_the_face_they_overlap_most_and_never_share_one() -> None:
    faces = [BoundingBox(0.1, 0.1, 0.2, 0.2), BoundingBox(0.5, 0.5, 0.2, 0.2)]
    regions = [
        BoundingBox(0.52, 0.5, 0.2, 0.2),  # face 1
        BoundingBox(0.12, 0.1, 0.2, 0.2),  # face 0
        BoundingBox(0.11, 0.1, 0.2, 0.2),  # also face 0, better: takes it
        BoundingBox(0.8, 0.0, 0.1, 0.1),  # nothing
    ]
    assert match_regions(regions, faces, 0.3) == [1, None, 0, None]


def test_displayed_dimensions_are_recognised_only_when_they_tell() -> None:
    assert applied_to_oriented((970, 2204), (2204, 970), 6)
    assert not applied_to_oriented((2204, 970), (2204, 970), 6)
    assert not applied_to_oriented((910, 1137), (910, 1137), 3)
    assert not applied_to_oriented(None, (2204, 970), 6)
