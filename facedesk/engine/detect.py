"""Face detection with dlib, at a scale chosen from the smallest face worth finding.

Scale policy. Rekognition's minimum face is ``min_face_px(w, h)`` (40 px at 1920x1080,
growing with the image). dlib's HOG window reports faces down to about
``HOG_MIN_FACE_PX`` = 72 px (measured on the dev set: the smallest box at scale 1 was 73
px; at scale 2 and 3, 36 and 29 px in original pixels). To also find faces a little below
the minimum (so they can be reported as SMALL_BOUNDING_BOX rather than missed), the
detector looks at the picture enlarged by

    s = HOG_MIN_FACE_PX / (FIND_FRACTION * min_face_px(w, h))     (FIND_FRACTION = 0.9)

i.e. s = 2.0 for any picture up to 1920x1080 (faces from 36 px on), capped so that the
detection picture has at most ``MAX_DETECT_PIXELS`` (8 Mpx: at 1920x1080 the cap gives
s = 1.96, still finding 37 px faces) and s <= MAX_UPSCALE. For s >= PYRAMID_UP_FROM the
picture is resized by s/2 (cv2 INTER_AREA down / INTER_LINEAR up) and dlib doubles it
itself (``run(img, 1, ...)``, its pyramid_up); below that it is resized by s and run
without upsampling. Measured on the 24 real dev photos: dlib's own doubling found all 29
Solvay faces where a cv2 INTER_LINEAR x2 resize found 28, and counts at s = 2.2..2.5 flip
borderline faces (2007_007763, 2008_007676) in and out of range: s = 2 with pyramid_up
gives 23/24 photos in [faces_min, faces_max], as dlib's own hog_up1 crosscheck does.

HOG looks at the grey picture, with its threshold lowered to ``HOG_THRESHOLD`` = -0.2.
On colour, dlib's fhog takes each pixel's strongest channel gradient, three gradients per
pixel: grey costs 29 % less (4.2 s instead of 5.9 s for the 24 dev photos). Grey scores
run a little lower, so at dlib's default threshold 0 one of bald_guys' 24 faces fell out
at s = 1.4; at -0.2 every photo has at least the faces colour HOG finds at 0, and the
face-presence check in the analyzer removes what the lower threshold lets in (at -0.4 a
dog passed it, hence not lower). Dev set, after the presence check, colour@0 / grey@-0.2:
all photos equal but skimage's astronaut 1/1 (colour HOG's extra box is the mission patch,
removed by the presence check either way) and camera 0/1 (the cameraman, a real face).

The MMOD CNN detector (``"cnn"``) has the same ~80 px window but costs about 20x more per
pixel on a CPU, so its picture is capped at ``MAX_CNN_PIXELS``.

Boxes: dlib's HOG box is tight (brows to chin, about 80 % of Rekognition's box). facedesk
keeps it as it is (no enlargement), mapped back to the picture's pixels. dlib's own
non-maximum suppression runs per call; ``dedupe`` additionally drops a box that overlaps a
higher-scoring one by IoU > 0.5 or is 80 % inside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from facedesk.core.quality import min_face_px
from facedesk.engine import dlib_models, imaging

HOG_MIN_FACE_PX: Final = 72.0
FIND_FRACTION: Final = 0.9
PYRAMID_UP_FROM: Final = 1.6
MAX_DETECT_PIXELS: Final = 8_000_000
MAX_CNN_PIXELS: Final = 2_000_000
MAX_UPSCALE: Final = 4.0
HOG_THRESHOLD: Final = -0.2
DETECTORS: Final = frozenset({"hog", "cnn"})


@dataclass(frozen=True)
class Detection:
    """A box in the pixel frame of the picture handed to ``detect``, with the raw score."""

    left: float
    top: float
    right: float
    bottom: float
    score: float


def detection_scale(
    pixels_w: int, pixels_h: int, full_w: int, full_h: int, detector: str = "hog"
) -> float:
    """Factor from the decoded pixels to the detector's picture."""
    pixels_per_full = pixels_w / full_w  # < 1 when the decoder downscaled
    wanted = HOG_MIN_FACE_PX / (FIND_FRACTION * min_face_px(full_w, full_h) * pixels_per_full)
    cap_pixels = MAX_CNN_PIXELS if detector == "cnn" else MAX_DETECT_PIXELS
    cap = math.sqrt(cap_pixels / float(pixels_w * pixels_h))
    return max(min(wanted, cap, MAX_UPSCALE), 1e-3)


def detect(rgb: npt.NDArray[np.uint8], scale: float, detector: str = "hog") -> list[Detection]:
    """Faces in ``rgb`` found on the picture resized by ``scale``; boxes in ``rgb`` pixels."""
    h, w = rgb.shape[:2]
    upsample = 1 if scale >= PYRAMID_UP_FROM and detector == "hog" else 0
    resize = scale / 2.0 if upsample else scale
    dw, dh = max(1, round(w * resize)), max(1, round(h * resize))
    work = rgb if detector != "hog" else imaging.rgb_to_grey(rgb)
    if (dw, dh) != (w, h):
        shrink = imaging.resize_area if resize < 1.0 else imaging.resize_linear
        work = np.asarray(shrink(work, dw, dh), dtype=np.uint8)
    # dlib maps boxes found on its doubled picture back to ``work`` itself.
    sx, sy = dw / w, dh / h
    found: list[Detection] = []
    if detector == "hog":
        rects, scores, _kinds = dlib_models.get("hog").run(work, upsample, HOG_THRESHOLD)
        pairs = [(r, float(s)) for r, s in zip(rects, scores, strict=True)]
    elif detector == "cnn":
        pairs = [(d.rect, float(d.confidence)) for d in dlib_models.get("mmod")(work, 0)]
    else:
        raise ValueError(f"unknown detector {detector!r}; use one of {sorted(DETECTORS)}")
    for rect, score in pairs:
        found.append(
            Detection(
                left=rect.left() / sx,
                top=rect.top() / sy,
                right=(rect.right() + 1) / sx,
                bottom=(rect.bottom() + 1) / sy,
                score=score,
            )
        )
    return dedupe(found)


def _overlap(a: Detection, b: Detection) -> tuple[float, float]:
    iw = max(0.0, min(a.right, b.right) - max(a.left, b.left))
    ih = max(0.0, min(a.bottom, b.bottom) - max(a.top, b.top))
    inter = iw * ih
    area_a = (a.right - a.left) * (a.bottom - a.top)
    area_b = (b.right - b.left) * (b.bottom - b.top)
    union = area_a + area_b - inter
    iou = inter / union if union > 0 else 0.0
    inside = inter / min(area_a, area_b) if min(area_a, area_b) > 0 else 0.0
    return iou, inside


def dedupe(found: list[Detection]) -> list[Detection]:
    """Keep the best-scoring of each group of overlapping boxes."""
    kept: list[Detection] = []
    for det in sorted(found, key=lambda d: d.score, reverse=True):
        if all((lambda o: o[0] <= 0.5 and o[1] <= 0.8)(_overlap(det, k)) for k in kept):
            kept.append(det)
    return kept
