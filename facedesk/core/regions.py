"""Face regions as other photo managers store them (MWG-RS, Microsoft Photo), pure geometry.

Three coordinate systems meet here:

- facedesk's ``BoundingBox``: ratios of the image *after* its EXIF orientation is applied,
  top-left corner, as Rekognition gives them;
- MWG-RS ``Area``: ratios of the image *as stored* (before the orientation is applied; the
  MWG guidelines 2.0, 5.9: "Region metadata is applied to the stored image. When applying a
  rotation by applying Exif Orientation, the rotation must be applied to the regions as
  well"), with x/y the *centre* of the box;
- Microsoft ``MPReg:Rectangle``: "x, y, w, h" ratios of the stored image, top-left corner.

``StoredBox`` is a top-left box in stored-image ratios; every conversion goes through it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from facedesk.core.types import BoundingBox

# EXIF Orientation: how a ratio point (u, v) of the stored image lands in the displayed image.
# Row/column semantics from the EXIF spec (6: "0th row is the visual right side, 0th column
# is the visual top"), the same transforms Pillow's ImageOps.exif_transpose applies.
_FORWARD: dict[int, Callable[[float, float], tuple[float, float]]] = {
    1: lambda u, v: (u, v),
    2: lambda u, v: (1 - u, v),
    3: lambda u, v: (1 - u, 1 - v),
    4: lambda u, v: (u, 1 - v),
    5: lambda u, v: (v, u),
    6: lambda u, v: (1 - v, u),
    7: lambda u, v: (1 - v, 1 - u),
    8: lambda u, v: (v, 1 - u),
}
# Each orientation's inverse; only the quarter turns differ from themselves.
_INVERSE = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}
TRANSPOSING = frozenset({5, 6, 7, 8})


@dataclass(frozen=True, slots=True)
class StoredBox:
    """A box in ratios of the stored (un-oriented) image, top-left corner."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Region:
    """One face region read from or written to a file, in stored-image ratios."""

    box: StoredBox
    name: str | None = None
    type: str = "Face"


def valid_orientation(orientation: int | None) -> int:
    """Orientation values outside 1..8 (absent, 0, garbage) mean "as stored"."""
    return orientation if orientation in _FORWARD else 1


def _map_box(
    left: float, top: float, width: float, height: float, orientation: int
) -> tuple[float, ...]:
    fn = _FORWARD[orientation]
    (x1, y1), (x2, y2) = fn(left, top), fn(left + width, top + height)
    return min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1)


def to_stored(box: BoundingBox, orientation: int) -> StoredBox:
    """facedesk's box (oriented image) -> the same box on the stored image."""
    o = _INVERSE[valid_orientation(orientation)]
    return StoredBox(*_map_box(box.left, box.top, box.width, box.height, o))


def from_stored(box: StoredBox, orientation: int) -> BoundingBox:
    """A box on the stored image -> facedesk's box on the oriented image."""
    o = valid_orientation(orientation)
    left, top, width, height = _map_box(box.left, box.top, box.width, box.height, o)
    return BoundingBox(left=left, top=top, width=width, height=height)


def stored_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """The stored image's pixel size from the oriented size (quarter turns swap them)."""
    return (height, width) if valid_orientation(orientation) in TRANSPOSING else (width, height)


def clip(box: StoredBox) -> StoredBox:
    """Keep a box inside the picture: detector boxes may overhang the edges, but MWG areas
    are ratios of the image and readers (digiKam, exiftool's checks) expect 0..1."""
    left, top = max(0.0, box.left), max(0.0, box.top)
    right = min(1.0, box.left + box.width)
    bottom = min(1.0, box.top + box.height)
    return StoredBox(left, top, max(0.0, right - left), max(0.0, bottom - top))


# -- MWG-RS and Microsoft notations ------------------------------------------------------


def mwg_area(box: StoredBox) -> tuple[float, float, float, float]:
    """(x, y, w, h) of an MWG Area: x/y is the box's centre."""
    return box.left + box.width / 2, box.top + box.height / 2, box.width, box.height


def from_mwg_area(x: float, y: float, w: float, h: float) -> StoredBox:
    return StoredBox(x - w / 2, y - h / 2, w, h)


def mp_rectangle(box: StoredBox) -> str:
    """Microsoft's "x, y, w, h" text, top-left corner."""
    return ", ".join(f"{v:.6f}" for v in (box.left, box.top, box.width, box.height))


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def from_mp_rectangle(text: str) -> StoredBox:
    """Parse "x, y, w, h"; ValueError for anything else."""
    values = [float(v) for v in _NUMBER.findall(text)]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"not a Microsoft region rectangle: {text!r}")
    return StoredBox(*values)


def ratio_box(
    x: float, y: float, w: float, h: float, unit: str | None, size: tuple[int, int] | None
) -> StoredBox:
    """An MWG Area in its unit -> ratios. Pixel areas need AppliedToDimensions."""
    if unit in (None, "", "normalized"):
        return from_mwg_area(x, y, w, h)
    if unit == "pixel" and size and size[0] > 0 and size[1] > 0:
        sw, sh = size
        return from_mwg_area(x / sw, y / sh, w / sw, h / sh)
    raise ValueError(f"region area unit {unit!r} cannot be converted to ratios")


# -- matching ------------------------------------------------------------------------------


def iou(a: BoundingBox, b: BoundingBox) -> float:
    """Intersection over union of two boxes (0 when they do not overlap)."""
    left, top = max(a.left, b.left), max(a.top, b.top)
    right = min(a.left + a.width, b.left + b.width)
    bottom = min(a.top + a.height, b.top + b.height)
    inter = max(0.0, right - left) * max(0.0, bottom - top)
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def match_regions(
    regions: list[BoundingBox], faces: list[BoundingBox], min_iou: float
) -> list[int | None]:
    """For each region, the index of the face it overlaps most (IoU >= ``min_iou``).

    Greedy on the best pairs first, so two regions never take the same face: a face claimed
    by a better-overlapping region is not given to a worse one.
    """
    pairs = sorted(
        (
            (iou(r, f), ri, fi)
            for ri, r in enumerate(regions)
            for fi, f in enumerate(faces)
            if iou(r, f) >= min_iou
        ),
        reverse=True,
    )
    out: list[int | None] = [None] * len(regions)
    taken: set[int] = set()
    for _, ri, fi in pairs:
        if out[ri] is None and fi not in taken:
            out[ri] = fi
            taken.add(fi)
    return out


def applied_to_oriented(
    applied: tuple[int, int] | None, stored: tuple[int, int], orientation: int
) -> bool:
    """True when a writer measured a quarter-turned photo's regions on the displayed image.

    The MWG rule is the stored image, but some writers use the displayed one; their
    AppliedToDimensions then give the photo's size swapped. Only then can the two be told
    apart, so only then are the regions read as oriented.
    """
    if applied is None or valid_orientation(orientation) not in TRANSPOSING:
        return False
    sw, sh = stored
    return applied != (sw, sh) and applied == (sh, sw)
