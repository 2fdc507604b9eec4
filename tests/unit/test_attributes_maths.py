"""Attribute maths: AgeRange from a distribution, confidences, emotion names, landmark ratios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facedesk.engine import attr_geometry, attr_models, attributes


def _peak(age: int) -> np.ndarray:
    p = np.zeros(81, dtype=np.float32)
    p[age] = 1.0  # class index == age in years for 1..80
    return p


def test_age_range_has_a_minimum_width_around_a_sure_answer() -> None:
    assert attributes.age_range(_peak(40)) == {"Low": 35, "High": 45}
    assert attributes.age_range(_peak(2))["Low"] == 0  # never negative


def test_age_range_widens_to_the_quantiles() -> None:
    p = np.zeros(81, dtype=np.float32)
    p[20] = p[60] = 0.5
    r = attributes.age_range(p)
    assert r["Low"] <= 20 and r["High"] >= 60
    assert all(type(v) is int for v in r.values())


def test_gender_confidence_drops_for_profile_faces() -> None:
    frontal = attributes.gender(0.99, yaw_deg=10.0)
    assert frontal == {"Value": "Male", "Confidence": pytest.approx(99.0)}
    profile = attributes.gender(0.99, yaw_deg=-80.0)
    assert profile["Value"] == "Male"
    assert 50.0 < profile["Confidence"] < 75.0
    assert attributes.gender(0.2, yaw_deg=0.0) == {
        "Value": "Female",
        "Confidence": pytest.approx(80.0),
    }


def test_emotions_use_rekognition_names_sorted() -> None:
    probs = dict(zip(attr_models.FER_LABELS, [0.05, 0.0, 0.05, 0.6, 0.1, 0.1, 0.1], strict=True))
    out = attributes.emotions(probs)
    assert out[0] == {"Type": "HAPPY", "Confidence": pytest.approx(60.0)}
    assert {e["Type"] for e in out} == {
        "ANGRY", "DISGUSTED", "FEAR", "HAPPY", "SAD", "SURPRISED", "CALM",
    }  # fmt: skip
    assert attributes.smile(0.6) == {"Value": True, "Confidence": pytest.approx(60.0)}
    assert attributes.smile(0.1) == {"Value": False, "Confidence": pytest.approx(90.0)}


def _face(eye_height: float, lip_gap: float) -> np.ndarray:
    """68 points where only the eyes (36-47) and inner lips (60-67) matter."""
    pts = np.zeros((68, 2))
    for start, x0 in ((36, 0.0), (42, 60.0)):
        # p1 corner, p2 p3 upper, p4 corner, p5 p6 lower; width 30
        pts[start : start + 6] = [
            (x0, 0), (x0 + 10, -eye_height / 2), (x0 + 20, -eye_height / 2),
            (x0 + 30, 0), (x0 + 20, eye_height / 2), (x0 + 10, eye_height / 2),
        ]  # fmt: skip
    pts[60] = (0, 100)
    pts[64] = (40, 100)
    for top, bottom, x in ((61, 67, 10), (62, 66, 20), (63, 65, 30)):
        pts[top] = (x, 100 - lip_gap / 2)
        pts[bottom] = (x, 100 + lip_gap / 2)
    return pts


def test_eye_aspect_ratio_and_mouth_ratio() -> None:
    face = _face(eye_height=9.0, lip_gap=8.0)
    assert attr_geometry.eye_ratios(face) == pytest.approx((0.3, 0.3))
    assert attr_geometry.mouth_ratio(face) == pytest.approx(0.2)


def test_eyes_open_confidence_grows_with_margin_and_shrinks_with_yaw_and_smile() -> None:
    wide = attr_geometry.eyes_open(_face(12.0, 0.0), yaw_deg=0.0)
    near = attr_geometry.eyes_open(_face(6.0, 0.0), yaw_deg=0.0)
    assert wide.value and near.value
    assert wide.confidence > near.confidence
    turned = attr_geometry.eyes_open(_face(12.0, 0.0), yaw_deg=60.0)
    assert turned.confidence < wide.confidence
    closed = attr_geometry.eyes_open(_face(2.0, 0.0), yaw_deg=0.0)
    closed_laughing = attr_geometry.eyes_open(_face(2.0, 0.0), yaw_deg=0.0, happy=0.95)
    assert not closed.value and not closed_laughing.value
    assert closed_laughing.confidence < closed.confidence
    assert 50.0 <= closed_laughing.confidence <= attr_geometry.MAX_CONFIDENCE


def test_mouth_open_threshold() -> None:
    assert attr_geometry.mouth_open(_face(9.0, 16.0), yaw_deg=0.0).value is True
    assert attr_geometry.mouth_open(_face(9.0, 0.0), yaw_deg=0.0).value is False


def test_model_files_are_pinned(tmp_path: Path) -> None:
    bad = tmp_path / attr_models.EMOTION_FILE
    bad.write_bytes(b"not the model")
    with pytest.raises(attr_models.ModelFileError):
        attr_models._checked(bad)
