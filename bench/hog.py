"""HOG on the colour picture at dlib's default threshold 0 against the grey picture at -0.2
(what engine/detect.py does), on the real test photos.

Usage: python bench/hog.py [--repeats N] [--with-hard]

The set is the 24 real dev photos (``real/`` without ``real/hard/``, as in BENCHMARKS.md);
``--with-hard`` adds the 8 hard ones.

Each photo is decoded as the pipeline decodes it and resized to the engine's detection
scale (engine/detect.py: ``detection_scale``, dlib's own pyramid-up above 1.6); then, per
repeat and in alternation, dlib's HOG ``run`` on the colour picture (threshold 0) and on the
grey one (threshold -0.2). Prints the seconds for the whole set per repeat, the medians of all
repeats and their ratio, and the raw box counts (before the analyzer's face-presence check,
which removes what the lower threshold lets in).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from facedesk.engine import RELAXED_LIMITS, decode_image
from facedesk.engine.detect import HOG_THRESHOLD, PYRAMID_UP_FROM, detection_scale
from facedesk.service.pipeline import WORKING_FACE_PX

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


def pictures(with_hard: bool) -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    """(path, colour picture, grey picture, upsample) per decodable real photo."""
    import cv2

    out = []
    for entry in json.loads((TESTDATA / "manifest.json").read_text())["files"]:
        rel = entry["path"]
        if not rel.startswith("real/") or entry.get("faces") is None:
            continue
        if rel.startswith("real/hard/") and not with_hard:
            continue
        try:
            img = decode_image(
                (TESTDATA / rel).read_bytes(), RELAXED_LIMITS, working_face_px=WORKING_FACE_PX
            )
        except Exception:
            continue
        rgb = np.ascontiguousarray(img.pixels, dtype=np.uint8)
        h, w = rgb.shape[:2]
        scale = detection_scale(w, h, img.width, img.height)
        upsample = 1 if scale >= PYRAMID_UP_FROM else 0
        resize = scale / 2.0 if upsample else scale
        size = (max(1, round(w * resize)), max(1, round(h * resize)))
        interp = cv2.INTER_AREA if resize < 1.0 else cv2.INTER_LINEAR
        colour = np.asarray(cv2.resize(rgb, size, interpolation=interp), dtype=np.uint8)
        grey = np.asarray(
            cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), size, interpolation=interp),
            dtype=np.uint8,
        )
        out.append((rel, colour, grey, upsample))
    return out


def main() -> int:
    import dlib

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--with-hard", action="store_true")
    args = parser.parse_args()
    print(f"load before {os.getloadavg()}")
    pics = pictures(args.with_hard)
    hog = dlib.get_frontal_face_detector()
    print(f"{len(pics)} photos")
    colour_s: list[float] = []
    grey_s: list[float] = []
    counts = [0, 0]
    for rep in range(args.repeats):
        n = [0, 0]
        t0 = time.perf_counter()
        for _, colour, _, up in pics:
            n[0] += len(hog.run(colour, up, 0.0)[0])
        t1 = time.perf_counter()
        for _, _, grey, up in pics:
            n[1] += len(hog.run(grey, up, HOG_THRESHOLD)[0])
        t2 = time.perf_counter()
        colour_s.append(t1 - t0)
        grey_s.append(t2 - t1)
        counts = n
        print(
            f"repeat {rep + 1}: colour@0 {colour_s[-1]:.2f} s, grey@{HOG_THRESHOLD} "
            f"{grey_s[-1]:.2f} s, load {os.getloadavg()[0]:.2f}"
        )
    c, g = statistics.median(colour_s), statistics.median(grey_s)
    print(
        f"median of {args.repeats}: colour@0 {c:.2f} s, grey@{HOG_THRESHOLD} {g:.2f} s "
        f"({100 * (1 - g / c):.0f} % less); raw boxes {counts[0]} / {counts[1]}"
    )
    print(f"load after {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
