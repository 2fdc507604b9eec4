"""``pose.mesh_yaw_raw`` on a synthetic mesh turned by a known yaw (pure geometry)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facedesk.engine.pose import MESH_PAIRS, MESH_YAW_GAIN, mesh_yaw, mesh_yaw_raw


def _mesh(yaw_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """468 points whose mirrored pairs sit at +-x, turned by ``yaw_deg`` (> 0: the face
    looks towards the picture's right) and ``roll_deg``; z grows away from the camera."""
    pts = np.zeros((468, 3))
    for i, (a, b) in enumerate(MESH_PAIRS):
        half, y, z = 20.0 + 5.0 * i, 3.0 * i, -4.0 * i
        pts[a], pts[b] = (-half, y, z), (half, y, z)
    t = math.radians(yaw_deg)
    # turning towards the picture's right brings the image-left side nearer the camera
    yaw = np.array([[math.cos(t), 0, -math.sin(t)], [0, 1, 0], [math.sin(t), 0, math.cos(t)]])
    r = math.radians(roll_deg)
    roll = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return np.asarray(pts @ yaw.T @ roll.T)


@pytest.mark.parametrize("yaw", [-70.0, -30.0, 0.0, 12.0, 45.0, 80.0])
def test_raw_yaw_is_the_turn(yaw: float) -> None:
    assert mesh_yaw_raw(_mesh(yaw)) == pytest.approx(yaw, abs=1e-6)


def test_roll_does_not_change_yaw() -> None:
    assert mesh_yaw_raw(_mesh(30.0, roll_deg=25.0)) == pytest.approx(30.0, abs=1e-6)


def test_calibrated_yaw_is_the_gain_clipped_to_90() -> None:
    assert mesh_yaw(_mesh(20.0)) == pytest.approx(20.0 * MESH_YAW_GAIN)
    assert mesh_yaw(_mesh(-80.0)) == -90.0
