"""Collections, ListFaces, DeleteFaces and errors, on real SQLite."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import facedesk
from facedesk import errors
from tests.conftest import ALL_BACKENDS

BACKENDS = ALL_BACKENDS  # the API tests run on SQLite and on PostgreSQL


def test_create_describe_list_delete(client: Any) -> None:
    r = client.create_collection(CollectionId="family")
    assert r["StatusCode"] == 200
    assert r["CollectionArn"].endswith(":collection/family")
    assert re.fullmatch(r"[0-9.]+", r["FaceModelVersion"])

    d = client.describe_collection(CollectionId="family")
    assert d["FaceCount"] == 0 and d["UserCount"] == 0
    assert isinstance(d["CreationTimestamp"], datetime) and d["CreationTimestamp"].tzinfo
    assert d["CollectionARN"] == r["CollectionArn"]

    client.create_collection(CollectionId="Family")  # case-sensitive: a different collection
    listed = client.list_collections()
    assert listed["CollectionIds"] == ["Family", "family"]
    assert listed["FaceModelVersions"] == [r["FaceModelVersion"]] * 2
    assert "NextToken" not in listed

    client.delete_collection(CollectionId="family")
    with pytest.raises(errors.ResourceNotFoundException):
        client.describe_collection(CollectionId="family")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_collection(CollectionId="family")


def test_create_twice_is_resource_already_exists(client: Any) -> None:
    client.create_collection(CollectionId="c1")
    with pytest.raises(errors.ResourceAlreadyExistsException) as info:
        client.create_collection(CollectionId="c1")
    err = info.value
    assert err.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    assert "c1" in err.response["Error"]["Message"]
    assert isinstance(err, client.exceptions.ClientError)
    assert "CreateCollection" in str(err)


def test_list_collections_paginates_with_opaque_tokens(client: Any) -> None:
    names = [f"c{i:02d}" for i in range(7)]
    for n in names:
        client.create_collection(CollectionId=n)
    seen: list[str] = []
    token = None
    while True:
        kwargs: dict[str, Any] = {"MaxResults": 3}
        if token:
            kwargs["NextToken"] = token
        page = client.list_collections(**kwargs)
        seen += page["CollectionIds"]
        token = page.get("NextToken")
        if token is None:
            break
        assert "c0" not in token  # opaque, not the key itself
    assert seen == names
    pages = list(client.get_paginator("list_collections").paginate(MaxResults=2))
    assert [c for p in pages for c in p["CollectionIds"]] == names
    with pytest.raises(errors.InvalidPaginationTokenException):
        client.list_collections(NextToken="bm9wZQ")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"CollectionId": "bad id!"},
        {"CollectionId": "a:b"},  # ':' is allowed in ExternalImageId but not here
        {"CollectionId": ""},
        {"CollectionId": "x" * 256},
        {},
        {"CollectionId": "ok", "Unknown": 1},
        {"CollectionId": 5},
    ],
)
def test_create_collection_validation(client: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(errors.InvalidParameterException) as info:
        client.create_collection(**kwargs)
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"


def test_unknown_collection_everywhere(client: Any, testdata: Path) -> None:
    img = {"Bytes": (testdata / "real/face_recognition/obama_small.jpg").read_bytes()}
    calls = [
        lambda: client.index_faces(CollectionId="nope", Image=img),
        lambda: client.list_faces(CollectionId="nope"),
        lambda: client.delete_faces(
            CollectionId="nope", FaceIds=["11111111-2222-3333-4444-555555555555"]
        ),
        lambda: client.describe_collection(CollectionId="nope"),
    ]
    for call in calls:
        with pytest.raises(errors.ResourceNotFoundException):
            call()


def test_list_faces_pages_in_face_id_order_and_filters(client: Any, testdata: Path) -> None:
    client.create_collection(CollectionId="c")
    data = (testdata / "real/dlib/bald_guys.jpg").read_bytes()
    r = client.index_faces(
        CollectionId="c", Image={"Bytes": data}, ExternalImageId="bald", QualityFilter="NONE"
    )
    ids = sorted(f["Face"]["FaceId"] for f in r["FaceRecords"])
    assert len(ids) >= 20
    got: list[str] = []
    pages = 0
    for page in client.get_paginator("list_faces").paginate(CollectionId="c", MaxResults=7):
        got += [f["FaceId"] for f in page["Faces"]]
        assert page["FaceModelVersion"] == r["FaceModelVersion"]
        pages += 1
    assert got == ids and pages == -(-len(ids) // 7)
    face = client.list_faces(CollectionId="c", MaxResults=1)["Faces"][0]
    assert set(face) >= {
        "FaceId",
        "BoundingBox",
        "ImageId",
        "ExternalImageId",
        "Confidence",
        "IndexFacesModelVersion",
    }
    assert face["ExternalImageId"] == "bald"
    only = client.list_faces(CollectionId="c", FaceIds=ids[:3])
    assert [f["FaceId"] for f in only["Faces"]] == ids[:3]
    token = client.list_faces(CollectionId="c", MaxResults=2)["NextToken"]
    client.create_collection(CollectionId="other")
    with pytest.raises(errors.InvalidPaginationTokenException):
        client.list_faces(CollectionId="other", NextToken=token)
    for bad in (-1, 4097):
        with pytest.raises(errors.InvalidParameterException):
            client.list_faces(CollectionId="c", MaxResults=bad)
    assert client.list_faces(CollectionId="c", MaxResults=0)["Faces"] == []


def test_delete_faces_reports_missing_and_updates_counts(client: Any, testdata: Path) -> None:
    client.create_collection(CollectionId="c")
    data = (testdata / "real/face_recognition/two_people.jpg").read_bytes()
    r = client.index_faces(CollectionId="c", Image={"Bytes": data})
    ids = [f["Face"]["FaceId"] for f in r["FaceRecords"]]
    missing = "00000000-0000-4000-8000-000000000000"
    out = client.delete_faces(CollectionId="c", FaceIds=[ids[0], missing])
    assert out["DeletedFaces"] == [ids[0]]
    assert out["UnsuccessfulFaceDeletions"] == [{"FaceId": missing, "Reasons": ["FACE_NOT_FOUND"]}]
    assert client.describe_collection(CollectionId="c")["FaceCount"] == len(ids) - 1
    again = client.delete_faces(CollectionId="c", FaceIds=[ids[0]])
    assert "DeletedFaces" not in again  # the model says min 1: omitted, never []
    with pytest.raises(errors.InvalidParameterException):
        client.delete_faces(CollectionId="c", FaceIds=["NOT-A-UUID"])
    with pytest.raises(errors.InvalidParameterException):
        client.delete_faces(CollectionId="c", FaceIds=[])


def test_delete_collection_removes_its_faces(client: Any, testdata: Path) -> None:
    client.create_collection(CollectionId="c")
    data = (testdata / "real/face_recognition/obama.jpg").read_bytes()
    client.index_faces(CollectionId="c", Image={"Bytes": data})
    client.delete_collection(CollectionId="c")
    client.create_collection(CollectionId="c")
    assert client.list_faces(CollectionId="c")["Faces"] == []
    assert client.describe_collection(CollectionId="c")["FaceCount"] == 0


def test_errors_are_importable_and_shaped_like_botocore() -> None:
    e = errors.InvalidParameterException("bad")
    assert isinstance(e, errors.ClientError)
    assert e.response == {"Error": {"Code": "InvalidParameterException", "Message": "bad"}}
    assert (
        facedesk.client(database=":memory:").exceptions.InvalidParameterException
        is errors.InvalidParameterException
    )
