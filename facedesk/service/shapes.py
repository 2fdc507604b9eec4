"""Turning engine measurements into Rekognition's response shapes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from facedesk.core.types import DetectedFace

# Attribute enum -> FaceDetail member (the model pairs them one to one).
ATTRIBUTE_MEMBERS: Mapping[str, str] = {
    "AGE_RANGE": "AgeRange",
    "BEARD": "Beard",
    "EMOTIONS": "Emotions",
    "EYE_DIRECTION": "EyeDirection",
    "EYEGLASSES": "Eyeglasses",
    "EYES_OPEN": "EyesOpen",
    "GENDER": "Gender",
    "MOUTH_OPEN": "MouthOpen",
    "MUSTACHE": "Mustache",
    "FACE_OCCLUDED": "FaceOccluded",
    "SMILE": "Smile",
    "SUNGLASSES": "Sunglasses",
}

# Rekognition's own member order, so JSON output reads like the service's.
_DETAIL_ORDER = (
    "BoundingBox",
    "AgeRange",
    "Smile",
    "Eyeglasses",
    "Sunglasses",
    "Gender",
    "Beard",
    "Mustache",
    "EyesOpen",
    "MouthOpen",
    "Emotions",
    "Landmarks",
    "Pose",
    "Quality",
    "Confidence",
    "FaceOccluded",
    "EyeDirection",
)


def expand_attributes(requested: Iterable[str] | None) -> frozenset[str]:
    """Attribute enums beyond DEFAULT that a request asks for (ALL wins over DEFAULT)."""
    names = set(requested or ())
    if "ALL" in names:
        return frozenset(ATTRIBUTE_MEMBERS)
    return frozenset(names & ATTRIBUTE_MEMBERS.keys())


def face_detail(face: DetectedFace, attributes: frozenset[str]) -> dict[str, Any]:
    """FaceDetail with the DEFAULT members plus the requested ones a model produced."""
    detail: dict[str, Any] = {
        "BoundingBox": face.bounding_box.to_dict(),
        "Landmarks": [lm.to_dict() for lm in face.landmarks],
        "Pose": face.pose.to_dict(),
        "Quality": face.quality.to_dict(),
        "Confidence": face.confidence,
    }
    wanted = {ATTRIBUTE_MEMBERS[a] for a in attributes}
    for key, value in face.attributes.items():
        if key in wanted and value is not None:
            detail[key] = value
    return {k: detail[k] for k in _DETAIL_ORDER if k in detail}


def compared_face(face: DetectedFace) -> dict[str, Any]:
    """CompareFaces' ComparedFace: the default members (plus Emotions/Smile if present)."""
    d: dict[str, Any] = {
        "BoundingBox": face.bounding_box.to_dict(),
        "Confidence": face.confidence,
        "Landmarks": [lm.to_dict() for lm in face.landmarks],
        "Pose": face.pose.to_dict(),
        "Quality": face.quality.to_dict(),
    }
    for key in ("Emotions", "Smile"):
        if key in face.attributes:
            d[key] = face.attributes[key]
    return d
