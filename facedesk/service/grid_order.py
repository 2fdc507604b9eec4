"""Where a photo or face just indexed goes among the rows already shown (Qt-free).

The keys are the ones storage orders by (``summary_order`` and ``FaceGridKey``), so a
row added live lands where the next reload would put it.
"""

from __future__ import annotations

from typing import Any

from facedesk.core.sorting import natural_key
from facedesk.core.types import ImageSummary, StoredFace


def photo_order_key(item: ImageSummary, sort: str) -> Any:
    """The photo grid's key for ``sort``; storage breaks ties by record order, so a new
    photo goes after its equals (insert with bisect_right)."""
    if sort == "name":
        return natural_key(item.external_image_id or item.image_id[:8])
    if sort == "date":
        return -item.indexed_at.timestamp()
    if sort == "faces":
        return -item.face_count
    raise ValueError(f"unknown sort {sort!r}")


def face_grid_key(face: StoredFace) -> tuple[str, str, float, str]:
    """Photo by photo, largest face first, FaceId last: FaceGridKey's order."""
    box = face.bounding_box
    return (face.image_id, face.external_image_id or "", -(box.width * box.height), face.face_id)
