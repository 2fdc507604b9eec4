"""Plain data the controller hands to views (built on pool threads, read in the GUI)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from facedesk.core.types import ImageSummary, IndexRecord


@dataclass(frozen=True)
class FaceOverlay:
    """One detected face of a photo, indexed or not, with what decided it."""

    index: int  # position in FaceRecords + UnindexedFaces
    indexed: bool
    face_id: str | None
    face: Mapping[str, Any] | None  # Rekognition Face (indexed only)
    detail: Mapping[str, Any]  # Rekognition FaceDetail
    reasons: tuple[str, ...]
    measurement: Mapping[str, Any] = field(default_factory=dict)

    @property
    def box(self) -> Mapping[str, float]:
        return self.detail["BoundingBox"]  # type: ignore[no-any-return]

    @property
    def user_drawn(self) -> bool:
        return bool(self.measurement.get("user_drawn"))

    def landmarks(self) -> list[tuple[str, float, float]]:
        return [
            (lm["Type"], float(lm["X"]), float(lm["Y"])) for lm in self.detail.get("Landmarks", [])
        ]


@dataclass(frozen=True)
class PhotoDocument:
    collection_id: str
    summary: ImageSummary
    record: IndexRecord | None
    faces: tuple[FaceOverlay, ...]

    @property
    def indexed_count(self) -> int:
        return sum(f.indexed for f in self.faces)

    @property
    def unindexed_count(self) -> int:
        return sum(not f.indexed for f in self.faces)


def overlays(record: IndexRecord | None) -> tuple[FaceOverlay, ...]:
    """FaceRecords then UnindexedFaces, paired with the record's measurements in that order."""
    if record is None:
        return ()
    out: list[FaceOverlay] = []
    measures = list(record.measurements)
    for rec in record.response.get("FaceRecords", []):
        i = len(out)
        m = measures[i] if i < len(measures) else {}
        out.append(
            FaceOverlay(i, True, rec["Face"]["FaceId"], rec["Face"], rec["FaceDetail"], (), m)
        )
    for un in record.response.get("UnindexedFaces", []):
        i = len(out)
        m = measures[i] if i < len(measures) else {}
        out.append(
            FaceOverlay(i, False, None, None, un["FaceDetail"], tuple(un.get("Reasons", [])), m)
        )
    return tuple(out)


@dataclass(frozen=True)
class SearchDocument:
    query_path: str
    searched_box: Mapping[str, float] | None
    searched_confidence: float | None
    matches: tuple[Mapping[str, Any], ...]  # FaceMatches
    threshold: float
    max_faces: int
    # every face of the query photo that can be searched with (largest first) and the one
    # used; empty when only the largest face was searched
    faces: tuple[Mapping[str, float], ...] = ()
    face_index: int = 0
