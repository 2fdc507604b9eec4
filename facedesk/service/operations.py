"""Rekognition's collection and face operations: validated params in, response dicts out.

Each function takes the ServiceContext and the already-validated request parameters.
Search, compare and user operations live in :mod:`facedesk.service.search` and
:mod:`facedesk.service.users`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from facedesk.core import ids
from facedesk.core.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    collection_not_found,
)
from facedesk.core.names import collection_id_from_name
from facedesk.core.types import CollectionInfo, DecodedImage
from facedesk.service import pagination
from facedesk.service.context import ServiceContext, collection_arn
from facedesk.service.face_plan import largest_faces_first
from facedesk.service.index_faces import (
    IndexRequest,
    commit_index,
    prepare_index,
    stored_response,
)
from facedesk.service.shapes import expand_attributes, face_detail

if TYPE_CHECKING:
    from facedesk.service.ports import Collection

DEFAULT_PAGE_SIZE = 1000

Params = dict[str, Any]
Response = dict[str, Any]


def decode_request_image(image: Params, sha256: str | None = None) -> DecodedImage:
    """Image={'Bytes': ...} under Rekognition's strict limits (JPEG/PNG, <= 5 MiB, >= 80 px).
    ``sha256``: the bytes' digest when the caller has it already."""
    from facedesk.core.errors import InvalidS3ObjectException
    from facedesk.engine import STRICT_LIMITS, decode_image

    if "S3Object" in image:
        raise InvalidS3ObjectException(
            "Unable to get object metadata from S3: facedesk works offline; "
            "pass Image={'Bytes': ...}."
        )
    if "Bytes" not in image:
        raise InvalidParameterException("Image must have Bytes.")
    return decode_image(image["Bytes"], STRICT_LIMITS, sha256=sha256)


def add_collection(
    ctx: ServiceContext,
    collection_id: str | None,
    display_name: str | None = None,
    model_version: str | None = None,
) -> CollectionInfo:
    """Create a collection on ``model_version`` (default: the context's version, which is
    the engine's newest unless the client chose one). With no id, one is made from
    ``display_name`` ("My Family" -> "My_Family", "My_Family_2" when taken), in the same
    transaction that checks it is free."""
    from facedesk.engine.versions import check_version

    try:
        version = check_version(model_version) if model_version else ctx.default_version()
    except ValueError as exc:
        raise InvalidParameterException(str(exc)) from None
    with ctx.unit_of_work() as uow:
        cid = collection_id or collection_id_from_name(display_name or "", uow.collections.ids())
        info = CollectionInfo(
            cid, version, collection_arn(cid), datetime.now(UTC), display_name=display_name
        )
        uow.collections.add(info)
        uow.commit()
    return info


def create_collection(ctx: ServiceContext, p: Params, model_version: str | None = None) -> Response:
    """CreateCollection; ``model_version`` is facedesk's extension."""
    info = add_collection(ctx, p["CollectionId"], model_version=model_version)
    return {
        "StatusCode": 200,
        "CollectionArn": info.arn,
        "FaceModelVersion": info.face_model_version,
    }


def delete_collection(ctx: ServiceContext, p: Params) -> Response:
    cid = p["CollectionId"]
    with ctx.unit_of_work() as uow:
        if not uow.collections.delete(cid):
            raise collection_not_found(cid)
        uow.commit()  # publishes CollectionDropped: the search matrix goes with it
    return {"StatusCode": 200}


def list_collections(ctx: ServiceContext, p: Params) -> Response:
    limit = p.get("MaxResults", DEFAULT_PAGE_SIZE)
    after = pagination.decode(["ListCollections"], p.get("NextToken"))
    with ctx.unit_of_work(read_only=True) as uow:
        page = uow.collections.list_page(after, limit + 1)
    more, page = len(page) > limit, page[:limit]
    out: Response = {
        "CollectionIds": [c.collection_id for c in page],
        "FaceModelVersions": [c.face_model_version for c in page],
    }
    if more:
        last = page[-1].collection_id if page else (after or "")
        out["NextToken"] = pagination.encode(["ListCollections"], last)
    return out


def describe_collection(ctx: ServiceContext, p: Params) -> Response:
    with ctx.unit_of_work(read_only=True) as uow:
        c = uow.collections.require(p["CollectionId"])
    return {
        "FaceCount": c.face_count,
        "FaceModelVersion": c.face_model_version,
        "CollectionARN": c.arn,
        "CreationTimestamp": c.created_at,
        "UserCount": c.user_count,
    }


