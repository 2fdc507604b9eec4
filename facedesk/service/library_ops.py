"""The Rekognition operations the app runs, in the Library's typed shapes.

Each goes through the same request validation and service function as the boto3-shaped
client's method, so the app meets the same limits and errors (named after the
operation); the answers come back as small frozen dataclasses instead of response dicts
where the app reads them field by field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from facedesk.core.errors import ClientError
from facedesk.service.context import ServiceContext

DELETE_CHUNK = 4096  # DeleteFaces takes at most 4096 FaceIds a request


@dataclass(frozen=True)
class FaceDeletion:
    """What DeleteFaces did: the FaceIds deleted, and Rekognition's
    ``UnsuccessfulFaceDeletions`` entries for those it kept (each with its Reasons)."""

    deleted: list[str]
    refused: list[dict[str, Any]]


@dataclass(frozen=True)
class FaceSearch:
    """A search's searched face (box and confidence in Rekognition's shapes, and its
    photo for a stored face) and its ``FaceMatches`` (Similarity and Face), best first."""

    searched_box: dict[str, float] | None
    searched_confidence: float | None
    searched_image_id: str | None
    matches: tuple[dict[str, Any], ...]


Operation = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]


def run_operation(
    ctx: ServiceContext, name: str, function: Operation, **request: Any
) -> dict[str, Any]:
    """A Rekognition operation as the client runs it: the request validated against the
    model first, errors named after the operation."""
    from facedesk.service.validation import validate_request

    try:
        return function(ctx, validate_request(name, request))
    except ClientError as exc:
        raise exc.with_operation(name) from None


def describe_collection(ctx: ServiceContext, collection_id: str) -> dict[str, Any]:
    from facedesk.service import operations

    return run_operation(
        ctx, "DescribeCollection", operations.describe_collection, CollectionId=collection_id
    )


def delete_collection(ctx: ServiceContext, collection_id: str) -> None:
    from facedesk.service import operations

    run_operation(ctx, "DeleteCollection", operations.delete_collection, CollectionId=collection_id)


def delete_faces(ctx: ServiceContext, collection_id: str, face_ids: Sequence[str]) -> FaceDeletion:
    from facedesk.service import operations

    ids = list(face_ids)
    deleted: list[str] = []
    refused: list[dict[str, Any]] = []
    for start in range(0, len(ids), DELETE_CHUNK):
        resp = run_operation(
            ctx,
            "DeleteFaces",
            operations.delete_faces,
            CollectionId=collection_id,
            FaceIds=ids[start : start + DELETE_CHUNK],
        )
        deleted.extend(resp.get("DeletedFaces", []))
        refused.extend(resp.get("UnsuccessfulFaceDeletions", []))
    return FaceDeletion(deleted, refused)


def search_by_image(
    ctx: ServiceContext, collection_id: str, image: bytes, threshold: float, max_faces: int
) -> FaceSearch:
    from facedesk.service import search

    resp = run_operation(
        ctx,
        "SearchFacesByImage",
        search.search_faces_by_image,
        CollectionId=collection_id,
        Image={"Bytes": image},
        FaceMatchThreshold=threshold,
        MaxFaces=max_faces,
    )
    return FaceSearch(
        resp.get("SearchedFaceBoundingBox"),
        resp.get("SearchedFaceConfidence"),
        None,
        tuple(resp.get("FaceMatches", [])),
    )


def search_by_face(
    ctx: ServiceContext, collection_id: str, face_id: str, threshold: float, max_faces: int
) -> FaceSearch:
    from facedesk.service import search
    from facedesk.storage.library_queries import face_without_embedding

    resp = run_operation(
        ctx,
        "SearchFaces",
        search.search_faces,
        CollectionId=collection_id,
        FaceId=face_id,
        FaceMatchThreshold=threshold,
        MaxFaces=max_faces,
    )
    matches = tuple(resp.get("FaceMatches", []))
    # the searched face's box and photo, its descriptor left unread (ListFaces read it)
    with ctx.db.unit_of_work(read_only=True) as uow:
        face = face_without_embedding(uow, collection_id, face_id)
    if face is None:  # deleted between the two reads: the matches still stand
        return FaceSearch(None, None, None, matches)
    return FaceSearch(face.bounding_box.to_dict(), face.confidence, face.image_id, matches)
