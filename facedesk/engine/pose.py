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

FaceModelVersion 7.0 reads Yaw from the face mesh instead (``mesh_yaw``). The 68 points
cannot carry a turned or small face: on a profile (insightface/right_face.png) the far
side's points collapse onto the near side and the frontal model's fit stops at 43
degrees, and on 35 px faces a 2 px error on the nose tip moves the fit by 25 degrees
(Solvay's frontal sitters read -65..+60; bald_guys' near-frontal actors up to 63).
MediaPipe's face mesh, already run on every 7.0 face for the presence check, regresses
468 points in 3-D with a learned face shape behind them. For symmetric pairs of points
(eye corners, cheeks, mouth corners) the angle of the pair's 3-D vector out of the
picture plane is the yaw: atan2(-dz, |(dx, dy)|) (|(dx, dy)| so that roll does not
shorten it). The mesh's depth is flatter than a real face's (it reads the two profiles of
the testdata at 52-53 degrees and a face the manifest gives as 30-45 at 15-20), so the
mean pair angle is multiplied by ``MESH_YAW_GAIN``, the least-squares gain on the
testdata's known poses (``bench/pose_yaw.py`` prints the fit): frontal portraits stay
within a few degrees of 0, profiles read past EXTREME_POSE's 75.
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

# Face-mesh point pairs mirrored across the face: (image-left, image-right) on an upright
# face. Outer and inner eye corners, cheek contour at the ears and lower, mouth corners.
MESH_PAIRS: Final = ((33, 263), (133, 362), (234, 454), (127, 356), (93, 323), (61, 291))
MESH_YAW_GAIN: Final = 1.46


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


def mesh_yaw_raw(points: npt.NDArray[np.floating]) -> float:
    """Mean out-of-plane angle (degrees) of the mesh's mirrored point pairs; > 0 when the
    face looks towards the picture's right, as ``head_pose``'s Yaw."""
    pts = np.asarray(points, dtype=np.float64)
    angles = []
    for a, b in MESH_PAIRS:
        dx, dy, dz = pts[b] - pts[a]
        # the mesh's z grows away from the camera: the nearer (turned-to) side has smaller z
        angles.append(math.degrees(math.atan2(dz, math.hypot(dx, dy))))
    return float(np.mean(angles))


def mesh_yaw(points: npt.NDArray[np.floating]) -> float:
    """Yaw in degrees (-90..90) from the face mesh's 3-D points, calibrated (module doc)."""
    return max(-90.0, min(90.0, MESH_YAW_GAIN * mesh_yaw_raw(points)))
