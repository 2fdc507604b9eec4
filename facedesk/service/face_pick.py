"""Search with any face of a photo, not only the largest (SearchFacesByImage's rule).

The photo is analysed as SearchFacesByImage analyses it (strict limits, the collection's
face model, QualityFilter NONE); the faces come largest first, so face 0 is the face
SearchFacesByImage would search with, and the answer lists every face's box so the GUI can
offer the others.
"""

from __future__ import annotations

from typing import Any

from facedesk.core.errors import InvalidParameterException
from facedesk.service.context import ServiceContext
from facedesk.service.operations import decode_request_image
from facedesk.service.search import DEFAULT_THRESHOLD, NO_FACE_MESSAGE, _matches, searchable_faces


def search_with_face(
    ctx: ServiceContext,
    collection_id: str,
    image_bytes: bytes,
    face_index: int = 0,
    threshold: float = DEFAULT_THRESHOLD,
    max_faces: int | None = None,
) -> dict[str, Any]:
    """SearchFacesByImage's response for the photo's ``face_index``-th face (largest first),
    plus ``SearchableFaces``: every face's BoundingBox in that order."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        model_version = uow.collections.face_model_version(collection_id)
    decoded = decode_request_image({"Bytes": image_bytes})
    kept, _ = searchable_faces(decoded, ctx.analyze(decoded, model_version), "NONE")
    if not kept:
        raise InvalidParameterException(NO_FACE_MESSAGE)
    if not 0 <= face_index < len(kept):
        raise InvalidParameterException(
            f"The photo has {len(kept)} face(s); face {face_index + 1} does not exist."
        )
    face = kept[face_index]
    return {
        "SearchedFaceBoundingBox": face.bounding_box.to_dict(),
        "SearchedFaceConfidence": face.confidence,
        "FaceMatches": _matches(ctx, collection_id, face.descriptor, threshold, max_faces),
        "FaceModelVersion": model_version,
        "SearchableFaces": [f.bounding_box.to_dict() for f in kept],
    }
