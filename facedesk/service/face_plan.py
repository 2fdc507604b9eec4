"""IndexFaces' decision, as a pure function of the detected faces (:func:`plan`), so its
rules can be tested on their own: quality filter first, then MaxFaces (capped at
Rekognition's 100) drops the lowest quality, then the smallest faces, as
``EXCEEDS_MAX_FACES``. Also the order every by-image operation answers in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from facedesk.core import quality
from facedesk.core.types import DetectedFace

MAX_FACES_PER_IMAGE = 100


@dataclass(frozen=True)
class PlannedFace:
    face: DetectedFace
    measure: quality.FaceMeasure
    reasons: tuple[str, ...]

    @property
    def indexed(self) -> bool:
        return not self.reasons


def largest_faces_first(
    faces: Sequence[DetectedFace], limit: int | None = MAX_FACES_PER_IMAGE
) -> list[DetectedFace]:
    """Faces by box area, largest first; at most ``limit`` (Rekognition's 100 per image).

    IndexFaces, DetectFaces and the searches by image all answer in this order."""
    ordered = sorted(faces, key=lambda f: f.bounding_box.area, reverse=True)
    return ordered if limit is None else ordered[:limit]


def plan(
    faces: Sequence[DetectedFace],
    width: int,
    height: int,
    quality_filter: str = "AUTO",
    max_faces: int | None = None,
) -> list[PlannedFace]:
    """Decide every detected face, largest box first."""
    ordered = largest_faces_first(faces, limit=None)  # the cap is EXCEEDS_MAX_FACES
    measures = [quality.FaceMeasure.of(f, width, height) for f in ordered]
    reasons = [quality.reasons(m, quality_filter) for m in measures]
    passing = [i for i, r in enumerate(reasons) if not r]
    limit = min(max_faces or MAX_FACES_PER_IMAGE, MAX_FACES_PER_IMAGE)
    if len(passing) > limit:
        ranked = sorted(
            passing,
            key=lambda i: (-quality.quality_rank(measures[i]), -ordered[i].bounding_box.area),
        )
        for i in ranked[limit:]:
            reasons[i] = ["EXCEEDS_MAX_FACES"]
    return [PlannedFace(f, m, tuple(r)) for f, m, r in zip(ordered, measures, reasons, strict=True)]
