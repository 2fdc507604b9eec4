"""SearchFaces, SearchFacesByImage and CompareFaces.

Similarity everywhere is :func:`facedesk.core.similarity.similarity` of the descriptor
distance (100 at 0, 80 at dlib's same-person distance 0.6), so the default thresholds
mean what dlib means by "same person".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from facedesk.core import quality
from facedesk.core.errors import InvalidParameterException, ResourceNotFoundException
from facedesk.core.similarity import distance_for_similarity, similarity
from facedesk.core.types import DecodedImage, DetectedFace
from facedesk.service.context import ServiceContext
from facedesk.service.face_plan import largest_faces_first
from facedesk.service.operations import Params, Response, decode_request_image
from facedesk.service.ports import Faces
from facedesk.service.shapes import compared_face

DEFAULT_THRESHOLD = 80.0
MAX_MATCHES = 4096
NO_FACE_MESSAGE = "There are no faces in the image. Should be at least 1."


def searchable_faces(
    image: DecodedImage, faces: list[DetectedFace], quality_filter: str
) -> tuple[list[DetectedFace], list[tuple[DetectedFace, list[str]]]]:
    """Faces largest first that pass the QualityFilter, and the others with their reasons."""
    ordered = largest_faces_first(faces)
    kept: list[DetectedFace] = []
    filtered: list[tuple[DetectedFace, list[str]]] = []
    for f in ordered:
        reasons = quality.reasons(
            quality.FaceMeasure.of(f, image.width, image.height), quality_filter
        )
        if reasons:
            filtered.append((f, reasons))
        else:
            kept.append(f)
    return kept, filtered


def largest_face(
    ctx: ServiceContext, image: Params, quality_filter: str, version: str | None = None
) -> DetectedFace:
    """The largest face that passes the filter, found by ``version``'s engine (default:
    the context's)."""
    decoded = decode_request_image(image)
    kept, _ = searchable_faces(decoded, ctx.analyze(decoded, version), quality_filter)
    if not kept:
        raise InvalidParameterException(NO_FACE_MESSAGE)
    return kept[0]


def _matches(
    ctx: ServiceContext,
    collection_id: str,
    query: np.ndarray,
    threshold: float,
    max_faces: int | None,
    exclude: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The matches of ``query`` in a unit of work of their own (face_pick's search)."""
    with ctx.unit_of_work(read_only=True) as uow:
        stored = uow.collection(collection_id).faces
        return _matches_in(ctx, stored, collection_id, query, threshold, max_faces, exclude)


def _matches_in(
    ctx: ServiceContext,
    stored: Faces,
    collection_id: str,
    query: np.ndarray,
    threshold: float,
    max_faces: int | None,
    exclude: set[str] | None = None,
) -> list[dict[str, Any]]:
    """The matches of ``query``, read through the caller's unit of work (``stored`` is its
    collection's faces): the search and the matched faces' rows in one transaction."""
    k = min(max_faces or MAX_MATCHES, MAX_MATCHES)
    max_distance = float(distance_for_similarity(threshold))
    if ctx.store.is_postgresql:
        # In the database (pgvector candidates, exact float32 re-rank): a collection never
        # has to fit in this process's memory.
        hits = stored.nearest(query, k, max_distance, exclude)
    else:
        # The in-memory matrix; it reads the database itself only when it is not loaded or
        # someone committed since it last looked (ctx.vectors).
        hits = ctx.vectors(collection_id).search(
            query, k, max_distance=max_distance, exclude=exclude
        )
    if not hits:
        return []
    faces = {f.face_id: f for f in stored.get_many([fid for fid, _ in hits])}
    matches = []
    for fid, distance in hits:
        score = float(similarity(distance))
        # The distance cut-off is the threshold's exact inverse; rounding can leave a face
        # a hair under it, and a face deleted by another process may still be in the matrix.
        if score >= threshold and fid in faces:
            matches.append({"Similarity": score, "Face": faces[fid].to_face_dict()})
    return matches


def search_faces(ctx: ServiceContext, p: Params) -> Response:
    cid, face_id = p["CollectionId"], p["FaceId"]
    # One unit of work: the searched face, the search and the matched faces' rows.
    with ctx.unit_of_work(read_only=True) as uow:
        collection = uow.collection(cid)
        model_version = collection.face_model_version
        face = collection.faces.get(face_id)
        if face is None:
            raise ResourceNotFoundException(f"The face id: {face_id} does not exist in {cid}")
        matches = _matches_in(
            ctx,
            collection.faces,
            cid,
            face.embedding,
            p.get("FaceMatchThreshold", DEFAULT_THRESHOLD),
            p.get("MaxFaces"),
            exclude={face_id},
        )
    return {
        "SearchedFaceId": face_id,
        "FaceMatches": matches,
        "FaceModelVersion": model_version,
    }


def search_faces_by_image(ctx: ServiceContext, p: Params) -> Response:
    cid = p["CollectionId"]
    model_version = ctx.collection_version(cid)
    face = largest_face(ctx, p["Image"], p.get("QualityFilter", "NONE"), model_version)
    # The version first (it picks the engine), then the analysis outside any transaction,
    # then one unit of work for the search and the matched faces' rows.
    matches = _matches(
        ctx, cid, face.descriptor, p.get("FaceMatchThreshold", DEFAULT_THRESHOLD), p.get("MaxFaces")
    )
    return {
        "SearchedFaceBoundingBox": face.bounding_box.to_dict(),
        "SearchedFaceConfidence": face.confidence,
        "FaceMatches": matches,
        "FaceModelVersion": model_version,
    }


def compare_faces(ctx: ServiceContext, p: Params) -> Response:
    quality_filter = p.get("QualityFilter", "NONE")
    threshold = p.get("SimilarityThreshold", DEFAULT_THRESHOLD)
    source = largest_face(ctx, p["SourceImage"], quality_filter)
    target_image = decode_request_image(p["TargetImage"])
    targets, _ = searchable_faces(target_image, ctx.analyze(target_image), quality_filter)
    if not targets:
        raise InvalidParameterException(NO_FACE_MESSAGE)
    scored = [
        (float(similarity(float(np.linalg.norm(t.descriptor - source.descriptor)))), t)
        for t in targets
    ]
    matched = sorted((s for s in scored if s[0] >= threshold), key=lambda s: s[0], reverse=True)
    out: Response = {
        "SourceImageFace": {
            "BoundingBox": source.bounding_box.to_dict(),
            "Confidence": source.confidence,
        },
        "FaceMatches": [{"Similarity": s, "Face": compared_face(t)} for s, t in matched],
        "UnmatchedFaces": [compared_face(t) for s, t in scored if s < threshold],
    }
    return out
