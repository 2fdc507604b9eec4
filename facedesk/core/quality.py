"""Which detected faces IndexFaces keeps, and why it leaves the others out.

Every reason is a measured value crossing a documented threshold:

=================  =========  ========  =========  ========  ==========================
measure            LOW        MEDIUM    HIGH       AUTO      reason when crossed
=================  =========  ========  =========  ========  ==========================
box short side     Rekognition's minimum face for the image (all levels)  SMALL_BOUNDING_BOX
Confidence         < 50       < 80      < 90       = MEDIUM  LOW_CONFIDENCE
Brightness         < 10       < 20      < 30       = MEDIUM  LOW_BRIGHTNESS
Sharpness          < 4        < 12      < 25       = MEDIUM  LOW_SHARPNESS
abs(Yaw)           > 85       > 75      > 50       = MEDIUM  EXTREME_POSE
abs(Pitch)         > 60       > 45      > 35       = MEDIUM  EXTREME_POSE
=================  =========  ========  =========  ========  ==========================

Numbers calibrated on shared/testdata with facedesk.engine's measures (engine/measures.py):
frontal portraits clear HIGH, insightface/blur.jpg fails MEDIUM on sharpness, the dark
dicm_10 face fails MEDIUM on brightness, the astronaut's suit false positive fails AUTO on
confidence. Yaw comes from a generic 3D face fitted to dlib's landmarks, which reads the
3/4 views that dlib's frontal detector still finds at 50-70 degrees (real/dlib/2008_002079.jpg);
the yaw bars sit above that so such faces stay searchable at AUTO, and HIGH keeps only near-
frontal ones. ``NONE`` filters nothing. The minimum face is Rekognition's guideline: 40 px on a
1920x1080 image, growing in proportion for larger images, never below 40 px.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from facedesk.core.types import DetectedFace

QUALITY_FILTERS = ("NONE", "AUTO", "LOW", "MEDIUM", "HIGH")
REFERENCE_WIDTH, REFERENCE_HEIGHT, REFERENCE_MIN_FACE = 1920, 1080, 40.0


def min_face_px(width: int, height: int) -> float:
    """Rekognition's minimum face side for an image of this size (portrait or landscape)."""
    long_side, short_side = max(width, height), min(width, height)
    factor = max(1.0, long_side / REFERENCE_WIDTH, short_side / REFERENCE_HEIGHT)
    return REFERENCE_MIN_FACE * factor


@dataclass(frozen=True)
class Thresholds:
    min_confidence: float
    min_brightness: float
    min_sharpness: float
    max_abs_yaw: float
    max_abs_pitch: float


LEVELS: Mapping[str, Thresholds] = {
    "LOW": Thresholds(50.0, 10.0, 4.0, 85.0, 60.0),
    "MEDIUM": Thresholds(80.0, 20.0, 12.0, 75.0, 45.0),
    "HIGH": Thresholds(90.0, 30.0, 25.0, 50.0, 35.0),
}
LEVELS = {**LEVELS, "AUTO": LEVELS["MEDIUM"]}
# Rank used by MaxFaces: the higher the bar a face clears, the better its quality.
_RANK_ORDER = ("LOW", "MEDIUM", "HIGH")


@dataclass(frozen=True)
class FaceMeasure:
    """The values a quality decision reads; kept with the index record for the GUI."""

    box_short_side_px: float
    min_face_px: float
    confidence: float
    brightness: float
    sharpness: float
    yaw: float
    pitch: float
    roll: float

    @classmethod
    def of(cls, face: DetectedFace, width: int, height: int) -> FaceMeasure:
        return cls(
            box_short_side_px=min(face.box.width, face.box.height),
            min_face_px=min_face_px(width, height),
            confidence=face.confidence,
            brightness=face.quality.brightness,
            sharpness=face.quality.sharpness,
            yaw=face.pose.yaw,
            pitch=face.pose.pitch,
            roll=face.pose.roll,
        )

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def reasons(measure: FaceMeasure, quality_filter: str) -> list[str]:
    """Unindexed reasons for one face under a QualityFilter; empty means keep it."""
    if quality_filter == "NONE":
        return []
    found: list[str] = []
    if measure.box_short_side_px < measure.min_face_px:
        found.append("SMALL_BOUNDING_BOX")
    t = LEVELS[quality_filter]
    if measure.confidence < t.min_confidence:
        found.append("LOW_CONFIDENCE")
    if measure.brightness < t.min_brightness:
        found.append("LOW_BRIGHTNESS")
    if measure.sharpness < t.min_sharpness:
        found.append("LOW_SHARPNESS")
    if abs(measure.yaw) > t.max_abs_yaw or abs(measure.pitch) > t.max_abs_pitch:
        found.append("EXTREME_POSE")
    return found


def quality_rank(measure: FaceMeasure) -> int:
    """0..3: how many of LOW, MEDIUM, HIGH the face clears (size not counted)."""
    rank = 0
    for level in _RANK_ORDER:
        t = LEVELS[level]
        if (
            measure.confidence >= t.min_confidence
            and measure.brightness >= t.min_brightness
            and measure.sharpness >= t.min_sharpness
            and abs(measure.yaw) <= t.max_abs_yaw
            and abs(measure.pitch) <= t.max_abs_pitch
        ):
            rank += 1
    return rank


def thresholds_table() -> dict[str, dict[str, float]]:
    """Thresholds as plain data, for the GUI and the docs."""
    return {name: asdict(t) for name, t in LEVELS.items()}
