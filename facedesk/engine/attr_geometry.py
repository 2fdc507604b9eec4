"""Eye and mouth state from dlib's 68 landmarks (no learned model exists offline for them).

EyesOpen: eye aspect ratio, Soukupova & Cech, "Real-Time Eye Blink Detection using Facial
Landmarks", CVWW 2016. MouthOpen: inner-lip opening over inner-lip width. Neither has a
published single-image accuracy, so confidences stay modest: they grow with the distance
from the threshold and shrink for turned heads, for eyes narrowed by a smile, and when the
two eyes disagree (a landmark failure more often than a wink).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

EAR_THRESHOLD: Final = 0.19
# EAR distance from the threshold at which confidence stops growing.
EAR_SPAN: Final = 0.08
MAR_THRESHOLD: Final = 0.12
MAR_SPAN: Final = 0.12
MAX_CONFIDENCE: Final = 95.0
# Yaw beyond which the far-side landmarks are guessed rather than seen.
YAW_FREE_DEG: Final = 25.0
YAW_LIMIT_DEG: Final = 70.0


@dataclass(frozen=True, slots=True)
class BinaryEstimate:
    value: bool
    confidence: float  # 50..MAX_CONFIDENCE, percent
    measure: float  # the ratio behind it, for extras


def _dist(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    return float(np.hypot(*(a - b)))


def eye_aspect_ratio(eye: npt.NDArray[np.float64]) -> float:
    """EAR of six eye points p1..p6 in dlib order (corner, 2 upper, corner, 2 lower)."""
    width = _dist(eye[0], eye[3])
    if width <= 0.0:
        return 0.0
    return (_dist(eye[1], eye[5]) + _dist(eye[2], eye[4])) / (2.0 * width)


def eye_ratios(shape68: npt.NDArray[np.floating]) -> tuple[float, float]:
    pts = np.asarray(shape68, dtype=np.float64)
    return eye_aspect_ratio(pts[36:42]), eye_aspect_ratio(pts[42:48])


def mouth_ratio(shape68: npt.NDArray[np.floating]) -> float:
    """Mean inner-lip gap (61-67, 62-66, 63-65) over the inner-lip width (60-64)."""
    pts = np.asarray(shape68, dtype=np.float64)
    width = _dist(pts[60], pts[64])
    if width <= 0.0:
        return 0.0
    gap = (_dist(pts[61], pts[67]) + _dist(pts[62], pts[66]) + _dist(pts[63], pts[65])) / 3.0
    return gap / width


def _yaw_factor(yaw_deg: float) -> float:
    """1 for a frontal face, falling linearly to 0 at YAW_LIMIT_DEG."""
    excess = abs(yaw_deg) - YAW_FREE_DEG
    if excess <= 0.0:
        return 1.0
    return max(0.0, 1.0 - excess / (YAW_LIMIT_DEG - YAW_FREE_DEG))


def _confidence(margin: float, span: float, factor: float) -> float:
    strength = min(1.0, abs(margin) / span) * max(0.0, min(1.0, factor))
    return 50.0 + (MAX_CONFIDENCE - 50.0) * strength


def eyes_open(
    shape68: npt.NDArray[np.floating], yaw_deg: float, happy: float | None = None
) -> BinaryEstimate:
    """Open when the mean EAR of both eyes is at least EAR_THRESHOLD.

    ``happy`` (0..1, from the emotion model) lowers a "closed" verdict's confidence: laughing
    faces narrow their eyes to EAR 0.14-0.19, which reads as closed.
    """
    left, right = eye_ratios(shape68)
    ear = (left + right) / 2.0
    is_open = ear >= EAR_THRESHOLD
    factor = _yaw_factor(yaw_deg)
    # Eyes far apart in EAR: one set of eye landmarks is unreliable.
    asymmetry = abs(left - right) / max(left, right, 1e-6)
    factor *= max(0.2, 1.0 - asymmetry)
    if not is_open and happy is not None:
        factor *= 1.0 - 0.8 * max(0.0, min(1.0, happy))
    return BinaryEstimate(is_open, _confidence(ear - EAR_THRESHOLD, EAR_SPAN, factor), ear)


def mouth_open(shape68: npt.NDArray[np.floating], yaw_deg: float) -> BinaryEstimate:
    """Open when the inner lips are parted by at least MAR_THRESHOLD of their width."""
    mar = mouth_ratio(shape68)
    return BinaryEstimate(
        mar >= MAR_THRESHOLD,
        _confidence(mar - MAR_THRESHOLD, MAR_SPAN, _yaw_factor(yaw_deg)),
        mar,
    )
