"""Faces drawn by hand and "not a face": stored, searched, remembered and undone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import facedesk
from facedesk.core.errors import InvalidParameterException
from facedesk.core.types import BoundingBox
from facedesk.service.indexing import IndexOptions
from tests.support.turned import make_pair, turned_box


@pytest.fixture
def pair(tmp_path: Path, testdata: Path) -> Path:
    return make_pair(testdata, tmp_path / "pair.jpg")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    c = facedesk.client(database=str(tmp_path / "lib.db"), store_thumbnails=True)
    # FaceModelVersion 1.0 (dlib HOG): it misses the turned face a person then draws
    c.library.create_collection(collection_id="c", model_version="1.0")
    yield c
    c.close()


def _index(client: Any, path: Path, **options: Any) -> Any:
    events = list(client.library.iter_index_files("c", [path], IndexOptions(**options)))
    return events[-1].result


def test_a_face_the_detector_missed_is_drawn_stored_and_found(client: Any, pair: Path) -> None:
    path = pair
    result = _index(client, path)
    assert result.indexed == 1  # the upright face only
    lib = client.library
    original = client.list_faces(CollectionId="c")["Faces"][0]
    turned = turned_box(BoundingBox.from_dict(original["BoundingBox"]), path)
    drawn = lib.draw_face("c", result.image_id, result.external_image_id, turned)
    face = drawn["Face"]
    assert face["Confidence"] == 100.0 and face["BoundingBox"] == turned.to_dict()
    assert len(drawn["FaceDetail"]["Landmarks"]) == 30
    # the same man: the drawn face's descriptor finds the upright one
    matches = client.search_faces(CollectionId="c", FaceId=face["FaceId"])["FaceMatches"]
    assert [m["Face"]["FaceId"] for m in matches] == [original["FaceId"]]
    assert matches[0]["Similarity"] > 95
    assert {f["FaceId"] for f in client.list_faces(CollectionId="c")["Faces"]} == {
        original["FaceId"],
        face["FaceId"],
    }
    record = lib.index_record("c", result.image_id, result.external_image_id)
    assert record.face_count == 2 and len(record.response["FaceRecords"]) == 2
    assert [m.get("user_drawn", False) for m in record.measurements] == [False, True]
    assert lib.face_thumbnail("c", face["FaceId"])  # the grid shows it like any other
    # IndexFaces on the same bytes now returns both, as stored
    again = client.index_faces(
        CollectionId="c", Image={"Bytes": path.read_bytes()}, ExternalImageId="pair.jpg"
    )
    assert len(again["FaceRecords"]) == 2
    # the same face twice, or a box off the photo, is refused
    with pytest.raises(InvalidParameterException, match="already stored"):
        lib.draw_face("c", result.image_id, "pair.jpg", turned)
    off = BoundingBox(left=0.9, top=0.1, width=0.3, height=0.2)
    with pytest.raises(InvalidParameterException, match="outside"):
        lib.draw_face("c", result.image_id, "pair.jpg", off)
    # undo: the drawn face goes, nothing else changes
    lib.remove_drawn_face("c", result.image_id, "pair.jpg", face["FaceId"])
    assert [f["FaceId"] for f in client.list_faces(CollectionId="c")["Faces"]] == [
        original["FaceId"]
    ]
    record = lib.index_record("c", result.image_id, "pair.jpg")
    assert record.face_count == 1 and len(record.measurements) == 1


def test_not_a_face_is_removed_remembered_and_undone(client: Any, testdata: Path) -> None:
    photo = testdata / "real/face_recognition/two_people.jpg"
    result = _index(client, photo, max_faces=1)  # one indexed, one EXCEEDS_MAX_FACES
    lib = client.library
    record = lib.index_record("c", result.image_id, result.external_image_id)
    kept = record.response["FaceRecords"][0]
    extra = record.response["UnindexedFaces"][0]
    # an indexed detection
    lib.not_a_face("c", result.image_id, "two_people.jpg", kept["FaceDetail"]["BoundingBox"])
    assert client.list_faces(CollectionId="c")["Faces"] == []
    record = lib.index_record("c", result.image_id, "two_people.jpg")
    assert (record.face_count, record.unindexed_count) == (0, 1)
    assert len(record.settings["NotFaces"]) == 1
    # a rescan does not bring it back
    assert _index(client, photo, max_faces=1).status == "unchanged"
    again = client.index_faces(
        CollectionId="c", Image={"Bytes": photo.read_bytes()}, ExternalImageId="two_people.jpg"
    )
    assert "FaceRecords" not in again or again["FaceRecords"] == []
    # an unindexed one too
    lib.not_a_face("c", result.image_id, "two_people.jpg", extra["FaceDetail"]["BoundingBox"])
    record = lib.index_record("c", result.image_id, "two_people.jpg")
    assert (record.face_count, record.unindexed_count, len(record.measurements)) == (0, 0, 0)
    # undo, latest first: each comes back as it was, with its FaceId and descriptor
    lib.undo_not_a_face("c", result.image_id, "two_people.jpg", extra["FaceDetail"]["BoundingBox"])
    lib.undo_not_a_face("c", result.image_id, "two_people.jpg", kept["FaceDetail"]["BoundingBox"])
    record = lib.index_record("c", result.image_id, "two_people.jpg")
    assert (record.face_count, record.unindexed_count, len(record.measurements)) == (1, 1, 2)
    assert record.response["FaceRecords"][0] == kept and record.settings["NotFaces"] == []
    faces = client.list_faces(CollectionId="c")["Faces"]
    assert [f["FaceId"] for f in faces] == [kept["Face"]["FaceId"]]
    found = client.search_faces_by_image(
        CollectionId="c", Image={"Bytes": photo.read_bytes()}, FaceMatchThreshold=0
    )
    assert any(m["Similarity"] > 99 for m in found["FaceMatches"])


def test_a_face_of_a_person_is_not_removed_as_not_a_face(client: Any, testdata: Path) -> None:
    result = _index(client, testdata / "real/face_recognition/obama.jpg")
    face = client.list_faces(CollectionId="c")["Faces"][0]
    client.create_user(CollectionId="c", UserId="barack")
    client.associate_faces(CollectionId="c", UserId="barack", FaceIds=[face["FaceId"]])
    with pytest.raises(InvalidParameterException, match="belongs to a person"):
        client.library.not_a_face("c", result.image_id, "obama.jpg", face["BoundingBox"])
    assert len(client.list_faces(CollectionId="c")["Faces"]) == 1


def test_corrections_outlive_a_new_analysis_with_other_settings(client: Any, pair: Path) -> None:
    result = _index(client, pair)
    lib = client.library
    upright = client.list_faces(CollectionId="c")["Faces"][0]
    drawn = lib.draw_face(
        "c",
        result.image_id,
        "pair.jpg",
        turned_box(BoundingBox.from_dict(upright["BoundingBox"]), pair),
    )["Face"]
    lib.not_a_face("c", result.image_id, "pair.jpg", upright["BoundingBox"])
    assert [f["FaceId"] for f in client.list_faces(CollectionId="c")["Faces"]] == [drawn["FaceId"]]
    # the batch analyses the photo again under other settings (README's rule) ...
    again = _index(client, pair, quality_filter="NONE")
    assert again.status == "indexed"
    # ... and what the person said still holds: the drawn face stays, the other stays out
    assert [f["FaceId"] for f in client.list_faces(CollectionId="c")["Faces"]] == [drawn["FaceId"]]
    record = lib.index_record("c", result.image_id, "pair.jpg")
    assert record.settings["QualityFilter"] == "NONE"
    assert [r["Face"]["FaceId"] for r in record.response["FaceRecords"]] == [drawn["FaceId"]]
    assert [m.get("user_drawn", False) for m in record.measurements] == [True]
    assert len(record.settings["NotFaces"]) == 1
