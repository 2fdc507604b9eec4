"""engine.pnp: exact poses on its own; against cv2.solvePnP(SQPNP) where cv2 is installed."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from facedesk.engine import pnp
from facedesk.engine.pose import _MODEL_3D, head_pose

TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "real"
CAMERA = np.array([[640.0, 0, 320], [0, 640.0, 240], [0, 0, 1]])


def _project(rot: npt.NDArray[Any], t: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    cam = _MODEL_3D @ rot.T + t
    px = cam @ CAMERA.T
    return np.asarray(px[:, :2] / px[:, 2:], dtype=np.float64)


def _angle_deg(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> float:
    return math.degrees(math.acos(min(1.0, max(-1.0, (float(np.trace(a.T @ b)) - 1.0) / 2.0))))


def _poses(count: int, noise: bool) -> list[tuple[npt.NDArray[Any], npt.NDArray[Any], Any]]:
    rng = np.random.default_rng(7)
    out = []
    for _ in range(count):
        w = rng.uniform(-1, 1, 3) * np.array([0.6, 1.2, 0.5])
        rot = pnp.rodrigues(w)
        t = np.array([rng.uniform(-200, 200), rng.uniform(-200, 200), rng.uniform(2000, 6000)])
        px = _project(rot, t)
        if noise:
            px = px + rng.normal(0.0, rng.uniform(0.0, 6.0), px.shape)
        out.append((rot, t, px))
    return out


def test_noise_free_poses_are_recovered() -> None:
    for rot, t, px in _poses(40, noise=False):
        solved = pnp.solve_rotation(_MODEL_3D, px, CAMERA)
        assert solved is not None
        assert _angle_deg(solved[0], rot) < 1e-4
        assert np.allclose(solved[1], t, rtol=1e-6)


def test_rodrigues_is_a_rotation_about_its_axis() -> None:
    rot = pnp.rodrigues(np.array([0.0, 0.0, math.pi / 2]))
    assert np.allclose(rot @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    assert np.allclose(pnp.rodrigues(np.zeros(3)), np.eye(3))


def test_too_few_points_give_no_pose() -> None:
    assert pnp.solve_rotation(_MODEL_3D[:2], np.zeros((2, 2)), CAMERA) is None


def test_noisy_poses_match_opencv() -> None:
    cv2: Any = pytest.importorskip("cv2")
    far = []
    for _rot, _t, px in _poses(200, noise=True):
        ok, rvec, _tvec = cv2.solvePnP(_MODEL_3D, px, CAMERA, np.zeros(4), flags=cv2.SOLVEPNP_SQPNP)
        assert ok
        theirs, _ = cv2.Rodrigues(rvec)
        solved = pnp.solve_rotation(_MODEL_3D, px, CAMERA)
        assert solved is not None
        if _angle_deg(solved[0], theirs) > 0.01:
            far.append(px)
            # Where OpenCV stops elsewhere (its starts come from a QR of Omega), ours is
            # the better minimum of the same error.
            rays = np.column_stack([px, np.ones(len(px))]) @ np.linalg.inv(CAMERA).T
            omega, _p = pnp._omega(_MODEL_3D, rays)
            r_ours, r_theirs = solved[0].reshape(9), theirs.reshape(9)
            assert r_ours @ omega @ r_ours <= r_theirs @ omega @ r_theirs
    assert len(far) <= 4  # 2 %


def _landmarks(relative: str) -> tuple[tuple[int, int], list[npt.NDArray[np.float64]]]:
    """dlib HOG faces (upsampled once) and their 68 points, as the engine finds them."""
    import dlib
    import face_recognition_models

    rgb = np.asarray(Image.open(TESTDATA / relative).convert("RGB"))
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    shapes = []
    for rect in dlib.get_frontal_face_detector()(rgb, 1):
        parts = predictor(rgb, rect).parts()
        shapes.append(np.array([(p.x, p.y) for p in parts], dtype=np.float64))
    return (rgb.shape[1], rgb.shape[0]), shapes


def test_head_pose_matches_opencv_on_dev_photo_landmarks() -> None:
    cv2: Any = pytest.importorskip("cv2")
    checked = 0
    for relative in ("dlib/bald_guys.jpg", "face_recognition/obama_and_biden.jpg"):
        (w, h), shapes = _landmarks(relative)
        for shape in shapes:
            ours = head_pose(shape, w, h)
            camera = np.array([[w, 0, w / 2], [0, w, h / 2], [0, 0, 1]], np.float64)
            pts = np.ascontiguousarray(shape[[30, 8, 36, 45, 48, 54]])
            _, rvec, _ = cv2.solvePnP(_MODEL_3D, pts, camera, np.zeros(4), flags=cv2.SOLVEPNP_SQPNP)
            theirs, _ = cv2.Rodrigues(rvec)
            assert ours is not None
            # On the 117 faces of the dev photos: median difference 2e-10 degrees, two above
            # 0.01, largest 0.052 (OpenCV's starts come from a QR of Omega, ours from its
            # eigenvectors, and both stop after 15 SQP steps).
            assert math.degrees(math.atan2(theirs[1, 0], theirs[0, 0])) == pytest.approx(
                ours.roll, abs=0.1
            )
            yaw = math.degrees(math.atan2(-theirs[0, 2], theirs[2, 2]))
            assert yaw == pytest.approx(ours.yaw, abs=0.1)
            checked += 1
    assert checked >= 20


def test_batched_refinement_equals_each_start_refined_alone() -> None:
    """_sqp refines its starts together; each must end where it ends alone (a batch of
    one), and a start whose system is singular stays where it was without holding the
    others back."""
    for _rot, _t, px in _poses(12, noise=True):
        rays = np.column_stack([px, np.ones(len(px))]) @ np.linalg.inv(CAMERA).T
        omega, _p = pnp._omega(_MODEL_3D, rays)
        _values, vectors = np.linalg.eigh(omega)
        e = math.sqrt(3.0) * vectors.T[:8].reshape(8, 3, 3)
        starts = pnp._nearest_rotation(np.concatenate([e, -e]))
        # r = 0 gives a zero constraint Jacobian: a singular KKT system
        starts = np.concatenate([starts, np.zeros((1, 3, 3))])
        together = pnp._sqp(starts, omega)
        for start, refined in zip(starts, together, strict=True):
            assert np.allclose(refined, pnp._sqp(start[None], omega)[0], rtol=0.0, atol=1e-12)
        assert np.array_equal(together[-1], np.zeros((3, 3)))
