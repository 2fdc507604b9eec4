"""Frozen shapes shared by every layer.

Names follow Rekognition's shapes in snake_case. Boxes and landmarks are ratios of
the EXIF-oriented image, origin top-left, as Rekognition gives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

Embedding = npt.NDArray[np.float32]
_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """Rekognition BoundingBox: ratios of image width/height; may exceed 0..1 at the edges."""

    left: float
    top: float
    width: float
    height: float

    @property
    def area(self) -> float:
        return self.width * self.height

    def to_dict(self) -> dict[str, float]:
        return {"Width": self.width, "Height": self.height, "Left": self.left, "Top": self.top}

    @classmethod
    def from_dict(cls, d: Mapping[str, float]) -> BoundingBox:
        return cls(left=d["Left"], top=d["Top"], width=d["Width"], height=d["Height"])


@dataclass(frozen=True, slots=True)
class PixelBox:
    """A box in pixels of the full-resolution, EXIF-oriented image."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def to_ratio(self, image_width: int, image_height: int) -> BoundingBox:
        return BoundingBox(
            left=self.left / image_width,
            top=self.top / image_height,
            width=self.width / image_width,
            height=self.height / image_height,
        )


@dataclass(frozen=True, slots=True)
class Landmark:
    type: str
    x: float
    y: float

    def to_dict(self) -> dict[str, Any]:
        return {"Type": self.type, "X": self.x, "Y": self.y}


@dataclass(frozen=True, slots=True)
class Pose:
    roll: float
    yaw: float
    pitch: float

    def to_dict(self) -> dict[str, float]:
        return {"Roll": self.roll, "Yaw": self.yaw, "Pitch": self.pitch}


@dataclass(frozen=True, slots=True)
class Quality:
    brightness: float
    sharpness: float

    def to_dict(self) -> dict[str, float]:
        return {"Brightness": self.brightness, "Sharpness": self.sharpness}


@dataclass(frozen=True)
class DecodedImage:
    """Pixels ready for the detector.

    ``pixels`` is RGB uint8 (H, W, 3) at ``scale`` times the oriented full size
    (``width`` x ``height``); scale is 1.0 unless the decoder downscaled a large photo.
    """

    pixels: npt.NDArray[np.uint8] = field(repr=False, compare=False)
    width: int
    height: int
    scale: float
    format: str
    mode: str
    sha256: str
    byte_size: int


@dataclass(frozen=True)
class DetectedFace:
    """One face as the engine measured it; the service shapes it into a FaceDetail."""

    box: PixelBox
    bounding_box: BoundingBox
    confidence: float
    detector_score: float
    landmarks: tuple[Landmark, ...]
    pose: Pose
    quality: Quality
    descriptor: Embedding = field(repr=False, compare=False)
    # Non-default FaceDetail members already in Rekognition's shape (AgeRange, Gender, ...),
    # present only when a real model produced them.
    attributes: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False)
    # Extra measured values worth showing (e.g. face-presence score); never sent in responses.
    extras: Mapping[str, float] = field(default_factory=lambda: _EMPTY, compare=False)


@dataclass(frozen=True)
class CollectionInfo:
    collection_id: str
    face_model_version: str
    arn: str
    created_at: datetime
    face_count: int = 0
    user_count: int = 0


@dataclass(frozen=True)
class ImageInfo:
    image_id: str
    sha256: str
    byte_size: int
    width: int
    height: int
    format: str


@dataclass(frozen=True)
class StoredFace:
    face_id: str
    collection_id: str
    image_id: str
    external_image_id: str | None
    bounding_box: BoundingBox
    confidence: float
    model_version: str
    embedding: Embedding = field(repr=False, compare=False)
    user_id: str | None = None
    indexed_at: datetime | None = None

    def to_face_dict(self) -> dict[str, Any]:
        """Rekognition's ``Face`` shape."""
        d: dict[str, Any] = {
            "FaceId": self.face_id,
            "BoundingBox": self.bounding_box.to_dict(),
            "ImageId": self.image_id,
        }
        if self.external_image_id is not None:
            d["ExternalImageId"] = self.external_image_id
        d["Confidence"] = self.confidence
        d["IndexFacesModelVersion"] = self.model_version
        if self.user_id is not None:
            d["UserId"] = self.user_id
        return d


@dataclass(frozen=True)
class IndexRecord:
    """What one IndexFaces call stored for one (collection, image, ExternalImageId).

    ``response`` is the IndexFaces response as JSON-able data; ``measurements`` has, per
    detected face (same order as FaceRecords then UnindexedFaces), the measured values and
    thresholds behind the quality decision, so the app can redraw without recomputing.
    """

    collection_id: str
    image_id: str
    external_image_id: str | None
    response: Mapping[str, Any]
    settings: Mapping[str, Any]
    measurements: tuple[Mapping[str, Any], ...]
    indexed_at: datetime
    face_count: int
    unindexed_count: int
    source_path: str | None = None
    source_size: int | None = None
    source_mtime: float | None = None


@dataclass(frozen=True)
class UserInfo:
    """A Rekognition user, which facedesk shows as a person.

    ``display_name`` is any Unicode text (the UserId pattern allows no spaces or accents);
    None shows the UserId. ``hidden`` people stay out of the People view; ``cover_face_id``
    is the face chosen as the person's picture (None: facedesk picks one).
    """

    collection_id: str
    user_id: str
    status: str = "ACTIVE"
    face_count: int = 0
    created_at: datetime | None = None
    display_name: str | None = None
    hidden: bool = False
    cover_face_id: str | None = None

    @property
    def name(self) -> str:
        """What to show: the display name, else the UserId."""
        return self.display_name or self.user_id


@dataclass(frozen=True)
class ImageSummary:
    """One indexed image of a collection, without the stored response (for lists and rescans).

    ``face_count`` counts the faces still stored (DeleteFaces lowers it), unlike the
    IndexRecord's count at indexing time.
    """

    image_id: str
    external_image_id: str | None
    source_path: str | None
    width: int
    height: int
    face_count: int
    unindexed_count: int
    indexed_at: datetime
    source_size: int | None = None
    source_mtime: float | None = None
