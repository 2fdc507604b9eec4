"""Core shapes, ids, errors, cancel tokens, pagination tokens and user-vector helpers.

Fast unit tests for mutation testing (bench/mutation.py): each checks an exact value.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime

import numpy as np
import pytest

from facedesk.core import errors, ids
from facedesk.core.progress import Cancelled, CancelToken, ProgressEvent
from facedesk.core.similarity import similarity
from facedesk.core.types import BoundingBox, Landmark, PixelBox, Pose, Quality, StoredFace
from facedesk.service import pagination
from facedesk.service.users import _centroid, _similarity_to, _user_matches

# --- shapes ---------------------------------------------------------------------------------


def test_bounding_box_round_trip_and_area() -> None:
    box = BoundingBox(left=0.1, top=0.2, width=0.3, height=0.5)
    assert box.area == pytest.approx(0.15)
    d = box.to_dict()
    assert d == {"Width": 0.3, "Height": 0.5, "Left": 0.1, "Top": 0.2}
    assert list(d) == ["Width", "Height", "Left", "Top"]  # Rekognition's member order
    assert BoundingBox.from_dict(d) == box


def test_pixel_box_to_ratio() -> None:
    px = PixelBox(left=10.0, top=20.0, right=110.0, bottom=70.0)
    assert (px.width, px.height) == (100.0, 50.0)
    assert px.to_ratio(200, 100) == BoundingBox(left=0.05, top=0.2, width=0.5, height=0.5)


def test_small_shapes_to_dict() -> None:
    assert Landmark("nose", 0.25, 0.75).to_dict() == {"Type": "nose", "X": 0.25, "Y": 0.75}
    assert Pose(roll=1.0, yaw=2.0, pitch=3.0).to_dict() == {"Roll": 1.0, "Yaw": 2.0, "Pitch": 3.0}
    assert Quality(brightness=4.0, sharpness=5.0).to_dict() == {
        "Brightness": 4.0,
        "Sharpness": 5.0,
    }


def _stored(external_image_id: str | None, user_id: str | None) -> StoredFace:
    return StoredFace(
        face_id="f",
        collection_id="c",
        image_id="i",
        external_image_id=external_image_id,
        bounding_box=BoundingBox(0.1, 0.2, 0.3, 0.4),
        confidence=99.5,
        model_version="1.0",
        embedding=np.zeros(128, dtype=np.float32),
        user_id=user_id,
        indexed_at=datetime.now(UTC),
    )


def test_stored_face_is_rekognitions_face_shape() -> None:
    full = _stored("photo.jpg", "u1").to_face_dict()
    assert full == {
        "FaceId": "f",
        "BoundingBox": {"Width": 0.3, "Height": 0.4, "Left": 0.1, "Top": 0.2},
        "ImageId": "i",
        "ExternalImageId": "photo.jpg",
        "Confidence": 99.5,
        "IndexFacesModelVersion": "1.0",
        "UserId": "u1",
    }
    bare = _stored(None, None).to_face_dict()
    assert "ExternalImageId" not in bare and "UserId" not in bare  # absent, never None
    assert bare["Confidence"] == 99.5


# --- ids ------------------------------------------------------------------------------------


def test_ids_are_name_based_and_depend_on_every_part() -> None:
    box = BoundingBox(0.1, 0.2, 0.3, 0.4)
    a = ids.face_id("ab" * 32, "1.0", "x", box)
    assert uuid.UUID(a).version == 5 and a == a.lower()
    assert a == ids.face_id("ab" * 32, "1.0", "x", BoundingBox(0.1, 0.2, 0.3, 0.4))
    others = {
        ids.face_id("cd" * 32, "1.0", "x", box),
        ids.face_id("ab" * 32, "2.0", "x", box),
        ids.face_id("ab" * 32, "1.0", "y", box),
        ids.face_id("ab" * 32, "1.0", None, box),
        ids.face_id("ab" * 32, "1.0", "x", BoundingBox(0.10001, 0.2, 0.3, 0.4)),
        ids.face_id("ab" * 32, "1.0", "x", BoundingBox(0.1, 0.20001, 0.3, 0.4)),
        ids.face_id("ab" * 32, "1.0", "x", BoundingBox(0.1, 0.2, 0.30001, 0.4)),
        ids.face_id("ab" * 32, "1.0", "x", BoundingBox(0.1, 0.2, 0.3, 0.40001)),
    }
    assert a not in others and len(others) == 8
    # None and "" are the same ExternalImageId for the id (Rekognition has no empty one).
    assert ids.face_id("ab" * 32, "1.0", None, box) == ids.face_id("ab" * 32, "1.0", "", box)
    # Rounded to 5 decimals: float noise below that does not change the id.
    assert a == ids.face_id("ab" * 32, "1.0", "x", BoundingBox(0.1 + 1e-9, 0.2, 0.3, 0.4))
    img = ids.image_id("ab" * 32)
    assert uuid.UUID(img).version == 5
    assert img == ids.image_id("ab" * 32) != ids.image_id("cd" * 32)
    # Fixed namespace and key layout: ids agree across machines and versions of facedesk.
    namespace = uuid.UUID("5b0c3a5e-6f1d-5c8e-9a57-6a8f1d3e2c41")
    assert img == str(uuid.uuid5(namespace, "image:" + "ab" * 32))
    assert a == str(
        uuid.uuid5(
            namespace,
            f"face:1.0:{'ab' * 32}:x:0.10000:0.20000:0.30000:0.40000",
        )
    )


# --- errors ---------------------------------------------------------------------------------


def test_errors_look_like_botocore_client_errors() -> None:
    e = errors.InvalidParameterException("bad thing")
    assert e.response == {"Error": {"Code": "InvalidParameterException", "Message": "bad thing"}}
    assert e.message == "bad thing" and e.operation_name is None
    assert str(e) == "An error occurred (InvalidParameterException): bad thing"
    assert e.with_operation("IndexFaces") is e
    assert str(e) == (
        "An error occurred (InvalidParameterException) when calling the IndexFaces operation: "
        "bad thing"
    )
    assert e.operation_name == "IndexFaces"
    d = errors.ResourceNotFoundException(operation_name="ListFaces")
    assert d.response["Error"]["Message"] == d.message == d.default_message
    assert str(d).startswith(
        "An error occurred (ResourceNotFoundException) when calling the ListFaces operation: "
    )
    assert isinstance(e, errors.ClientError) and isinstance(e, Exception)


def test_every_error_is_registered_under_its_code() -> None:
    assert len(errors.ALL_ERRORS) == 14
    for code, cls in errors.ALL_ERRORS.items():
        assert cls.code == code == cls.__name__
        assert issubclass(cls, errors.ClientError)
        assert cls().response == {"Error": {"Code": code, "Message": cls.default_message}}
        assert cls.default_message and cls.default_message != errors.ClientError.default_message


# --- progress -------------------------------------------------------------------------------


def test_cancel_token_from_another_thread() -> None:
    token = CancelToken()
    assert token.cancelled is False
    t = threading.Thread(target=token.cancel)
    t.start()
    t.join()
    assert token.cancelled is True
    token.cancel()
    assert token.cancelled is True
    assert issubclass(Cancelled, Exception)
    event = ProgressEvent(1, 2)
    assert (event.item, event.result, event.message) == (None, None, None)


# --- pagination -----------------------------------------------------------------------------


def test_pagination_round_trip_and_first_page() -> None:
    scope = {"op": "ListFaces", "c": "x"}
    token = pagination.encode(scope, "face-7")
    assert "=" not in token
    assert pagination.decode(scope, token) == "face-7"
    assert pagination.decode(scope, None) is None
    assert pagination.decode({"c": "x", "op": "ListFaces"}, token) == "face-7"  # key order


@pytest.mark.parametrize("after", ["", "a", "ab", "abc", "abcd"])
def test_pagination_padding_of_every_length(after: str) -> None:
    assert pagination.decode("s", pagination.encode("s", after)) == after


def _raw(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "Invalid Token"),
        ("!!!", "Invalid Token"),
        ("bm90IGpzb24", "Invalid Token"),  # "not json"
        (_raw([1, 2]), "Invalid Token"),
        (_raw({"a": "x"}), "Invalid Token"),
        (_raw({"h": "0" * 16}), "Invalid Token"),
        (base64.urlsafe_b64encode(b"\xff\xfe").decode(), "Invalid Token"),
        (_raw({"a": 5, "h": "0" * 16}), "Invalid Pagination Token"),
        (_raw({"a": "x", "h": "0" * 16}), "Invalid Pagination Token"),
    ],
)
def test_pagination_garbage_is_invalid_token(token: str, message: str) -> None:
    with pytest.raises(errors.InvalidPaginationTokenException) as info:
        pagination.decode("s", token)
    assert info.value.message == message


def test_pagination_token_of_another_listing_or_edited() -> None:
    token = pagination.encode("listing-a", "k")
    with pytest.raises(errors.InvalidPaginationTokenException, match="Invalid Pagination Token"):
        pagination.decode("listing-b", token)
    data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    data["a"] = "other"
    with pytest.raises(errors.InvalidPaginationTokenException, match="Invalid Pagination Token"):
        pagination.decode("listing-a", _raw(data))
    with pytest.raises(errors.InvalidPaginationTokenException, match=r": Invalid Token$"):
        pagination.decode("listing-a", "%%%")


# --- user vectors ---------------------------------------------------------------------------


def test_user_vector_is_the_mean_and_similarity_uses_the_face_curve() -> None:
    vecs = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    c = _centroid(vecs)
    assert c.dtype == np.float32 and c.tolist() == [0.5, 0.5]
    q = np.array([0.5, 0.9], dtype=np.float32)
    assert _similarity_to(q, c) == pytest.approx(similarity(0.4))
    assert isinstance(_similarity_to(q, c), float)


def test_user_matches_threshold_order_limit_and_exclusion() -> None:
    q = np.zeros(2, dtype=np.float32)
    centroids = {
        "near": np.array([0.3, 0.0], dtype=np.float32),
        "edge": np.array([0.59, 0.0], dtype=np.float32),
        "far": np.array([0.9, 0.0], dtype=np.float32),
        "same": np.array([0.0, 0.0], dtype=np.float32),
    }
    got = _user_matches(centroids, q, 80.0, 10)
    assert [m["User"]["UserId"] for m in got] == ["same", "near", "edge"]
    assert got[0] == {"Similarity": 100.0, "User": {"UserId": "same", "UserStatus": "ACTIVE"}}
    assert got[2]["Similarity"] == pytest.approx(similarity(0.59), abs=1e-4)
    assert [m["User"]["UserId"] for m in _user_matches(centroids, q, 80.0, 2)] == ["same", "near"]
    assert [m["User"]["UserId"] for m in _user_matches(centroids, q, 0.0, 10, "same")] == [
        "near",
        "edge",
        "far",
    ]
    assert _user_matches(centroids, q, 100.1, 10) == []


# --- exact values that mutation testing asked for ---------------------------------------------


def test_pagination_token_is_pinned() -> None:
    # A token handed out by this version decodes the same after an upgrade: the layout
    # (compact JSON, 16 hex digits of checksum, no padding) is part of the format.
    token = pagination.encode({"op": "ListFaces", "c": "x"}, "face-7")
    assert token == "eyJhIjoiZmFjZS03IiwiaCI6IjUyYTNmM2M4ZTI3NjA5NDMifQ"
    assert json.loads(base64.urlsafe_b64decode(token + "==")) == {
        "a": "face-7",
        "h": "52a3f3c8e2760943",
    }


def test_face_id_without_external_image_id_is_pinned() -> None:
    box = BoundingBox(0.1, 0.2, 0.3, 0.4)
    assert ids.face_id("ab" * 32, "1.0", None, box) == "40622484-29be-582a-a865-83b699039208"


def test_stored_response_without_face_records() -> None:
    from facedesk.core.types import IndexRecord
    from facedesk.service.index_faces import stored_response

    unindexed = [{"Reasons": ["LOW_SHARPNESS"]}]
    record = IndexRecord(
        "c",
        "i",
        None,
        {"FaceModelVersion": "1.0", "UnindexedFaces": unindexed},
        {},
        (),
        datetime.now(UTC),
        0,
        1,
    )
    # a record from before the wire-shape rule (no FaceRecords key) answers with the list
    assert stored_response(record, {"a"}) == {
        "FaceRecords": [],
        "FaceModelVersion": "1.0",
        "UnindexedFaces": unindexed,
    }


def test_user_helpers_exact_edges() -> None:
    c = _centroid(np.array([[0.0, 1.0], [1.0, 1.0]], dtype=np.float64))
    assert c.dtype == np.float32 and c.tolist() == [0.5, 1.0]
    q = np.zeros(2, dtype=np.float32)
    # A similarity equal to the threshold is a match (>=).
    assert [m["User"]["UserId"] for m in _user_matches({"u": q.copy()}, q, 100.0, 5)] == ["u"]


def test_similarity_errors_dtypes_and_warnings() -> None:
    import warnings

    from facedesk.core.similarity import distance_for_similarity, top_k_largest, top_k_smallest

    with pytest.raises(ValueError, match=r"^distance is NaN$"):
        similarity(float("nan"))
    with pytest.raises(ValueError, match=r"^similarity must be within 0\.\.100$"):
        distance_for_similarity(101.0)
    with pytest.raises(ValueError, match=r"^k must be >= 0$"):
        top_k_smallest(np.zeros(3), -1)
    # float32 input is computed in float64, as the float path is
    d32 = np.array([0.3, 0.6, 0.9], dtype=np.float32)
    assert similarity(d32).tolist() == [similarity(float(x)) for x in d32]
    s32 = np.array([99.0, 80.0, 30.0], dtype=np.float32)
    assert distance_for_similarity(s32).tolist() == [distance_for_similarity(float(x)) for x in s32]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert distance_for_similarity(0.0) == float("inf")  # no divide-by-zero warning
    one = top_k_smallest(np.array([5.0]), 1)
    assert one.tolist() == [0] and one.dtype == np.intp
    assert top_k_largest(np.array([5.0, 7.0]), 5).tolist() == [1, 0]
    for empty in (top_k_smallest(np.zeros(4), 0), top_k_smallest(np.zeros(0), 3)):
        assert empty.dtype == np.intp and empty.size == 0
