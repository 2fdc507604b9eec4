"""The quality filter and IndexFaces planning as pure rules: every threshold at its edge.

Fast unit tests (no engine, no database) so that mutation testing (bench/mutation.py) can
run them for each mutant; the same rules are checked on real photos in tests/integration.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from facedesk.core import quality
from facedesk.core.quality import LEVELS, FaceMeasure, min_face_px, quality_rank, reasons
from facedesk.core.types import (
    DetectedFace,
    IndexRecord,
    Landmark,
    PixelBox,
    Pose,
    Quality,
)
from facedesk.service.index_faces import (
    MAX_FACES_PER_IMAGE,
    IndexRequest,
    plan,
    same_settings,
    stored_response,
)

GOOD = FaceMeasure(100.0, 40.0, 99.0, 60.0, 60.0, 0.0, 0.0, 0.0)


def face(
    side: float,
    left: float = 0.0,
    confidence: float = 99.0,
    brightness: float = 60.0,
    sharpness: float = 60.0,
    yaw: float = 0.0,
    pitch: float = 0.0,
    width: int = 1000,
    height: int = 1000,
) -> DetectedFace:
    box = PixelBox(left, 10.0, left + side, 10.0 + side)
    return DetectedFace(
        box=box,
        bounding_box=box.to_ratio(width, height),
        confidence=confidence,
        detector_score=1.0,
        landmarks=(Landmark("nose", 0.5, 0.5),),
        pose=Pose(roll=3.0, yaw=yaw, pitch=pitch),
        quality=Quality(brightness=brightness, sharpness=sharpness),
        descriptor=np.zeros(128, dtype=np.float32),
    )


# --- min_face_px ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("w", "h", "expected"),
    [
        (1920, 1080, 40.0),
        (1080, 1920, 40.0),  # portrait: the same rule
        (640, 480, 40.0),  # never below 40
        (3840, 2160, 80.0),
        (3840, 1080, 80.0),  # the long side alone
        (2000, 1900, 40.0 * 1900 / 1080),  # the short side rules here
        (2000, 1000, 40.0 * 2000 / 1920),
    ],
)
def test_min_face_px(w: int, h: int, expected: float) -> None:
    assert min_face_px(w, h) == pytest.approx(expected)


# --- reasons --------------------------------------------------------------------------------


def test_levels_are_the_documented_table() -> None:
    assert LEVELS["AUTO"] == LEVELS["MEDIUM"]
    assert quality.thresholds_table() == {
        "LOW": {
            "min_confidence": 50.0,
            "min_brightness": 10.0,
            "min_sharpness": 4.0,
            "max_abs_yaw": 85.0,
            "max_abs_pitch": 60.0,
        },
        "MEDIUM": {
            "min_confidence": 80.0,
            "min_brightness": 20.0,
            "min_sharpness": 12.0,
            "max_abs_yaw": 75.0,
            "max_abs_pitch": 45.0,
        },
        "HIGH": {
            "min_confidence": 90.0,
            "min_brightness": 30.0,
            "min_sharpness": 25.0,
            "max_abs_yaw": 50.0,
            "max_abs_pitch": 35.0,
        },
        "AUTO": {
            "min_confidence": 80.0,
            "min_brightness": 20.0,
            "min_sharpness": 12.0,
            "max_abs_yaw": 75.0,
            "max_abs_pitch": 45.0,
        },
    }
    assert quality.QUALITY_FILTERS == ("NONE", "AUTO", "LOW", "MEDIUM", "HIGH")


def test_a_good_face_passes_every_level() -> None:
    for level in ("AUTO", "LOW", "MEDIUM", "HIGH", "NONE"):
        assert reasons(GOOD, level) == []


@pytest.mark.parametrize("level", ["LOW", "MEDIUM", "HIGH", "AUTO"])
def test_each_threshold_at_its_edge(level: str) -> None:
    t = LEVELS[level]
    # At the bar a face passes; just past it, the one reason.
    edges: list[tuple[dict[str, float], dict[str, float], str]] = [
        (
            {"confidence": t.min_confidence},
            {"confidence": t.min_confidence - 0.01},
            "LOW_CONFIDENCE",
        ),
        (
            {"brightness": t.min_brightness},
            {"brightness": t.min_brightness - 0.01},
            "LOW_BRIGHTNESS",
        ),
        ({"sharpness": t.min_sharpness}, {"sharpness": t.min_sharpness - 0.01}, "LOW_SHARPNESS"),
        ({"yaw": t.max_abs_yaw}, {"yaw": t.max_abs_yaw + 0.01}, "EXTREME_POSE"),
        ({"yaw": -t.max_abs_yaw}, {"yaw": -t.max_abs_yaw - 0.01}, "EXTREME_POSE"),
        ({"pitch": t.max_abs_pitch}, {"pitch": t.max_abs_pitch + 0.01}, "EXTREME_POSE"),
        ({"pitch": -t.max_abs_pitch}, {"pitch": -t.max_abs_pitch - 0.01}, "EXTREME_POSE"),
    ]
    for at, past, reason in edges:
        assert reasons(replace(GOOD, **at), level) == [], (level, at)
        assert reasons(replace(GOOD, **past), level) == [reason], (level, past)
        assert reasons(replace(GOOD, **past), "NONE") == []


def test_small_box_at_every_level_but_none() -> None:
    at = replace(GOOD, box_short_side_px=40.0, min_face_px=40.0)
    under = replace(GOOD, box_short_side_px=39.99, min_face_px=40.0)
    for level in ("LOW", "MEDIUM", "HIGH", "AUTO"):
        assert reasons(at, level) == []
        assert reasons(under, level) == ["SMALL_BOUNDING_BOX"]
    assert reasons(under, "NONE") == []


def test_several_reasons_in_a_fixed_order() -> None:
    bad = FaceMeasure(10.0, 40.0, 1.0, 1.0, 1.0, 90.0, 0.0, 0.0)
    assert reasons(bad, "LOW") == [
        "SMALL_BOUNDING_BOX",
        "LOW_CONFIDENCE",
        "LOW_BRIGHTNESS",
        "LOW_SHARPNESS",
        "EXTREME_POSE",
    ]
    # a bad pitch with a good yaw is one EXTREME_POSE, as is both bad
    both = replace(GOOD, yaw=89.0, pitch=-70.0)
    assert reasons(both, "LOW") == ["EXTREME_POSE"]


# --- quality_rank ---------------------------------------------------------------------------


def test_quality_rank_counts_the_levels_cleared() -> None:
    assert quality_rank(GOOD) == 3
    # (field, value at the HIGH bar, just past HIGH, past MEDIUM, past LOW)
    cases = [
        ("confidence", 90.0, 89.99, 79.99, 49.99),
        ("brightness", 30.0, 29.99, 19.99, 9.99),
        ("sharpness", 25.0, 24.99, 11.99, 3.99),
        ("yaw", 50.0, 50.01, 75.01, 85.01),
        ("yaw", -50.0, -50.01, -75.01, -85.01),
        ("pitch", 35.0, 35.01, 45.01, 60.01),
        ("pitch", -35.0, -35.01, -45.01, -60.01),
    ]
    for field, at_high, *past in cases:
        assert quality_rank(replace(GOOD, **{field: at_high})) == 3, field
        ranks = [quality_rank(replace(GOOD, **{field: v})) for v in past]
        assert ranks == [2, 1, 0], (field, ranks)


def test_face_measure_reads_the_face() -> None:
    f = face(50.0, confidence=91.0, brightness=33.0, sharpness=44.0, yaw=-12.0, pitch=7.0)
    f = replace(f, box=PixelBox(0.0, 0.0, 50.0, 30.0))
    m = FaceMeasure.of(f, 3840, 2160)
    assert m == FaceMeasure(30.0, 80.0, 91.0, 33.0, 44.0, -12.0, 7.0, 3.0)
    assert m.to_dict() == {
        "box_short_side_px": 30.0,
        "min_face_px": 80.0,
        "confidence": 91.0,
        "brightness": 33.0,
        "sharpness": 44.0,
        "yaw": -12.0,
        "pitch": 7.0,
        "roll": 3.0,
    }
    tall = replace(f, box=PixelBox(0.0, 0.0, 30.0, 50.0))
    assert FaceMeasure.of(tall, 100, 100).box_short_side_px == 30.0


# --- plan -----------------------------------------------------------------------------------


def _kept(planned: list[Any]) -> list[float]:
    return [p.face.box.width for p in planned if p.indexed]


def test_plan_orders_largest_first_and_keeps_measures() -> None:
    faces = [face(60, left=0), face(90, left=100), face(75, left=300)]
    planned = plan(faces, 1000, 1000)
    assert [p.face.box.width for p in planned] == [90, 75, 60]
    assert all(p.indexed and p.reasons == () for p in planned)
    assert planned[0].measure == FaceMeasure.of(planned[0].face, 1000, 1000)


def test_plan_applies_the_filter() -> None:
    faces = [face(90, confidence=50.0), face(60)]
    planned = plan(faces, 1000, 1000, "AUTO")
    assert [(p.face.box.width, p.reasons) for p in planned] == [
        (90, ("LOW_CONFIDENCE",)),
        (60, ()),
    ]
    assert not planned[0].indexed
    assert all(p.indexed for p in plan(faces, 1000, 1000, "NONE"))
    assert plan(faces, 1000, 1000)[0].reasons == ("LOW_CONFIDENCE",)  # AUTO by default


def test_max_faces_among_equal_quality_drops_the_smallest_first() -> None:
    sizes = [70, 95, 60, 120, 85, 100]
    faces = [face(s, left=i * 130) for i, s in enumerate(sizes)]
    for k in range(1, len(sizes)):
        planned = plan(faces, 1000, 1000, "NONE", k)
        assert _kept(planned) == sorted(sizes, reverse=True)[:k], k
        dropped = [p for p in planned if not p.indexed]
        assert [p.face.box.width for p in dropped] == sorted(sizes, reverse=True)[k:]
        assert all(p.reasons == ("EXCEEDS_MAX_FACES",) for p in dropped)
    assert _kept(plan(faces, 1000, 1000, "NONE", len(sizes))) == sorted(sizes, reverse=True)


def test_max_faces_drops_lower_quality_before_smaller() -> None:
    # Ranks: 3 (HIGH), 2 (MEDIUM only: confidence 85), 1 (LOW only: sharpness 5).
    faces = [face(120, sharpness=5.0), face(100, confidence=85.0), face(60), face(50)]
    planned = plan(faces, 1000, 1000, "NONE", 2)
    assert _kept(planned) == [60, 50]
    planned = plan(faces, 1000, 1000, "NONE", 3)
    assert _kept(planned) == [100, 60, 50]
    # Faces the filter left out keep their reasons and do not count against MaxFaces.
    planned = plan(faces, 1000, 1000, "MEDIUM", 1)
    assert [(p.face.box.width, p.reasons) for p in planned] == [
        (120, ("LOW_SHARPNESS",)),
        (100, ("EXCEEDS_MAX_FACES",)),
        (60, ()),
        (50, ("EXCEEDS_MAX_FACES",)),
    ]


def test_max_faces_zero_none_and_over_the_cap_mean_one_hundred() -> None:
    faces = [face(41 + i * 0.5, left=float(i)) for i in range(MAX_FACES_PER_IMAGE + 3)]
    assert MAX_FACES_PER_IMAGE == 100
    for max_faces in (None, 0, 1000, MAX_FACES_PER_IMAGE):
        planned = plan(faces, 100_000, 100, "NONE", max_faces)
        assert sum(p.indexed for p in planned) == 100, max_faces
        assert [p.reasons for p in planned[100:]] == [("EXCEEDS_MAX_FACES",)] * 3
    exactly = plan(faces[:100], 100_000, 100, "NONE")
    assert all(p.indexed for p in exactly)


# --- the stored answer and the settings -------------------------------------------------------


def _record(response: dict[str, Any], settings: dict[str, Any] | None = None) -> IndexRecord:
    return IndexRecord(
        collection_id="c",
        image_id="i",
        external_image_id=None,
        response=response,
        settings=settings or {},
        measurements=(),
        indexed_at=datetime.now(UTC),
        face_count=0,
        unindexed_count=0,
    )


def test_stored_response_leaves_out_deleted_faces_and_keeps_empty_lists() -> None:
    recs = [{"Face": {"FaceId": "a"}}, {"Face": {"FaceId": "b"}}]
    unindexed = [{"Reasons": ["LOW_SHARPNESS"]}]
    record = _record({"FaceRecords": recs, "FaceModelVersion": "1.0", "UnindexedFaces": unindexed})
    assert stored_response(record, {"b", "zzz"}) == {
        "FaceRecords": [recs[1]],
        "FaceModelVersion": "1.0",
        "UnindexedFaces": unindexed,
    }
    # Rekognition returns both lists, empty ones included (README: "Wire shape")
    assert stored_response(record, set()) == {
        "FaceRecords": [],
        "FaceModelVersion": "1.0",
        "UnindexedFaces": unindexed,
    }
    bare = _record({"FaceRecords": recs, "FaceModelVersion": "1.0", "UnindexedFaces": []})
    assert stored_response(bare, {"a", "b"}) == {
        "FaceRecords": recs,
        "FaceModelVersion": "1.0",
        "UnindexedFaces": [],
    }
    assert list(stored_response(record, {"a"})) == [
        "FaceRecords",
        "FaceModelVersion",
        "UnindexedFaces",
    ]


def test_request_settings_and_their_comparison() -> None:
    request = IndexRequest("x", 3, "HIGH", ("ALL",), None)
    wanted = request.settings("hog")
    assert wanted == {
        "MaxFaces": 3,
        "QualityFilter": "HIGH",
        "DetectionAttributes": ["ALL"],
        "Detector": "hog",
    }
    assert IndexRequest().settings("cnn") == {
        "MaxFaces": None,
        "QualityFilter": "AUTO",
        "DetectionAttributes": ["DEFAULT"],
        "Detector": "cnn",
    }
    assert same_settings({**wanted, "Image": {"Width": 1}}, wanted)
    assert not same_settings({**wanted, "QualityFilter": "NONE"}, wanted)
    assert not same_settings(
        {k: v for k, v in wanted.items() if k != "MaxFaces"} | {},
        {
            **wanted,
            "MaxFaces": 5,
        },
    )
    assert same_settings(
        {k: v for k, v in wanted.items() if k != "MaxFaces"},
        {
            **wanted,
            "MaxFaces": None,
        },
    )
    assert IndexRequest().attributes == frozenset()
    assert "AGE_RANGE" in IndexRequest(detection_attributes=("ALL",)).attributes
