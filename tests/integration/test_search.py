"""SearchFaces, SearchFacesByImage, CompareFaces and user vectors on real identities."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facedesk import errors
from facedesk.core.similarity import similarity
from tests.conftest import ALL_BACKENDS
from tests.support.labelled_faces import BALD_GUYS

BACKENDS = ALL_BACKENDS  # the API tests run on SQLite and on PostgreSQL

OBAMA = [
    "real/face_recognition/obama.jpg",
    "real/face_recognition/obama2.jpg",
    "real/face_recognition/obama_small.jpg",
    "real/face_recognition/32bit.png",
]
BIDEN = ["real/face_recognition/biden.jpg"]


def _bytes(testdata: Path, path: str) -> dict[str, bytes]:
    return {"Bytes": (testdata / path).read_bytes()}


@pytest.fixture(scope="module")
def people(shared_client: Any, testdata: Path) -> dict[str, Any]:
    """One collection with single-person Obama and Biden photos, ExternalImageId = path."""
    c = shared_client
    c.create_collection(CollectionId="people")
    ids: dict[str, str] = {}
    for path in OBAMA + BIDEN:
        r = c.index_faces(
            CollectionId="people",
            Image=_bytes(testdata, path),
            ExternalImageId=path.replace("/", "_"),
            MaxFaces=1,
        )
        ids[path] = r["FaceRecords"][0]["Face"]["FaceId"]
    return ids


def test_curve_is_100_at_zero_and_80_at_dlib_threshold() -> None:
    assert similarity(0.0) == pytest.approx(100.0)
    assert similarity(0.6) == pytest.approx(80.0)


def test_every_obama_photo_finds_the_others_and_no_biden(
    shared_client: Any, people: dict[str, str], testdata: Path
) -> None:
    for path in OBAMA:
        r = shared_client.search_faces_by_image(
            CollectionId="people", Image=_bytes(testdata, path), FaceMatchThreshold=0
        )
        by_ext = {m["Face"]["ExternalImageId"]: m["Similarity"] for m in r["FaceMatches"]}
        sims = [m["Similarity"] for m in r["FaceMatches"]]
        assert sims == sorted(sims, reverse=True)
        for other in OBAMA:
            assert by_ext[other.replace("/", "_")] >= 80, (path, other, by_ext)
        for biden in BIDEN:
            assert by_ext[biden.replace("/", "_")] < 80, (path, by_ext)
        assert r["SearchedFaceConfidence"] > 90
        assert set(r["SearchedFaceBoundingBox"]) == {"Width", "Height", "Left", "Top"}


def test_search_faces_excludes_the_query_and_applies_the_threshold(
    shared_client: Any, people: dict[str, str]
) -> None:
    query = people[OBAMA[0]]
    r = shared_client.search_faces(CollectionId="people", FaceId=query)
    assert r["SearchedFaceId"] == query
    found = {m["Face"]["FaceId"] for m in r["FaceMatches"]}
    assert query not in found
    assert found == {people[p] for p in OBAMA[1:]}  # default threshold 80 drops Biden
    assert all(m["Similarity"] >= 80 for m in r["FaceMatches"])
    one = shared_client.search_faces(CollectionId="people", FaceId=query, MaxFaces=1)
    assert len(one["FaceMatches"]) == 1
    assert one["FaceMatches"][0] == r["FaceMatches"][0]
    with pytest.raises(errors.ResourceNotFoundException):
        shared_client.search_faces(
            CollectionId="people", FaceId="00000000-0000-4000-8000-000000000000"
        )
    for bad in ({"MaxFaces": 0}, {"MaxFaces": 4097}, {"FaceMatchThreshold": 101.0}):
        with pytest.raises(errors.InvalidParameterException):
            shared_client.search_faces(CollectionId="people", FaceId=query, **bad)


def test_search_by_image_uses_the_largest_face(
    shared_client: Any, people: dict[str, str], testdata: Path
) -> None:
    r = shared_client.search_faces_by_image(
        CollectionId="people", Image=_bytes(testdata, "real/face_recognition/two_people.jpg")
    )
    box = r["SearchedFaceBoundingBox"]
    detail = shared_client.detect_faces(
        Image=_bytes(testdata, "real/face_recognition/two_people.jpg")
    )["FaceDetails"]
    largest = max(detail, key=lambda d: d["BoundingBox"]["Width"] * d["BoundingBox"]["Height"])
    assert box == largest["BoundingBox"]


def test_no_face_is_invalid_parameter(
    shared_client: Any, people: dict[str, str], testdata: Path
) -> None:
    coffee = _bytes(testdata, "real/skimage/coffee.png")
    with pytest.raises(errors.InvalidParameterException):
        shared_client.search_faces_by_image(CollectionId="people", Image=coffee)
    with pytest.raises(errors.InvalidParameterException):
        shared_client.compare_faces(SourceImage=coffee, TargetImage=_bytes(testdata, OBAMA[0]))
    with pytest.raises(errors.InvalidParameterException):
        shared_client.compare_faces(SourceImage=_bytes(testdata, OBAMA[0]), TargetImage=coffee)
    empty = shared_client.search_users_by_image(CollectionId="people", Image=coffee)
    assert empty["UserMatches"] == [] and "SearchedFace" not in empty


def test_compare_faces_matches_obama_not_biden(shared_client: Any, testdata: Path) -> None:
    r = shared_client.compare_faces(
        SourceImage=_bytes(testdata, "real/face_recognition/obama.jpg"),
        TargetImage=_bytes(testdata, "real/face_recognition/two_people.jpg"),
    )
    assert len(r["FaceMatches"]) == 1 and len(r["UnmatchedFaces"]) == 1
    assert r["FaceMatches"][0]["Similarity"] >= 80
    assert "SourceImageOrientationCorrection" not in r
    low = shared_client.compare_faces(
        SourceImage=_bytes(testdata, "real/face_recognition/obama.jpg"),
        TargetImage=_bytes(testdata, "real/face_recognition/two_people.jpg"),
        SimilarityThreshold=0,
    )
    assert len(low["FaceMatches"]) == 2 and low["UnmatchedFaces"] == []


def _who(face: dict[str, Any]) -> str:
    b = face["BoundingBox"]
    x, y = b["Left"] + b["Width"] / 2, b["Top"] + b["Height"] / 2
    return min(BALD_GUYS, key=lambda p: (p[0] - x) ** 2 + (p[1] - y) ** 2)[2]


def test_bald_guys_top_match_is_the_same_person(shared_client: Any, testdata: Path) -> None:
    c = shared_client
    c.create_collection(CollectionId="bald")
    r = c.index_faces(
        CollectionId="bald", Image=_bytes(testdata, "real/dlib/bald_guys.jpg"), QualityFilter="NONE"
    )
    faces = [f["Face"] for f in r["FaceRecords"]]
    assert len(faces) == 24
    assert sorted(_who(f) for f in faces) == sorted("VJBD" * 6)
    wrong = []
    for f in faces:
        m = c.search_faces(
            CollectionId="bald", FaceId=f["FaceId"], MaxFaces=1, FaceMatchThreshold=0
        )
        top = m["FaceMatches"][0]["Face"]
        if _who(top) != _who(f):
            wrong.append((_who(f), _who(top), m["FaceMatches"][0]["Similarity"]))
    assert not wrong, wrong


def _body(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_users_round_trip(client: Any, testdata: Path) -> None:
    c = client
    c.create_collection(CollectionId="u")
    ids = {}
    for path in OBAMA + BIDEN:
        r = c.index_faces(CollectionId="u", Image=_bytes(testdata, path), MaxFaces=1)
        ids[path] = r["FaceRecords"][0]["Face"]["FaceId"]
    assert _body(c.create_user(CollectionId="u", UserId="barack:obama")) == {}
    with pytest.raises(errors.ConflictException):
        c.create_user(CollectionId="u", UserId="barack:obama")
    c.create_user(CollectionId="u", UserId="joe")
    users = c.list_users(CollectionId="u")["Users"]
    assert users == [
        {"UserId": "barack:obama", "UserStatus": "ACTIVE"},
        {"UserId": "joe", "UserStatus": "ACTIVE"},
    ]

    first = c.associate_faces(
        CollectionId="u", UserId="barack:obama", FaceIds=[ids[OBAMA[0]], ids[OBAMA[1]]]
    )
    assert {f["FaceId"] for f in first["AssociatedFaces"]} == {ids[OBAMA[0]], ids[OBAMA[1]]}
    # The user now has faces: Biden's face does not reach the 75 association threshold.
    more = c.associate_faces(
        CollectionId="u",
        UserId="barack:obama",
        FaceIds=[ids[OBAMA[2]], ids[BIDEN[0]], ids[OBAMA[0]]],
    )
    assert more["AssociatedFaces"] == [{"FaceId": ids[OBAMA[2]]}]
    [low] = more["UnsuccessfulFaceAssociations"]
    assert low["FaceId"] == ids[BIDEN[0]] and low["Reasons"] == ["LOW_MATCH_CONFIDENCE"]
    assert low["Confidence"] < 75
    taken = c.associate_faces(CollectionId="u", UserId="joe", FaceIds=[ids[OBAMA[0]]])
    assert taken["UnsuccessfulFaceAssociations"][0]["Reasons"] == ["ASSOCIATED_TO_A_DIFFERENT_USER"]

    listed = c.list_faces(CollectionId="u", UserId="barack:obama")["Faces"]
    assert {f["FaceId"] for f in listed} == {ids[p] for p in OBAMA[:3]}
    assert all(f["UserId"] == "barack:obama" for f in listed)
    blocked = c.delete_faces(CollectionId="u", FaceIds=[ids[OBAMA[0]]])
    assert blocked["UnsuccessfulFaceDeletions"][0]["Reasons"] == ["ASSOCIATED_TO_AN_EXISTING_USER"]

    found = c.search_users_by_image(CollectionId="u", Image=_bytes(testdata, OBAMA[3]))
    assert found["UserMatches"][0]["User"] == {"UserId": "barack:obama", "UserStatus": "ACTIVE"}
    assert found["UserMatches"][0]["Similarity"] >= 80
    assert "FaceDetail" in found["SearchedFace"]
    by_face = c.search_users(CollectionId="u", FaceId=ids[OBAMA[3]])
    assert by_face["UserMatches"][0]["User"]["UserId"] == "barack:obama"
    assert by_face["SearchedFace"] == {"FaceId": ids[OBAMA[3]]}
    with pytest.raises(errors.InvalidParameterException):
        c.search_users(CollectionId="u")

    gone = c.disassociate_faces(
        CollectionId="u", UserId="barack:obama", FaceIds=[ids[OBAMA[0]], ids[BIDEN[0]]]
    )
    assert gone["DisassociatedFaces"] == [{"FaceId": ids[OBAMA[0]]}]
    assert gone["UnsuccessfulFaceDisassociations"][0]["FaceId"] == ids[BIDEN[0]]
    c.delete_user(CollectionId="u", UserId="barack:obama")
    assert c.list_faces(CollectionId="u", UserId="joe")["Faces"] == []
    with pytest.raises(errors.ResourceNotFoundException):
        c.list_faces(CollectionId="u", UserId="barack:obama")
    assert all("UserId" not in f for f in c.list_faces(CollectionId="u")["Faces"])
    assert c.describe_collection(CollectionId="u")["UserCount"] == 1


def test_client_request_token_is_idempotent(client: Any) -> None:
    client.create_collection(CollectionId="t")
    client.create_user(CollectionId="t", UserId="a", ClientRequestToken="tok-1")
    client.create_user(CollectionId="t", UserId="a", ClientRequestToken="tok-1")  # replay
    with pytest.raises(errors.IdempotentParameterMismatchException):
        client.create_user(CollectionId="t", UserId="b", ClientRequestToken="tok-1")
    with pytest.raises(errors.ConflictException):
        client.create_user(CollectionId="t", UserId="a")


def test_a_user_holds_at_most_100_faces(client: Any, testdata: Path) -> None:
    from PIL import Image

    client.create_collection(CollectionId="q")
    client.create_user(CollectionId="q", UserId="many")
    src = Image.open(testdata / "real/face_recognition/obama.jpg").convert("RGB")
    face_ids: list[str] = []
    import io

    for i in range(101):
        buf = io.BytesIO()
        src.resize((455 + i % 7, 568 + i // 7)).save(buf, "JPEG", quality=80)
        r = client.index_faces(
            CollectionId="q", Image={"Bytes": buf.getvalue()}, ExternalImageId=f"o{i}"
        )
        face_ids.append(r["FaceRecords"][0]["Face"]["FaceId"])
    client.associate_faces(CollectionId="q", UserId="many", FaceIds=face_ids[:100])
    with pytest.raises(errors.ServiceQuotaExceededException):
        client.associate_faces(CollectionId="q", UserId="many", FaceIds=face_ids[100:])
