"""Deterministic identifiers.

Rekognition gives the same FaceIds when one image is indexed into several collections
on the same model, and its example ids are name-based (UUID version 5). facedesk derives
ImageId from the image bytes and FaceId from (model, bytes, ExternalImageId, box), so
re-indexing is idempotent and ids agree across collections and machines.
"""

from __future__ import annotations

import uuid

from facedesk.core.types import BoundingBox

_NAMESPACE = uuid.UUID("5b0c3a5e-6f1d-5c8e-9a57-6a8f1d3e2c41")


def image_id(sha256_hex: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"image:{sha256_hex}"))


def face_id(
    sha256_hex: str, model_version: str, external_image_id: str | None, box: BoundingBox
) -> str:
    key = (
        f"face:{model_version}:{sha256_hex}:{external_image_id or ''}:"
        f"{box.left:.5f}:{box.top:.5f}:{box.width:.5f}:{box.height:.5f}"
    )
    return str(uuid.uuid5(_NAMESPACE, key))
