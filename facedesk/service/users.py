"""User vectors: CreateUser, DeleteUser, ListUsers, AssociateFaces, DisassociateFaces,
SearchUsers and SearchUsersByImage.

A user's vector is the mean of its faces' descriptors; similarity to a user is the same
curve as face-to-face similarity, so thresholds read the same everywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from facedesk.core.errors import (
    IdempotentParameterMismatchException,
    InvalidParameterException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)
from facedesk.core.similarity import distance_for_similarity, similarity
from facedesk.core.types import UserInfo
from facedesk.service import pagination
from facedesk.service.context import ServiceContext
from facedesk.service.operations import Params, Response, decode_request_image
from facedesk.service.people_journal import MAX_FACES_PER_USER
from facedesk.service.ports import Collection
from facedesk.service.search import searchable_faces
from facedesk.service.shapes import face_detail

ASSOCIATE_THRESHOLD = 75.0
SEARCH_THRESHOLD = 80.0
DEFAULT_MAX_USERS = 500


def _idempotent(
    ctx: ServiceContext, operation: str, p: Params, action: Callable[[], Response]
) -> Response:
    """Replay the stored response for a repeated ClientRequestToken with the same request."""
    token = p.get("ClientRequestToken")
    if token is None:
        return action()
    cid = p["CollectionId"]
    fingerprint = hashlib.sha256(
        json.dumps(
            {k: v for k, v in p.items() if k != "ClientRequestToken"}, sort_keys=True, default=str
        ).encode()
    ).hexdigest()
    with ctx.unit_of_work() as uow:
        seen = uow.collection(cid).tokens.get(operation, token)
    if seen is not None:
        if seen[0] != fingerprint:
            raise IdempotentParameterMismatchException(
                f"The ClientRequestToken: {token} you have supplied is already in use."
            )
        return dict(seen[1])
    response = action()
    with ctx.unit_of_work() as uow:
        uow.collection(cid).tokens.put(operation, token, fingerprint, response)
        uow.commit()
    return response


def _require_user(collection: Collection, user_id: str) -> UserInfo:
    user = collection.users.get(user_id)
    if user is None:
        raise ResourceNotFoundException(
            f"The user id: {user_id} does not exist in {collection.collection_id}"
        )
    return user


def create_user(ctx: ServiceContext, p: Params) -> Response:
    def action() -> Response:
        with ctx.unit_of_work() as uow:
            collection = uow.collection(p["CollectionId"])
            collection.users.add(UserInfo(p["CollectionId"], p["UserId"], status="ACTIVE"))
            uow.commit()
        return {}

    return _idempotent(ctx, "CreateUser", p, action)


def delete_user(ctx: ServiceContext, p: Params) -> Response:
    def action() -> Response:
        cid, uid = p["CollectionId"], p["UserId"]
        with ctx.unit_of_work() as uow:
            collection = uow.collection(cid)
            _require_user(collection, uid)
            collection.faces.set_user(collection.users.face_ids(uid), None)
            collection.users.delete(uid)
            uow.commit()
        return {}

    return _idempotent(ctx, "DeleteUser", p, action)


def list_users(ctx: ServiceContext, p: Params) -> Response:
    cid = p["CollectionId"]
    limit = p.get("MaxResults", DEFAULT_MAX_USERS)
    scope = ["ListUsers", cid]
    after_raw = pagination.decode(scope, p.get("NextToken"))
    after = int(after_raw) if after_raw is not None else None
    with ctx.unit_of_work(read_only=True) as uow:
        page = uow.collection(cid).users.list_page_by_position(after, limit + 1)
    more, page = len(page) > limit, page[:limit]
    out: Response = {"Users": [{"UserId": u.user_id, "UserStatus": u.status} for _, u in page]}
    if more:
        out["NextToken"] = pagination.encode(scope, str(page[-1][0]))
    return out


def _centroid(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    return np.asarray(vectors.mean(axis=0), dtype=np.float32)


def _similarity_to(vector: npt.NDArray[np.float32], centroid: npt.NDArray[np.float32]) -> float:
    return float(similarity(float(np.linalg.norm(vector - centroid))))


def associate_faces(ctx: ServiceContext, p: Params) -> Response:
    def action() -> Response:
        cid, uid = p["CollectionId"], p["UserId"]
        threshold = p.get("UserMatchThreshold", ASSOCIATE_THRESHOLD)
        requested = list(dict.fromkeys(p["FaceIds"]))
        associated: list[str] = []
        unsuccessful: list[dict[str, Any]] = []
        with ctx.unit_of_work() as uow:
            collection = uow.collection(cid)
            _require_user(collection, uid)
            current = collection.users.face_ids(uid)
            faces = {f.face_id: f for f in collection.faces.get_many(requested + current)}
            centroid = (
                _centroid(np.stack([faces[f].embedding for f in current])) if current else None
            )
            for fid in requested:
                face = faces.get(fid)
                if face is None:
                    unsuccessful.append({"FaceId": fid, "Reasons": ["FACE_NOT_FOUND"]})
                elif face.user_id == uid:
                    continue  # already this user's: silently ignored, as Rekognition does
                elif face.user_id is not None:
                    unsuccessful.append(
                        {
                            "FaceId": fid,
                            "UserId": face.user_id,
                            "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"],
                        }
                    )
                elif (
                    centroid is not None
                    and (score := _similarity_to(face.embedding, centroid)) < threshold
                ):
                    unsuccessful.append(
                        {
                            "FaceId": fid,
                            "UserId": uid,
                            "Confidence": score,
                            "Reasons": ["LOW_MATCH_CONFIDENCE"],
                        }
                    )
                else:
                    associated.append(fid)
            if len(current) + len(associated) > MAX_FACES_PER_USER:
                raise ServiceQuotaExceededException(
                    f"A user can have at most {MAX_FACES_PER_USER} faces; {uid} has "
                    f"{len(current)} and this request adds {len(associated)}."
                )
            if associated:
                collection.faces.set_user(associated, uid)
            uow.commit()
        return {
            "AssociatedFaces": [{"FaceId": f} for f in associated],
            "UnsuccessfulFaceAssociations": unsuccessful,
            "UserStatus": "ACTIVE",
        }

    return _idempotent(ctx, "AssociateFaces", p, action)


def disassociate_faces(ctx: ServiceContext, p: Params) -> Response:
    def action() -> Response:
        cid, uid = p["CollectionId"], p["UserId"]
        requested = list(dict.fromkeys(p["FaceIds"]))
        done: list[str] = []
        unsuccessful: list[dict[str, Any]] = []
        with ctx.unit_of_work() as uow:
            collection = uow.collection(cid)
            _require_user(collection, uid)
            faces = {f.face_id: f for f in collection.faces.get_many(requested)}
            for fid in requested:
                face = faces.get(fid)
                if face is None:
                    unsuccessful.append({"FaceId": fid, "Reasons": ["FACE_NOT_FOUND"]})
                elif face.user_id != uid:
                    entry: dict[str, Any] = {
                        "FaceId": fid,
                        "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"],
                    }
                    if face.user_id is not None:
                        entry["UserId"] = face.user_id
                    unsuccessful.append(entry)
                else:
                    done.append(fid)
            if done:
                collection.faces.set_user(done, None)
            uow.commit()
        return {
            "DisassociatedFaces": [{"FaceId": f} for f in done],
            "UnsuccessfulFaceDisassociations": unsuccessful,
            "UserStatus": "ACTIVE",
        }

    return _idempotent(ctx, "DisassociateFaces", p, action)


def _user_centroids(collection: Collection) -> dict[str, npt.NDArray[np.float32]]:
    centroids: dict[str, npt.NDArray[np.float32]] = {}
    after: int | None = None
    while True:
        page = collection.users.list_page_by_position(after, 500)
        if not page:
            return centroids
        for _, user in page:
            centroid = _user_centroid(collection, user.user_id)
            if centroid is not None:
                centroids[user.user_id] = centroid
        after = page[-1][0]


def _user_centroid(collection: Collection, user_id: str) -> npt.NDArray[np.float32] | None:
    ids = collection.users.face_ids(user_id)
    if not ids:
        return None
    return _centroid(np.stack([f.embedding for f in collection.faces.get_many(ids)]))


# Candidate users beyond MaxUsers, and the distance margin, for the database's float8 means.
_USER_CANDIDATE_MARGIN = 16
_MEAN_DISTANCE_SLACK = 1e-3


def _candidate_centroids(
    collection: Collection, query: npt.NDArray[np.float32], threshold: float, max_users: int
) -> dict[str, npt.NDArray[np.float32]]:
    """The centroids to score: every user's on SQLite; on PostgreSQL only those of the users
    the database ranks nearest by their mean vector (a float8 mean, hence a margin in count
    and distance), so the collection's faces never come into this process. Scores always
    come from the same float32 centroids (``_centroid``): identical on both backends."""
    max_distance = float(distance_for_similarity(threshold)) + _MEAN_DISTANCE_SLACK
    limit = max_users + 1 + _USER_CANDIDATE_MARGIN  # +1: the searched user itself
    candidates = collection.users.nearest_by_mean(query, limit, max_distance)
    if candidates is None:
        return _user_centroids(collection)
    out: dict[str, npt.NDArray[np.float32]] = {}
    for uid in candidates:
        centroid = _user_centroid(collection, uid)
        if centroid is not None:
            out[uid] = centroid
    return out


def _user_matches(
    centroids: dict[str, npt.NDArray[np.float32]],
    query: npt.NDArray[np.float32],
    threshold: float,
    max_users: int,
    exclude: str | None = None,
) -> list[dict[str, Any]]:
    scored = [(_similarity_to(query, c), uid) for uid, c in centroids.items() if uid != exclude]
    scored = sorted((s for s in scored if s[0] >= threshold), reverse=True)[:max_users]
    return [{"Similarity": s, "User": {"UserId": uid, "UserStatus": "ACTIVE"}} for s, uid in scored]


def search_users(ctx: ServiceContext, p: Params) -> Response:
    cid = p["CollectionId"]
    user_id, face_id = p.get("UserId"), p.get("FaceId")
    if (user_id is None) == (face_id is None):
        raise InvalidParameterException("Provide exactly one of UserId or FaceId.")
    threshold = p.get("UserMatchThreshold", SEARCH_THRESHOLD)
    max_users = p.get("MaxUsers", DEFAULT_MAX_USERS)
    with ctx.unit_of_work(read_only=True) as uow:
        collection = uow.collection(cid)
        model_version = collection.face_model_version
        if face_id is not None:
            face = collection.faces.get(face_id)
            if face is None:
                raise ResourceNotFoundException(f"The face id: {face_id} does not exist in {cid}")
            query = face.embedding
        else:
            assert user_id is not None
            _require_user(collection, user_id)
            own = _user_centroid(collection, user_id)
            if own is None:
                raise InvalidParameterException(
                    f"The user id: {user_id} has no faces to search with."
                )
            query = own
        centroids = _candidate_centroids(collection, query, threshold, max_users)
    out: Response = {
        "UserMatches": _user_matches(centroids, query, threshold, max_users, exclude=user_id),
        "FaceModelVersion": model_version,
    }
    if face_id is not None:
        out["SearchedFace"] = {"FaceId": face_id}
    else:
        out["SearchedUser"] = {"UserId": user_id}
    return out


def search_users_by_image(ctx: ServiceContext, p: Params) -> Response:
    cid = p["CollectionId"]
    model_version = ctx.collection_version(cid)
    image = decode_request_image(p["Image"])
    kept, filtered = searchable_faces(
        image, ctx.analyze(image, model_version), p.get("QualityFilter", "NONE")
    )
    out: Response = {"UserMatches": [], "FaceModelVersion": model_version}
    unsearched = [{"FaceDetails": face_detail(f, frozenset()), "Reasons": r} for f, r in filtered]
    if kept:
        face = kept[0]
        unsearched = [
            {"FaceDetails": face_detail(f, frozenset()), "Reasons": ["FACE_NOT_LARGEST"]}
            for f in kept[1:]
        ] + unsearched
        threshold = p.get("UserMatchThreshold", SEARCH_THRESHOLD)
        max_users = p.get("MaxUsers", DEFAULT_MAX_USERS)
        with ctx.unit_of_work(read_only=True) as uow:
            collection = uow.collection(cid)
            centroids = _candidate_centroids(collection, face.descriptor, threshold, max_users)
        out["UserMatches"] = _user_matches(centroids, face.descriptor, threshold, max_users)
        out["SearchedFace"] = {"FaceDetail": face_detail(face, frozenset())}
    out["UnsearchedFaces"] = unsearched  # empty lists are returned (README: "Wire shape")
    return out
