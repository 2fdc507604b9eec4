"""Mapping what was found on a turned picture back to the stored photo (pure geometry)."""

from __future__ import annotations

import numpy as np
import pytest

from facedesk.core.types import BoundingBox, Pose
from facedesk.engine.turns import unturn_box, unturn_pose, unturn_ratio


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_unturn_ratio_matches_numpy_rot90(k: int) -> None:
    h, w = 7, 11
    stored = np.zeros((h, w), dtype=np.int32)
    stored[2, 9] = 1  # x = 9, y = 2
    turned = np.rot90(stored, k)
    ty, tx = (int(v) for v in np.argwhere(turned == 1)[0])
    th, tw = turned.shape
    # Pixel centres as ratios on the turned picture, mapped back.
    u, v = unturn_ratio((tx + 0.5) / tw, (ty + 0.5) / th, k)
    assert u == pytest.approx((9 + 0.5) / w) and v == pytest.approx((2 + 0.5) / h)


def test_unturn_box_keeps_size_and_swaps_axes() -> None:
    def t(b: BoundingBox) -> tuple[float, float, float, float]:
        return (b.left, b.top, b.width, b.height)

    box = BoundingBox(left=0.1, top=0.2, width=0.3, height=0.4)
    assert t(unturn_box(box, 2)) == pytest.approx((0.6, 0.4, 0.3, 0.4))
    assert t(unturn_box(box, 1)) == pytest.approx((0.4, 0.1, 0.4, 0.3))
    assert t(unturn_box(unturn_box(unturn_box(unturn_box(box, 1), 1), 1), 1)) == pytest.approx(
        t(box)
    )


def test_unturn_pose_adds_the_turn_to_roll_and_wraps() -> None:
    assert unturn_pose(Pose(roll=-3.0, yaw=20.0, pitch=1.0), 2).roll == pytest.approx(177.0)
    assert unturn_pose(Pose(roll=-3.0, yaw=20.0, pitch=1.0), 3).roll == pytest.approx(-93.0)
    assert unturn_pose(Pose(roll=10.0, yaw=20.0, pitch=1.0), 1) == Pose(100.0, 20.0, 1.0)
