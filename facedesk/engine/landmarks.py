"""dlib's 68 points -> Rekognition's 30 landmark types.

Side convention: Rekognition's ``eyeLeft`` is the eye on the image's left (the person's
right eye). botocore's rekognition examples-1.json shows it: in every example face
``eyeLeft.X`` < ``eyeRight.X`` (e.g. 0.3977 vs 0.4811, 0.6007 vs 0.6808). So every
"left" type below is on the viewer's left, as dlib's lower indices are.

Mapping (dlib 68-point iBUG indices, 0-based; "mean(a,b)" is the midpoint):

===================  =====================  ===================  =====================
type                 dlib point(s)          type                 dlib point(s)
===================  =====================  ===================  =====================
eyeLeft              centroid 36-41         eyeRight             centroid 42-47
leftPupil            centroid 36-41         rightPupil           centroid 42-47
leftEyeLeft          36                     rightEyeLeft         42
leftEyeRight         39                     rightEyeRight        45
leftEyeUp            mean(37, 38)           rightEyeUp           mean(43, 44)
leftEyeDown          mean(40, 41)           rightEyeDown         mean(46, 47)
leftEyeBrowLeft      17                     rightEyeBrowLeft     22
leftEyeBrowRight     21                     rightEyeBrowRight    26
leftEyeBrowUp        19                     rightEyeBrowUp       24
nose                 30 (tip)               mouthLeft            48
noseLeft             31                     mouthRight           54
noseRight            35                     mouthUp              51
upperJawlineLeft     1                      mouthDown            57
midJawlineLeft       4                      chinBottom           8
midJawlineRight      12                     upperJawlineRight    15
===================  =====================  ===================  =====================

Pupils are the eye-contour centroids: sp68 has no iris point (an iris model could refine
them later). X and Y are ratios of the image width and height.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from facedesk.core.types import Landmark

_LEFT_EYE: Final = tuple(range(36, 42))
_RIGHT_EYE: Final = tuple(range(42, 48))

# Each type is the mean of the listed points.
LANDMARK_POINTS: Final[dict[str, tuple[int, ...]]] = {
    "eyeLeft": _LEFT_EYE,
    "eyeRight": _RIGHT_EYE,
    "nose": (30,),
    "mouthLeft": (48,),
    "mouthRight": (54,),
    "leftEyeBrowLeft": (17,),
    "leftEyeBrowRight": (21,),
    "leftEyeBrowUp": (19,),
    "rightEyeBrowLeft": (22,),
    "rightEyeBrowRight": (26,),
    "rightEyeBrowUp": (24,),
    "leftEyeLeft": (36,),
    "leftEyeRight": (39,),
    "leftEyeUp": (37, 38),
    "leftEyeDown": (40, 41),
    "rightEyeLeft": (42,),
    "rightEyeRight": (45,),
    "rightEyeUp": (43, 44),
    "rightEyeDown": (46, 47),
    "noseLeft": (31,),
    "noseRight": (35,),
    "mouthUp": (51,),
    "mouthDown": (57,),
    "leftPupil": _LEFT_EYE,
    "rightPupil": _RIGHT_EYE,
    "upperJawlineLeft": (1,),
    "midJawlineLeft": (4,),
    "chinBottom": (8,),
    "midJawlineRight": (12,),
    "upperJawlineRight": (15,),
}


def rekognition_landmarks(
    shape68: npt.NDArray[np.float64], width: float, height: float
) -> tuple[Landmark, ...]:
    """The 30 Rekognition landmarks from 68 (x, y) pixel points of a width x height image."""
    out = []
    for name, idx in LANDMARK_POINTS.items():
        x, y = shape68[list(idx)].mean(axis=0)
        out.append(Landmark(type=name, x=float(x) / width, y=float(y) / height))
    return tuple(out)
