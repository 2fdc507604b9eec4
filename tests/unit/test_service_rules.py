"""The Rekognition rules of the service layer against the in-memory unit of work.

No dlib (a fake analyzer hands the service faces made here, as the engine would) and no
SQLite (tests/unit/fake_uow.py): the whole file runs in well under a second.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest

from facedesk.core.errors import (
    ConflictException,
    IdempotentParameterMismatchException,
    InvalidParameterException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)
from facedesk.core.similarity import distance_for_similarity, similarity
from facedesk.core.types import (
    BoundingBox,
    DecodedImage,
    DetectedFace,
    PixelBox,
    Pose,
    Quality,
)
from facedesk.service import operations, search, users
from facedesk.service.context import ServiceContext
from tests.unit.fake_uow import FakeStore

W, H = 640, 480
CID = "rules"


def png(seed: int = 0) -> bytes:
    """A real PNG (the strict decoder reads it); ``seed`` makes the bytes, so the ImageId."""
    from PIL import Image

    pixels = np.full((H, W, 3), seed % 251, dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def vector(offset: float = 0.0, axis: int = 1) -> np.ndarray:
    """A descriptor ``offset`` away from the base one along ``axis``."""
    v = np.zeros(128, dtype=np.float32)
    v[0] = 1.0
    v[axis] += offset
    return v


def face(
    left: float,
    size: float,
    *,
    confidence: float = 99.0,
    brightness: float = 80.0,
    sharpness: float = 80.0,
    yaw: float = 0.0,
    descriptor: np.ndarray | None = None,
) -> DetectedFace:
    box = PixelBox(left, 10.0, left + size, 10.0 + size)
    return DetectedFace(
        box=box,
        bounding_box=box.to_ratio(W, H),
        confidence=confidence,
        detector_score=1.0,
        landmarks=(),
        pose=Pose(roll=0.0, yaw=yaw, pitch=0.0),
        quality=Quality(brightness=brightness, sharpness=sharpness),
        descriptor=vector(left / 1000.0) if descriptor is None else descriptor,
    )


class FakeAnalyzer:
    """The seam where analysis enters the service: the faces a test says the photo holds."""

    def __init__(self) -> None:
        self.faces: list[DetectedFace] = []

    def analyze(
        self,
        image: DecodedImage,
        *,
        detector: str | None = None,
        attributes: frozenset[str] = frozenset(),
        descriptors: bool = True,
    ) -> list[DetectedFace]:
        return list(self.faces)

    def measure_box(
        self,
        image: DecodedImage,
        box: BoundingBox,
        *,
        attributes: frozenset[str] = frozenset(),
        mesh_pose: bool = False,
    ) -> DetectedFace:
        raise NotImplementedError


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def analyzer() -> FakeAnalyzer:
    return FakeAnalyzer()


@pytest.fixture
def ctx(store: FakeStore, analyzer: FakeAnalyzer) -> ServiceContext:
    c = ServiceContext("fake://rules", model_version="1.0", _analyzer=analyzer, _store=store)
    operations.create_collection(c, {"CollectionId": CID})
    return c


def index(ctx: ServiceContext, seed: int = 0, **params: Any) -> dict[str, Any]:
    p = {"CollectionId": CID, "Image": {"Bytes": png(seed)}, **params}
    return operations.index_faces(ctx, p)


def reasons(response: dict[str, Any]) -> list[list[str]]:
    return [u["Reasons"] for u in response["UnindexedFaces"]]


def widths(records: list[dict[str, Any]]) -> list[float]:
    return [round(r["Face"]["BoundingBox"]["Width"] * W) for r in records]


# ------------------------------------------------------------------ IndexFaces


def test_face_records_come_largest_box_first(ctx: ServiceContext, analyzer: FakeAnalyzer) -> None:
    analyzer.faces = [face(10, 50), face(100, 120), face(300, 80)]
    r = index(ctx)
    assert widths(r["FaceRecords"]) == [120, 80, 50]
    assert r["UnindexedFaces"] == [] and r["FaceModelVersion"] == "1.0"


def test_max_faces_drops_lowest_quality_first_then_smallest(
    ctx: ServiceContext, analyzer: FakeAnalyzer
) -> None:
    analyzer.faces = [
        face(10, 150, sharpness=15.0),  # largest, but clears only LOW and MEDIUM
        face(200, 60),  # small, clears HIGH
        face(300, 90),  # clears HIGH
        face(450, 70),  # clears HIGH
    ]
    r = index(ctx, MaxFaces=2)
    assert widths(r["FaceRecords"]) == [90, 70]
    dropped = [
        (round(u["FaceDetail"]["BoundingBox"]["Width"] * W), u["Reasons"])
        for u in r["UnindexedFaces"]
    ]
    assert dropped == [(150, ["EXCEEDS_MAX_FACES"]), (60, ["EXCEEDS_MAX_FACES"])]


def test_quality_filter_reasons_and_none(ctx: ServiceContext, analyzer: FakeAnalyzer) -> None:
    analyzer.faces = [
        face(10, 100),
        face(150, 100, confidence=60.0, brightness=5.0),  # two reasons at once
        face(300, 30),  # under the 40 px minimum face of a 640x480 image
        face(400, 100, yaw=80.0),
    ]
    r = index(ctx, QualityFilter="AUTO")
    assert widths(r["FaceRecords"]) == [100]
    assert sorted(map(sorted, reasons(r))) == [
        ["EXTREME_POSE"],
        ["LOW_BRIGHTNESS", "LOW_CONFIDENCE"],
        ["SMALL_BOUNDING_BOX"],
    ]
    high = index(ctx, seed=1, QualityFilter="HIGH")
    assert len(high["FaceRecords"]) == 1  # yaw 80 and confidence 60 fail HIGH too
    assert len(index(ctx, seed=2, QualityFilter="NONE")["FaceRecords"]) == 4


def test_at_most_100_faces_without_max_faces(ctx: ServiceContext, analyzer: FakeAnalyzer) -> None:
    analyzer.faces = [face(float(i), 45.0 + i * 0.5) for i in range(120)]
    r = index(ctx)
    assert len(r["FaceRecords"]) == 100
    assert reasons(r) == [["EXCEEDS_MAX_FACES"]] * 20
    kept = widths(r["FaceRecords"])
    assert kept == sorted(kept, reverse=True) and min(kept) > max(
        round(u["FaceDetail"]["BoundingBox"]["Width"] * W) for u in r["UnindexedFaces"]
    )


def test_same_bytes_and_external_id_store_nothing_new(
    ctx: ServiceContext, analyzer: FakeAnalyzer, store: FakeStore
) -> None:
    analyzer.faces = [face(10, 100), face(200, 80)]
    first = index(ctx, ExternalImageId="a.jpg")
    analyzer.faces = [face(10, 100)]  # a second analysis would differ: it must not run
    again = index(ctx, ExternalImageId="a.jpg")
    assert again == first
    other_name = index(ctx, ExternalImageId="b.jpg")
    assert len(other_name["FaceRecords"]) == 1
    assert store.state.collections[CID].info.collection_id == CID
    assert len(store.state.collections[CID].faces) == 3
    gone = first["FaceRecords"][1]["Face"]["FaceId"]
    operations.delete_faces(ctx, {"CollectionId": CID, "FaceIds": [gone]})
    after_delete = index(ctx, ExternalImageId="a.jpg")
    assert [f["Face"]["FaceId"] for f in after_delete["FaceRecords"]] == [
        first["FaceRecords"][0]["Face"]["FaceId"]
    ]


def test_unknown_collection_fails_before_the_image_is_read(ctx: ServiceContext) -> None:
    with pytest.raises(ResourceNotFoundException) as err:
        operations.index_faces(ctx, {"CollectionId": "nope", "Image": {"Bytes": b"not an image"}})
    assert err.value.message == "The collection id: nope does not exist"


def test_a_failed_write_keeps_nothing(ctx: ServiceContext, store: FakeStore) -> None:
    with pytest.raises(ResourceNotFoundException):
        users.associate_faces(ctx, {"CollectionId": CID, "UserId": "ghost", "FaceIds": ["x"]})
    assert store.state.collections[CID].users == {}


# ------------------------------------------------------------------ users


def test_create_user_twice_is_a_conflict(ctx: ServiceContext) -> None:
    users.create_user(ctx, {"CollectionId": CID, "UserId": "amy"})
    with pytest.raises(ConflictException):
        users.create_user(ctx, {"CollectionId": CID, "UserId": "amy"})
    listed = users.list_users(ctx, {"CollectionId": CID})
    assert listed["Users"] == [{"UserId": "amy", "UserStatus": "ACTIVE"}]


def test_associate_rules(ctx: ServiceContext, analyzer: FakeAnalyzer) -> None:
    base = vector()
    analyzer.faces = [
        face(10, 100, descriptor=base),
        face(150, 90, descriptor=vector(0.1)),  # the same person
        face(300, 80, descriptor=vector(1.2, axis=2)),  # someone else
        face(450, 70, descriptor=vector(0.05, axis=3)),
    ]
    ids = [f["Face"]["FaceId"] for f in index(ctx)["FaceRecords"]]
    for uid in ("amy", "bob"):
        users.create_user(ctx, {"CollectionId": CID, "UserId": uid})
    one = {"CollectionId": CID, "UserId": "amy", "FaceIds": [ids[0]]}
    assert users.associate_faces(ctx, one)["AssociatedFaces"] == [{"FaceId": ids[0]}]
    users.associate_faces(ctx, {"CollectionId": CID, "UserId": "bob", "FaceIds": [ids[3]]})
    r = users.associate_faces(
        ctx, {"CollectionId": CID, "UserId": "amy", "FaceIds": [*ids[:4], "missing"]}
    )
    assert r["AssociatedFaces"] == [{"FaceId": ids[1]}]  # ids[0]: already amy's, ignored
    by_face = {u["FaceId"]: u for u in r["UnsuccessfulFaceAssociations"]}
    assert by_face[ids[2]]["Reasons"] == ["LOW_MATCH_CONFIDENCE"]
    assert by_face[ids[2]]["Confidence"] < users.ASSOCIATE_THRESHOLD
    assert by_face[ids[3]] == {
        "FaceId": ids[3],
        "UserId": "bob",
        "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"],
    }
    assert by_face["missing"]["Reasons"] == ["FACE_NOT_FOUND"]
    # A face of bob's cannot be deleted; disassociating it from amy is refused.
    deleted = operations.delete_faces(ctx, {"CollectionId": CID, "FaceIds": [ids[3]]})
    assert deleted["UnsuccessfulFaceDeletions"][0]["Reasons"] == ["ASSOCIATED_TO_AN_EXISTING_USER"]
    d = users.disassociate_faces(
        ctx, {"CollectionId": CID, "UserId": "amy", "FaceIds": [ids[1], ids[3], ids[2]]}
    )
    assert d["DisassociatedFaces"] == [{"FaceId": ids[1]}]
    assert [u["Reasons"] for u in d["UnsuccessfulFaceDisassociations"]] == [
        ["ASSOCIATED_TO_A_DIFFERENT_USER"]
    ] * 2
    assert "UserId" not in d["UnsuccessfulFaceDisassociations"][1]  # ids[2] has no user
    users.delete_user(ctx, {"CollectionId": CID, "UserId": "bob"})
    left = operations.list_faces(ctx, {"CollectionId": CID, "FaceIds": [ids[3]]})["Faces"]
    assert len(left) == 1 and "UserId" not in left[0]


def test_a_user_holds_at_most_100_faces(ctx: ServiceContext, analyzer: FakeAnalyzer) -> None:
    analyzer.faces = [face(float(i), 45.0, descriptor=vector(i * 1e-4)) for i in range(100)]
    first = [f["Face"]["FaceId"] for f in index(ctx, seed=1)["FaceRecords"]]
    analyzer.faces = [face(float(i), 46.0, descriptor=vector(i * 1e-4)) for i in range(5)]
    more = [f["Face"]["FaceId"] for f in index(ctx, seed=2)["FaceRecords"]]
    users.create_user(ctx, {"CollectionId": CID, "UserId": "amy"})
    for chunk in (first[:50], first[50:]):
        users.associate_faces(ctx, {"CollectionId": CID, "UserId": "amy", "FaceIds": chunk})
    with pytest.raises(ServiceQuotaExceededException):
        users.associate_faces(ctx, {"CollectionId": CID, "UserId": "amy", "FaceIds": more[:1]})


def test_client_request_token_replays_or_refuses(ctx: ServiceContext) -> None:
    p = {"CollectionId": CID, "UserId": "amy", "ClientRequestToken": "t-1"}
    assert users.create_user(ctx, p) == {}
    assert users.create_user(ctx, p) == {}  # replayed: no ConflictException
    with pytest.raises(IdempotentParameterMismatchException):
        users.create_user(ctx, {**p, "UserId": "bob"})


# ------------------------------------------------------------------ search


def _distances_index(ctx: ServiceContext, analyzer: FakeAnalyzer) -> list[str]:
    """Faces 0, 0.3, 0.55, 0.7 and 1.0 away from the first one."""
    offsets = [0.0, 0.3, 0.55, 0.7, 1.0]
    analyzer.faces = [
        face(10.0 + 120 * i, 100.0 - i, descriptor=vector(d)) for i, d in enumerate(offsets)
    ]
    return [f["Face"]["FaceId"] for f in index(ctx)["FaceRecords"]]


def test_search_faces_threshold_and_max_faces(ctx: ServiceContext, analyzer: FakeAnalyzer) -> None:
    ids = _distances_index(ctx, analyzer)
    r = search.search_faces(ctx, {"CollectionId": CID, "FaceId": ids[0]})
    matched = [m["Face"]["FaceId"] for m in r["FaceMatches"]]
    assert matched == ids[1:3]  # 0.7 and 1.0 are under the default 80
    scores = [m["Similarity"] for m in r["FaceMatches"]]
    assert scores == pytest.approx([similarity(0.3), similarity(0.55)], abs=1e-4)
    loose = search.search_faces(
        ctx, {"CollectionId": CID, "FaceId": ids[0], "FaceMatchThreshold": 0.0}
    )
    assert [m["Face"]["FaceId"] for m in loose["FaceMatches"]] == ids[1:]
    top = search.search_faces(
        ctx, {"CollectionId": CID, "FaceId": ids[0], "FaceMatchThreshold": 0.0, "MaxFaces": 2}
    )
    assert [m["Face"]["FaceId"] for m in top["FaceMatches"]] == ids[1:3]
    exact = float(similarity(0.55))
    edge = search.search_faces(
        ctx, {"CollectionId": CID, "FaceId": ids[0], "FaceMatchThreshold": exact + 0.01}
    )
    assert [m["Face"]["FaceId"] for m in edge["FaceMatches"]] == ids[1:2]
    assert distance_for_similarity(80.0) == pytest.approx(0.6)


def test_search_sees_writes_and_opens_no_unit_of_work_for_nothing(
    ctx: ServiceContext, analyzer: FakeAnalyzer, store: FakeStore
) -> None:
    ids = _distances_index(ctx, analyzer)
    p = {"CollectionId": CID, "FaceId": ids[0]}
    search.search_faces(ctx, p)
    opened = store.units
    ctx.vectors(CID)  # nothing committed since: the matrix is current without a read
    assert store.units == opened
    # A delete here reaches the matrix through the commit's event, not a reload.
    operations.delete_faces(ctx, {"CollectionId": CID, "FaceIds": [ids[1]]})
    assert ctx.vectors(CID).loaded
    assert [m["Face"]["FaceId"] for m in search.search_faces(ctx, p)["FaceMatches"]] == [ids[2]]
    # A write the events never told of (another process) is noticed by its generation.
    store.state.collections[CID].faces.pop(ids[2])
    store.state.collections[CID].generation += 1
    store.commits += 1
    assert search.search_faces(ctx, p)["FaceMatches"] == []


def test_unknown_face_and_no_face_in_image(ctx: ServiceContext, analyzer: FakeAnalyzer) -> None:
    with pytest.raises(ResourceNotFoundException):
        search.search_faces(ctx, {"CollectionId": CID, "FaceId": "0" * 36})
    analyzer.faces = []
    with pytest.raises(InvalidParameterException):
        search.search_faces_by_image(ctx, {"CollectionId": CID, "Image": {"Bytes": png()}})