def index_faces(ctx: ServiceContext, p: Params) -> Response:
    cid, external_image_id = p["CollectionId"], p.get("ExternalImageId")
    raw = p["Image"].get("Bytes")
    sha256 = hashlib.sha256(raw).hexdigest() if isinstance(raw, bytes | bytearray) else None
    # One read: the collection (unknown: fail before decoding), its FaceModelVersion, and
    # the answer stored for these bytes under this ExternalImageId, if any (Rekognition's
    # dedupe). The image is decoded either way, so a bad image is refused as before.
    with ctx.unit_of_work(read_only=True) as uow:
        collection = uow.collection(cid)
        version = collection.face_model_version
        stored = None if sha256 is None else stored_answer(collection, sha256, external_image_id)
    image = decode_request_image(p["Image"], sha256)
    if stored is not None:
        return stored
    request = IndexRequest(
        external_image_id=external_image_id,
        max_faces=p.get("MaxFaces"),
        quality_filter=p.get("QualityFilter", "AUTO"),
        detection_attributes=tuple(p.get("DetectionAttributes", ["DEFAULT"])),
        model_version=version,
    )
    return commit_index(ctx, prepare_index(ctx, cid, image, request)).response


def stored_answer(
    collection: Collection, sha256: str, external_image_id: str | None
) -> Response | None:
    """The response stored for this image under this ExternalImageId, without the faces
    deleted since; None if it was never indexed so."""
    image_id = ids.image_id(sha256)
    record = collection.index_records.get(image_id, external_image_id)
    if record is None:
        return None
    live = {f.face_id for f in collection.faces.by_image(image_id, external_image_id)}
    return stored_response(record, live)


def list_faces(ctx: ServiceContext, p: Params) -> Response:
    cid = p["CollectionId"]
    limit = p.get("MaxResults", DEFAULT_PAGE_SIZE)
    user_id, face_ids = p.get("UserId"), p.get("FaceIds")
    scope = ["ListFaces", cid, user_id, sorted(face_ids) if face_ids else None]
    after = pagination.decode(scope, p.get("NextToken"))
    with ctx.unit_of_work(read_only=True) as uow:
        collection = uow.collection(cid)
        model_version = collection.face_model_version
        if user_id is not None and collection.users.get(user_id) is None:
            raise ResourceNotFoundException(f"The user id: {user_id} does not exist in {cid}")
        # Rekognition's Face has no descriptor: 512 bytes a face left unread.
        page = collection.faces.list_page(
            after, limit + 1, user_id=user_id, face_ids=face_ids, with_embeddings=False
        )
    more, page = len(page) > limit, page[:limit]
    out: Response = {"Faces": [f.to_face_dict() for f in page]}
    if more:
        last = page[-1].face_id if page else (after or "")
        out["NextToken"] = pagination.encode(scope, last)
    out["FaceModelVersion"] = model_version
    return out


def delete_faces(ctx: ServiceContext, p: Params) -> Response:
    cid = p["CollectionId"]
    requested = list(dict.fromkeys(p["FaceIds"]))
    unsuccessful: list[dict[str, Any]] = []
    with ctx.unit_of_work() as uow:
        faces = uow.collection(cid).faces
        found = {f.face_id: f for f in faces.get_many(requested)}
        deletable = []
        for fid in requested:
            face = found.get(fid)
            if face is None:
                unsuccessful.append({"FaceId": fid, "Reasons": ["FACE_NOT_FOUND"]})
            elif face.user_id is not None:
                unsuccessful.append(
                    {
                        "FaceId": fid,
                        "UserId": face.user_id,
                        "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"],
                    }
                )
            else:
                deletable.append(fid)
        deleted = faces.delete_many(deletable) if deletable else []
        uow.commit()  # publishes FacesChanged: the search matrix drops them
    # The model gives DeletedFaces min 1 (botocore's Stubber rejects []), so it is the one
    # list left out when empty; UnsuccessfulFaceDeletions is returned empty like any other.
    out: Response = {}
    if deleted:
        out["DeletedFaces"] = deleted
    out["UnsuccessfulFaceDeletions"] = unsuccessful
    return out


def detect_faces(ctx: ServiceContext, p: Params) -> Response:
    image = decode_request_image(p["Image"])
    attributes = expand_attributes(p.get("Attributes", ["DEFAULT"]))
    faces = ctx.analyze(image, attributes=attributes, descriptors=False)
    faces = largest_faces_first(faces)
    return {"FaceDetails": [face_detail(f, attributes) for f in faces]}
