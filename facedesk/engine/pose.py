"""Head pose (Roll, Yaw, Pitch in degrees) from six dlib landmarks with SQPnP (engine.pnp).

Model: the generic 3D face of Mallick (LearnOpenCV 2016) - nose tip 30, chin 8, outer eye
corners 36/45, mouth corners 48/54 - written directly in OpenCV's camera frame (x right,
y down, z away from the camera) so a frontal, upright face gives R = identity. Camera:
focal length = image width in pixels, principal point = image centre, no distortion.
Solver: ``SOLVEPNP_SQPNP`` (``SOLVEPNP_ITERATIVE`` returned a flipped pose, roll -171, on
one dev face).

Angles are read off the rotated face axes (Rekognition documents no signs; these are
facedesk's):

- Roll  > 0: the face is turned clockwise in the picture (its right-hand side, as seen,
  lower). Roll = atan2(R10, R00).
- Yaw   > 0: the face looks towards the picture's right (the person's left).
  Yaw = atan2(-R02, R22).
- Pitch > 0: the face looks up (chin raised). Pitch = atan2(R12, hypot(R02, R22)) minus
  ``PITCH_OFFSET_DEG``.

The generic model's nose sits too far forward relative to the eyes and mouth for most real
faces, which reads frontal faces as looking down/up by a fixed amount (+7..+26 degrees in
the dev notes). ``PITCH_OFFSET_DEG`` is the median raw pitch of the dev set's frontal
portraits (obama, biden, two_people x2, astronaut), subtracted so they read near 0.
All angles are wrapped to -180..180.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from facedesk.core.types import Pose
from facedesk.engine import pnp

POSE_POINTS: Final = (30, 8, 36, 45, 48, 54)
_MODEL_3D: Final = np.array(
    [
        (0.0, 0.0, 0.0),  # nose tip
        (0.0, 330.0, 65.0),  # chin
        (-225.0, -170.0, 135.0),  # outer corner of the image-left eye
        (225.0, -170.0, 135.0),  # outer corner of the image-right eye
        (-150.0, 150.0, 125.0),  # image-left mouth corner
        (150.0, 150.0, 125.0),  # image-right mouth corner
    ],
    dtype=np.float64,
)
PITCH_OFFSET_DEG: Final = -10.0


def _wrap(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def head_pose(shape68: npt.NDArray[np.float64], width: float, height: float) -> Pose | None:
    """Pose of one face from its 68 pixel points in a width x height picture.

    None when the solver finds no pose (degenerate, e.g. collinear, points).
    """
    image_pts = np.ascontiguousarray(shape68[list(POSE_POINTS)], dtype=np.float64)
    focal = float(width)
    camera = np.array(
        [[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]],
        dtype=np.float64,
    )
    solved = pnp.solve_rotation(_MODEL_3D, image_pts, camera)
    if solved is None:
        return None
    rot, _tvec = solved
    roll = math.degrees(math.atan2(rot[1, 0], rot[0, 0]))
    yaw = math.degrees(math.atan2(-rot[0, 2], rot[2, 2]))
    pitch = math.degrees(math.atan2(rot[1, 2], math.hypot(rot[0, 2], rot[2, 2])))
    return Pose(roll=_wrap(roll), yaw=_wrap(yaw), pitch=_wrap(pitch - PITCH_OFFSET_DEG))
