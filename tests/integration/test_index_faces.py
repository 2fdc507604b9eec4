"""IndexFaces semantics on real photos (reference section 2, ARCHITECTURE section 4)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageEnhance, ImageFilter

from facedesk import errors
from facedesk.core.quality import min_face_px

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _jpeg(img: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _area(box: dict[str, float]) -> float:
    return box["Width"] * box["Height"]


@pytest.fixture
def coll(client: Any) -> str:
    client.create_collection(CollectionId="photos")
    return "photos"


def test_response_shape_on_two_people(client: Any, coll: str, testdata: Path) -> None:
    data = (testdata / "real/face_recognition/two_people.jpg").read_bytes()
    r = client.index_faces(CollectionId=coll, Image={"Bytes": data}, ExternalImageId="two:people")
    assert len(r["FaceRecords"]) == 2
    assert "OrientationCorrection" not in r
    assert re.fullmatch(r"[0-9.]+", r["FaceModelVersion"])
    areas = [_area(f["Face"]["BoundingBox"]) for f in r["FaceRecords"]]
    assert areas == sorted(areas, reverse=True)
    image_ids = {f["Face"]["ImageId"] for f in r["FaceRecords"]}
    assert len(image_ids) == 1 and UUID.fullmatch(image_ids.pop())
    for rec in r["FaceRecords"]:
        face, detail = rec["Face"], rec["FaceDetail"]
        assert UUID.fullmatch(face["FaceId"])
        assert face["ExternalImageId"] == "two:people"
        assert face["BoundingBox"] == detail["BoundingBox"]
        assert {lm["Type"] for lm in detail["Landmarks"]} == {
            "eyeLeft",
            "eyeRight",
            "nose",
            "mouthLeft",
            "mouthRight",
            "leftEyeBrowLeft",
            "leftEyeBrowRight",
            "leftEyeBrowUp",
            "rightEyeBrowLeft",
            "rightEyeBrowRight",
            "rightEyeBrowUp",
            "leftEyeLeft",
            "leftEyeRight",
            "leftEyeUp",
            "leftEyeDown",
            "rightEyeLeft",
            "rightEyeRight",
            "rightEyeUp",
            "rightEyeDown",
            "noseLeft",
            "noseRight",
            "mouthUp",
            "mouthDown",
            "leftPupil",
            "rightPupil",
            "upperJawlineLeft",
            "midJawlineLeft",
            "chinBottom",
            "midJawlineRight",
            "upperJawlineRight",
        }
        assert set(detail) == {"BoundingBox", "Landmarks", "Pose", "Quality", "Confidence"}
        assert detail["Confidence"] > 90


def test_same_image_same_external_id_stores_nothing_new(
    client: Any, coll: str, testdata: Path
) -> None:
    data = (testdata / "real/face_recognition/obama_and_biden.jpg").read_bytes()
    first = client.index_faces(CollectionId=coll, Image={"Bytes": data}, ExternalImageId="x")
    count = client.describe_collection(CollectionId=coll)["FaceCount"]
    again = client.index_faces(CollectionId=coll, Image={"Bytes": data}, ExternalImageId="x")
    assert client.describe_collection(CollectionId=coll)["FaceCount"] == count
    assert [f["Face"]["FaceId"] for f in again["FaceRecords"]] == [
        f["Face"]["FaceId"] for f in first["FaceRecords"]
    ]
    other = client.index_faces(CollectionId=coll, Image={"Bytes": data}, ExternalImageId="y")
    assert client.describe_collection(CollectionId=coll)["FaceCount"] == 2 * count
    assert {f["Face"]["FaceId"] for f in other["FaceRecords"]}.isdisjoint(
        f["Face"]["FaceId"] for f in first["FaceRecords"]
    )


def test_ids_are_deterministic_across_collections(client: Any, testdata: Path) -> None:
    data = (testdata / "real/face_recognition/two_people.jpg").read_bytes()
    ids = []
    for name in ("a", "b"):
        client.create_collection(CollectionId=name)
        r = client.index_faces(CollectionId=name, Image={"Bytes": data}, ExternalImageId="p")
        ids.append([(f["Face"]["FaceId"], f["Face"]["ImageId"]) for f in r["FaceRecords"]])
    assert ids[0] == ids[1]


def test_max_faces_keeps_best_then_largest(client: Any, coll: str, testdata: Path) -> None:
    data = (testdata / "real/dlib/bald_guys.jpg").read_bytes()
    full = client.detect_faces(Image={"Bytes": data})["FaceDetails"]
    r = client.index_faces(
        CollectionId=coll, Image={"Bytes": data}, MaxFaces=5, QualityFilter="NONE"
    )
    kept = r["FaceRecords"]
    dropped = [u for u in r["UnindexedFaces"] if u["Reasons"] == ["EXCEEDS_MAX_FACES"]]
    assert len(kept) == 5
    assert len(kept) + len(dropped) == len(full)
    # With NONE nothing else is filtered; among equal quality, the largest boxes win.
    smallest_kept = min(_area(f["Face"]["BoundingBox"]) for f in kept)
    assert smallest_kept >= min(_area(u["FaceDetail"]["BoundingBox"]) for u in dropped)


def test_hundred_face_cap(client: Any, coll: str, testdata: Path) -> None:
    tile = Image.open(testdata / "real/dlib/bald_guys.jpg")
    tile = tile.resize((tile.width * 2 // 3, tile.height * 2 // 3))
    sheet = Image.new("RGB", (tile.width * 3, tile.height * 2))
    for i in range(6):
        sheet.paste(tile, ((i % 3) * tile.width, (i // 3) * tile.height))
    data = _jpeg(sheet, 80)
    assert len(data) < 5 * 1024 * 1024
    r = client.index_faces(
        CollectionId=coll, Image={"Bytes": data}, QualityFilter="NONE", MaxFaces=1000
    )
    total = len(r["FaceRecords"]) + len(r.get("UnindexedFaces", []))
    assert total > 100, "the sheet should show more than 100 faces"
    assert len(r["FaceRecords"]) == 100
    assert all(u["Reasons"] == ["EXCEEDS_MAX_FACES"] for u in r["UnindexedFaces"])


def test_quality_filter_levels_on_a_blurred_dark_face(
    client: Any, coll: str, testdata: Path
) -> None:
    img = Image.open(testdata / "real/face_recognition/obama.jpg").convert("RGB")
    img = ImageEnhance.Brightness(img.filter(ImageFilter.GaussianBlur(6))).enhance(0.12)
    data = _jpeg(img)
    none = client.index_faces(
        CollectionId=coll, Image={"Bytes": data}, QualityFilter="NONE", ExternalImageId="none"
    )
    assert len(none["FaceRecords"]) == 1 and none["UnindexedFaces"] == []
    high = client.index_faces(
        CollectionId=coll, Image={"Bytes": data}, QualityFilter="HIGH", ExternalImageId="high"
    )
    assert high["FaceRecords"] == []
    reasons = high["UnindexedFaces"][0]["Reasons"]
    assert {"LOW_BRIGHTNESS", "LOW_SHARPNESS"} <= set(reasons), reasons


def test_default_quality_filter_is_auto_and_keeps_good_faces(
    client: Any, coll: str, testdata: Path
) -> None:
    data = (testdata / "real/face_recognition/obama.jpg").read_bytes()
    for level in ("AUTO", "LOW", "MEDIUM", "HIGH"):
        r = client.index_faces(
            CollectionId=coll, Image={"Bytes": data}, QualityFilter=level, ExternalImageId=level
        )
        assert len(r["FaceRecords"]) == 1, level
    default = client.index_faces(CollectionId=coll, Image={"Bytes": data}, ExternalImageId="d")
    assert len(default["FaceRecords"]) == 1


def test_small_bounding_box_follows_rekognition_rule(
    client: Any, coll: str, testdata: Path
) -> None:
    # On a 3840x2160 picture Rekognition's minimum face is 80 px (40 px at 1920x1080,
    # scaled). Three copies of a portrait give faces of about 220, 107 and 74 px.
    src = Image.open(testdata / "real/face_recognition/obama.jpg").convert("RGB")
    canvas = Image.new("RGB", (3840, 2160), (120, 120, 120))
    x = 40
    for height in (1000, 500, 335):
        small = src.resize((src.width * height // src.height, height))
        canvas.paste(small, (x, 200))
        x += small.width + 80
    data = _jpeg(canvas)
    limit = min_face_px(3840, 2160)
    assert limit == 80
    r = client.index_faces(CollectionId=coll, Image={"Bytes": data}, QualityFilter="AUTO")
    assert len(r["FaceRecords"]) == 2
    for rec in r["FaceRecords"]:
        box = rec["FaceDetail"]["BoundingBox"]
        assert min(box["Width"] * 3840, box["Height"] * 2160) >= limit
    [small] = r["UnindexedFaces"]
    assert small["Reasons"] == ["SMALL_BOUNDING_BOX"]
    box = small["FaceDetail"]["BoundingBox"]
    assert min(box["Width"] * 3840, box["Height"] * 2160) < limit
    none = client.index_faces(
        CollectionId=coll, Image={"Bytes": data}, QualityFilter="NONE", ExternalImageId="n"
    )
    assert len(none["FaceRecords"]) == 3


def test_index_record_keeps_measurements(client: Any, coll: str, testdata: Path) -> None:
    data = (testdata / "real/dlib/2008_002079.jpg").read_bytes()
    r = client.index_faces(CollectionId=coll, Image={"Bytes": data}, ExternalImageId="party")
    [image] = client.library.list_images(coll)
    image_id = image.image_id
    assert image.face_count == len(r.get("FaceRecords", []))
    assert image.unindexed_count == len(r.get("UnindexedFaces", [])) > 0
    record = client.library.index_record(coll, image_id, "party")
    assert record is not None
    n = len(r.get("FaceRecords", [])) + len(r.get("UnindexedFaces", []))
    assert len(record.measurements) == n
    for m in record.measurements:
        assert {
            "brightness",
            "sharpness",
            "confidence",
            "yaw",
            "pitch",
            "roll",
            "box_short_side_px",
            "min_face_px",
            "reasons",
        } <= set(m)
        assert m["indexed"] == (not m["reasons"])


def test_one_call_is_one_transaction(
    client: Any, coll: str, testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facedesk.storage.repositories import IndexRecordRepository

    def boom(self: Any, record: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(IndexRecordRepository, "add", boom)
    data = (testdata / "real/dlib/bald_guys.jpg").read_bytes()
    with pytest.raises(RuntimeError):
        client.index_faces(CollectionId=coll, Image={"Bytes": data})
    monkeypatch.undo()
    assert client.describe_collection(CollectionId=coll)["FaceCount"] == 0


def test_no_face_is_an_empty_result(client: Any, coll: str, testdata: Path) -> None:
    data = (testdata / "real/skimage/coffee.png").read_bytes()
    r = client.index_faces(CollectionId=coll, Image={"Bytes": data})
    # Rekognition returns the empty lists; code doing r["UnindexedFaces"] must not KeyError.
    assert r["FaceRecords"] == [] and r["UnindexedFaces"] == []


def test_bytes_limits(client: Any, coll: str, testdata: Path) -> None:
    with pytest.raises(errors.ImageTooLargeException):
        client.index_faces(CollectionId=coll, Image={"Bytes": b"\xff" * (5 * 1024 * 1024 + 1)})
    with pytest.raises(errors.InvalidParameterException):
        client.index_faces(CollectionId=coll, Image={"Bytes": b""})
    tiny = _jpeg(Image.new("RGB", (79, 200), (128, 128, 128)))
    with pytest.raises(errors.InvalidParameterException):
        client.index_faces(CollectionId=coll, Image={"Bytes": tiny})
    webp = (testdata / "derived/two_people.webp").read_bytes()
    with pytest.raises(errors.InvalidImageFormatException):
        client.index_faces(CollectionId=coll, Image={"Bytes": webp})
    with pytest.raises(errors.InvalidS3ObjectException):
        client.index_faces(
            CollectionId=coll, Image={"S3Object": {"Bucket": "bkt", "Name": "a.jpg"}}
        )


def test_file_objects_are_accepted_as_bytes(client: Any, coll: str, testdata: Path) -> None:
    with open(testdata / "real/face_recognition/obama_small.jpg", "rb") as fh:
        r = client.index_faces(CollectionId=coll, Image={"Bytes": fh})
    assert len(r["FaceRecords"]) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"QualityFilter": "BEST"},
        {"MaxFaces": 0},
        {"ExternalImageId": "a b"},
        {"ExternalImageId": ""},
        {"DetectionAttributes": ["EVERYTHING"]},
        {"MaxFaces": "3"},
    ],
)
def test_index_faces_validation(client: Any, coll: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(errors.InvalidParameterException):
        client.index_faces(CollectionId=coll, Image={"Bytes": b"\xff\xd8"}, **kwargs)


def test_detect_faces_applies_exif_orientation(client: Any, testdata: Path) -> None:
    rotated = (testdata / "derived/biden_exif_orientation6.jpg").read_bytes()
    upright = (testdata / "real/face_recognition/biden.jpg").read_bytes()
    r = client.detect_faces(Image={"Bytes": rotated})
    ref = client.detect_faces(Image={"Bytes": upright})
    assert len(r["FaceDetails"]) == len(ref["FaceDetails"]) == 1
    assert "OrientationCorrection" not in r
    box, ref_box = r["FaceDetails"][0]["BoundingBox"], ref["FaceDetails"][0]["BoundingBox"]
    for key in ("Left", "Top", "Width", "Height"):
        assert abs(box[key] - ref_box[key]) < 0.02, key
    marks = {lm["Type"]: lm for lm in r["FaceDetails"][0]["Landmarks"]}
    assert marks["eyeLeft"]["Y"] < marks["nose"]["Y"] < marks["mouthLeft"]["Y"]


def test_max_faces_among_equal_quality_drops_the_smallest_first(
    client: Any, coll: str, testdata: Path
) -> None:
    """The same portrait at five sizes: equal quality, so MaxFaces keeps the k largest."""
    from facedesk.core.quality import FaceMeasure, quality_rank

    src = Image.open(testdata / "real/face_recognition/obama.jpg").convert("RGB")
    canvas = Image.new("RGB", (2600, 1100), (120, 120, 120))
    x = 20
    # Pasted out of size order, so that neither detection order nor position gives the answer.
    for height in (700, 420, 1000, 330, 540):
        small = src.resize((src.width * height // src.height, height))
        canvas.paste(small, (x, 1100 - height))
        x += small.width + 20
    data = _jpeg(canvas)
    every = client.index_faces(
        CollectionId=coll, Image={"Bytes": data}, QualityFilter="NONE", ExternalImageId="all"
    )["FaceRecords"]
    assert len(every) == 5

    def rank(detail: dict[str, Any]) -> int:
        p, q = detail["Pose"], detail["Quality"]
        face = FaceMeasure(
            0.0, 0.0, detail["Confidence"], q["Brightness"], q["Sharpness"], p["Yaw"], p["Pitch"], 0
        )
        return quality_rank(face)

    assert len({rank(r["FaceDetail"]) for r in every}) == 1, "the copies should rank equal"
    by_size = sorted(every, key=lambda r: _area(r["Face"]["BoundingBox"]), reverse=True)
    for k in range(1, 5):
        r = client.index_faces(
            CollectionId=coll,
            Image={"Bytes": data},
            QualityFilter="NONE",
            MaxFaces=k,
            ExternalImageId=f"k{k}",
        )
        kept = [rec["Face"]["BoundingBox"] for rec in r["FaceRecords"]]
        dropped = [u["FaceDetail"]["BoundingBox"] for u in r["UnindexedFaces"]]
        assert kept == [rec["Face"]["BoundingBox"] for rec in by_size[:k]], k
        assert sorted(map(_area, dropped), reverse=True) == [
            _area(rec["Face"]["BoundingBox"]) for rec in by_size[k:]
        ], k
        assert all(u["Reasons"] == ["EXCEEDS_MAX_FACES"] for u in r["UnindexedFaces"])
