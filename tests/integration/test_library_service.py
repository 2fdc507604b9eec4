"""The Library, the GUI's one service, on real photos and SQLite: its Rekognition
operations answer as the client's do (same limits, same errors), and its people and
face reads need no client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import facedesk
from facedesk.core.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
)

PHOTOS = ("face_recognition/obama.jpg", "face_recognition/biden.jpg", "dlib/bald_guys.jpg")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, testdata: Path) -> Iterator[Any]:
    client = facedesk.client(database=str(tmp_path_factory.mktemp("lib") / "lib.db"))
    client.create_collection(CollectionId="c")
    for rel in PHOTOS:
        client.index_faces(
            CollectionId="c",
            Image={"Bytes": (testdata / "real" / rel).read_bytes()},
            ExternalImageId=Path(rel).name,
        )
    yield client
    client.close()


def _faces(client: Any) -> list[dict[str, Any]]:
    return list(client.list_faces(CollectionId="c", MaxResults=4096)["Faces"])


def test_describe_collection_is_the_clients_response(indexed: Any) -> None:
    lib = indexed.library
    described = lib.describe_collection("c")
    expected = indexed.describe_collection(CollectionId="c")
    expected.pop("ResponseMetadata")
    assert described == expected
    assert described["FaceCount"] == len(_faces(indexed)) > 3
    with pytest.raises(ResourceNotFoundException) as caught:
        lib.describe_collection("nope")
    assert "DescribeCollection" in str(caught.value)


def test_search_by_face_shows_the_searched_face_and_the_clients_matches(indexed: Any) -> None:
    lib = indexed.library
    obama = next(f for f in _faces(indexed) if f["ExternalImageId"] == "obama.jpg")
    found = lib.search_by_face("c", obama["FaceId"], 0.0, 5)
    assert found.searched_box == obama["BoundingBox"]
    assert found.searched_confidence == obama["Confidence"]
    assert found.searched_image_id == obama["ImageId"]
    expected = indexed.search_faces(
        CollectionId="c", FaceId=obama["FaceId"], FaceMatchThreshold=0.0, MaxFaces=5
    )["FaceMatches"]
    assert list(found.matches) == expected
    assert len(found.matches) == 5
    assert all(m["Face"]["FaceId"] != obama["FaceId"] for m in found.matches)
    with pytest.raises(ResourceNotFoundException):
        lib.search_by_face("c", "11111111-1111-4111-8111-111111111111", 80.0, 5)
    with pytest.raises(InvalidParameterException):  # validated as the client validates
        lib.search_by_face("c", obama["FaceId"], 101.0, 5)


def test_search_by_image_matches_the_client(indexed: Any, testdata: Path) -> None:
    data = (testdata / "real/face_recognition/obama.jpg").read_bytes()
    found = indexed.library.search_by_image("c", data, 80.0, 3)
    resp = indexed.search_faces_by_image(
        CollectionId="c", Image={"Bytes": data}, FaceMatchThreshold=80.0, MaxFaces=3
    )
    assert found.searched_box == resp["SearchedFaceBoundingBox"]
    assert found.searched_confidence == resp["SearchedFaceConfidence"]
    assert list(found.matches) == resp["FaceMatches"]
    assert found.matches[0]["Face"]["ExternalImageId"] == "obama.jpg"
    assert found.matches[0]["Similarity"] > 99


def test_face_without_embedding_reads_one_face_and_its_person(indexed: Any) -> None:
    from facedesk.storage.library_queries import face_without_embedding

    face = next(f for f in _faces(indexed) if f["ExternalImageId"] == "biden.jpg")
    indexed.create_user(CollectionId="c", UserId="joe")
    indexed.associate_faces(CollectionId="c", UserId="joe", FaceIds=[face["FaceId"]])
    db = indexed.context.db
    with db.unit_of_work(read_only=True) as uow:
        stored = face_without_embedding(uow, "c", face["FaceId"])
        assert face_without_embedding(uow, "other", face["FaceId"]) is None
        assert face_without_embedding(uow, "c", "no-such-face") is None
    assert stored is not None
    assert stored.to_face_dict() == {**face, "UserId": "joe"}
    assert stored.embedding.size == 0  # the descriptor is not read
    people = indexed.library.people_with_counts("c")
    assert [(p.user_id, p.face_count) for p in people] == [("joe", 1)]


def test_delete_faces_keeps_a_persons_faces_and_says_why(tmp_path: Path, testdata: Path) -> None:
    with facedesk.client(database=str(tmp_path / "d.db")) as client:
        client.create_collection(CollectionId="d")
        client.index_faces(
            CollectionId="d",
            Image={"Bytes": (testdata / "real/dlib/bald_guys.jpg").read_bytes()},
        )
        ids = [f["FaceId"] for f in _faces_of(client, "d")]
        client.create_user(CollectionId="d", UserId="kept")
        client.associate_faces(CollectionId="d", UserId="kept", FaceIds=ids[:1])
        gone = "22222222-2222-4222-8222-222222222222"
        result = client.library.delete_faces("d", [*ids, gone])
        assert sorted(result.deleted) == sorted(ids[1:])
        reasons = {r["FaceId"]: r["Reasons"] for r in result.refused}
        assert reasons == {ids[0]: ["ASSOCIATED_TO_AN_EXISTING_USER"], gone: ["FACE_NOT_FOUND"]}
        assert [f["FaceId"] for f in _faces_of(client, "d")] == ids[:1]
        client.library.delete_collection("d")
        assert client.list_collections()["CollectionIds"] == []
        with pytest.raises(ResourceNotFoundException):
            client.library.delete_collection("d")


def _faces_of(client: Any, cid: str) -> list[dict[str, Any]]:
    return list(client.list_faces(CollectionId=cid, MaxResults=4096)["Faces"])


def test_people_with_counts_is_one_query_with_what_people_lists(
    tmp_path: Path, testdata: Path
) -> None:
    with facedesk.client(database=str(tmp_path / "p.db")) as client:
        client.create_collection(CollectionId="p")
        client.index_faces(
            CollectionId="p",
            Image={"Bytes": (testdata / "real/dlib/bald_guys.jpg").read_bytes()},
        )
        ids = [f["FaceId"] for f in _faces_of(client, "p")]
        for user, faces in (("zed", ids[:3]), ("amy", ids[3:4]), ("nobody", [])):
            client.create_user(CollectionId="p", UserId=user)
            if faces:
                client.associate_faces(CollectionId="p", UserId=user, FaceIds=faces)
        lib = client.library
        lib.people.rename("p", "amy", "Amy Ångström")
        lib.people.hide("p", "zed")
        people = lib.people_with_counts("p")
        assert people == lib.people.people("p")  # same list, same order, same fields
        assert [(p.user_id, p.face_count, p.name, p.hidden) for p in people] == [
            ("zed", 3, "zed", True),
            ("amy", 1, "Amy Ångström", False),
            ("nobody", 0, "nobody", False),
        ]
        client.create_collection(CollectionId="empty")
        assert lib.people_with_counts("empty") == []
        with pytest.raises(ResourceNotFoundException):
            lib.people_with_counts("missing")
