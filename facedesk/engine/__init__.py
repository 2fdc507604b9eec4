"""facedesk.engine: image decoding and face measurement (Pillow, dlib, OpenCV).

Importing this package loads neither dlib nor OpenCV (nor Pillow): the heavy parts are
imported on first use of ``decode_image``, ``FaceAnalyzer`` or ``face_thumbnail_jpeg``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from facedesk.engine.limits import RELAXED_LIMITS, STRICT_LIMITS, ImageLimits

if TYPE_CHECKING:
    from facedesk.engine.analyzer import FaceAnalyzer
    from facedesk.engine.decode import decode_image
    from facedesk.engine.thumbnail import face_thumbnail_jpeg

# The first face model: dlib HOG (or MMOD CNN) detector, 68-point shape predictor, ResNet
# v1 128-d descriptor. Versions are stored per collection and per face; a new engine is a
# new version (``versions``: 7.0 detects with libfacedetection), and a collection keeps
# the one it was created with. New code asks ``versions.default_model_version()``.
MODEL_VERSION: str = "1.0"

__all__ = [
    "MODEL_VERSION",
    "RELAXED_LIMITS",
    "STRICT_LIMITS",
    "FaceAnalyzer",
    "ImageLimits",
    "decode_image",
    "face_thumbnail_jpeg",
]

_LAZY = {
    "decode_image": "facedesk.engine.decode",
    "FaceAnalyzer": "facedesk.engine.analyzer",
    "face_thumbnail_jpeg": "facedesk.engine.thumbnail",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'facedesk.engine' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
