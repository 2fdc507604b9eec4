"""Face Quality (Brightness, Sharpness) and calibrated Confidence, each 0..100.

Brightness: mean BT.601 luma (0.299 R + 0.587 G + 0.114 B) over the face box, clipped to
the image, as a percentage of 255: ``100 * mean / 255``. A linear map keeps the number
readable ("40 means the face averages 40 % grey").

Sharpness: the face box is cut out, converted to luma and resized to
``SHARPNESS_SIDE`` x ``SHARPNESS_SIDE`` (INTER_AREA down, INTER_LINEAR up) so the value
does not grow with the face's pixel count; the variance v of its 3x3 Laplacian
(``imaging.laplacian``, as ``cv2.Laplacian`` CV_64F) is mapped to
``100 * v / (v + SHARPNESS_HALF)``: 50 at v = SHARPNESS_HALF, approaching 100 for very
crisp faces, 0 for a flat patch.

Confidence: the detector's SVM/MMOD score s through a logistic curve,
``100 / (1 + exp(-CONF_SLOPE * (s - CONF_MID)))``. With the dlib HOG detector's default
threshold (s > 0) every reported face has confidence > 50; s = 0.3 gives 80 (the AUTO
bar), s = 0.64 gives 95, the dev portraits (s = 1.1..2.5) give 99..100, and the
astronaut's suit false positive (s ~ 0.07) gives ~58. The MMOD CNN detector uses the same
curve on its confidence.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from facedesk.core.types import PixelBox, Quality
from facedesk.engine import imaging

SHARPNESS_SIDE: Final = 96
SHARPNESS_HALF: Final = 200.0
CONF_SLOPE: Final = 4.6
CONF_MID: Final = 0.0


def calibrated_confidence(score: float) -> float:
    """0..100, monotone in the detector score."""
    z = -CONF_SLOPE * (score - CONF_MID)
    if z > 700.0:  # exp overflow guard; the curve is 0 there anyway
        return 0.0
    return 100.0 / (1.0 + math.exp(z))


# libfacedetection scores 0..100 (kept faces >= 80): 80 reads as 90, 90 as 99, the
# threshold of QualityFilter HIGH, so a face the CNN is sure of passes every filter.
CNN_CONF_MID: Final = 70.0
CNN_CONF_SLOPE: Final = math.log(9.0) / 10.0


def calibrated_cnn_confidence(score: float) -> float:
    """0..100 from libfacedetection's 0..100 score, monotone."""
    return 100.0 / (1.0 + math.exp(-CNN_CONF_SLOPE * (score - CNN_CONF_MID)))


def _crop(rgb: npt.NDArray[np.uint8], box: PixelBox) -> npt.NDArray[np.uint8]:
    h, w = rgb.shape[:2]
    x0 = min(max(math.floor(box.left), 0), w - 1)
    y0 = min(max(math.floor(box.top), 0), h - 1)
    x1 = min(max(math.ceil(box.right), x0 + 1), w)
    y1 = min(max(math.ceil(box.bottom), y0 + 1), h)
    return rgb[y0:y1, x0:x1]


def _luma(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    weights = np.array([0.299, 0.587, 0.114])
    return np.asarray(rgb[..., :3].astype(np.float64) @ weights, dtype=np.float64)


def face_quality(rgb: npt.NDArray[np.uint8], box: PixelBox) -> Quality:
    """Brightness and Sharpness of the face inside ``box`` (same pixel frame as ``rgb``)."""
    luma = _luma(_crop(rgb, box))
    brightness = 100.0 * float(luma.mean()) / 255.0
    fixed = imaging.resize_for_measure(luma.astype(np.float32), SHARPNESS_SIDE)
    variance = float(imaging.laplacian(fixed.astype(np.float64)).var())
    sharpness = 100.0 * variance / (variance + SHARPNESS_HALF)
    return Quality(
        brightness=min(max(brightness, 0.0), 100.0), sharpness=min(max(sharpness, 0.0), 100.0)
    )
