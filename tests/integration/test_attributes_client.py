"""DetectionAttributes through the client: valid Rekognition shapes, nothing invented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

NEVER = {"Eyeglasses", "Sunglasses", "Beard", "Mustache", "FaceOccluded", "EyeDirection"}
MODELLED = {"AgeRange", "Gender", "Emotions", "Smile", "EyesOpen", "MouthOpen"}


def test_all_attributes_on_real_people(client: Any, testdata: Path) -> None:
    client.create_collection(CollectionId="a")
    for path, gender in [
        ("real/face_recognition/two_people.jpg", "Male"),
        ("real/skimage/astronaut.png", "Female"),
    ]:
        data = (testdata / path).read_bytes()
        r = client.index_faces(
            CollectionId="a",
            Image={"Bytes": data},
            DetectionAttributes=["ALL"],
            ExternalImageId="x",
        )
        for rec in r["FaceRecords"]:
            detail = rec["FaceDetail"]
            assert set(detail) >= MODELLED, set(detail)
            assert not NEVER & set(detail)
            assert detail["Gender"]["Value"] == gender
            assert detail["AgeRange"]["Low"] < detail["AgeRange"]["High"]
            assert detail["EyesOpen"]["Value"] is True
            assert {e["Type"] for e in detail["Emotions"]} <= {
                "HAPPY",
                "SAD",
                "ANGRY",
                "DISGUSTED",
                "SURPRISED",
                "CALM",
                "FEAR",
            }
        # The mission patch HOG also finds on the astronaut is no face: nothing is stored.
        assert all(u["Reasons"] != ["LOW_CONFIDENCE"] for u in r["UnindexedFaces"])


def test_single_attribute_and_default(client: Any, testdata: Path) -> None:
    data = (testdata / "real/face_recognition/biden.jpg").read_bytes()
    only = client.detect_faces(Image={"Bytes": data}, Attributes=["GENDER"])
    [detail] = only["FaceDetails"]
    assert set(detail) == {"BoundingBox", "Landmarks", "Pose", "Quality", "Confidence", "Gender"}
    both = client.detect_faces(Image={"Bytes": data}, Attributes=["ALL", "DEFAULT"])
    assert set(both["FaceDetails"][0]) >= MODELLED
    low, high = (
        both["FaceDetails"][0]["AgeRange"]["Low"],
        both["FaceDetails"][0]["AgeRange"]["High"],
    )
    assert low <= 70 <= high  # Biden was about 70 in this photo
    default = client.detect_faces(Image={"Bytes": data}, Attributes=["DEFAULT"])
    assert set(default["FaceDetails"][0]) == {
        "BoundingBox",
        "Landmarks",
        "Pose",
        "Quality",
        "Confidence",
    }
    unsupported = client.detect_faces(Image={"Bytes": data}, Attributes=["BEARD"])
    assert "Beard" not in unsupported["FaceDetails"][0]
