"""Detector candidates on the real testdata photos: faces found, false faces, ms per photo.

    PYTHONPATH=. python bench/detectors.py [--mmod]

Counts are per photo against the manifest (counted by eye): ``found`` adds
min(n, faces) over the photos, ``false`` adds max(0, n - faces_max), ``in range`` counts
photos with faces_min <= n <= faces_max. Each candidate is the whole analysis facedesk
would run (detection, presence check, landmarks, pose, descriptors) unless it says "raw".
Times are medians of 3 warm runs per photo, summed and divided by the number of photos,
and the ratio to HOG measured in the same run (the machine is shared: load printed).
``--mmod`` adds dlib's MMOD CNN (about 20 s a photo on two cores).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, decode_image
from facedesk.engine.cnn_detect import CNN_THRESHOLD, cnn_scale, raw_detect
from facedesk.engine.detect import detect, detection_scale

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


def candidates(mmod: bool) -> dict[str, Callable[..., int]]:
    analyzer = FaceAnalyzer()

    def raw_cnn(img: object) -> int:
        rgb = np.ascontiguousarray(img.pixels)  # type: ignore[attr-defined]
        h, w = rgb.shape[:2]
        s = cnn_scale(w, h, img.width, img.height)  # type: ignore[attr-defined]
        return sum(d.score >= CNN_THRESHOLD for d in raw_detect(rgb, s))

    def raw_hog(img: object) -> int:
        rgb = np.ascontiguousarray(img.pixels)  # type: ignore[attr-defined]
        h, w = rgb.shape[:2]
        return len(detect(rgb, detection_scale(w, h, img.width, img.height)))  # type: ignore[attr-defined]

    out: dict[str, Callable[..., int]] = {
        "1.0 dlib HOG (analysis)": lambda img: len(analyzer.analyze(img, detector="hog")),
        "dlib HOG (raw, no presence check)": raw_hog,
        "libfacedetection (raw, score>=80, upright only)": raw_cnn,
        "7.0 libfacedetection + presence + turns (analysis)": lambda img: len(
            analyzer.analyze(img, detector="libfacedetection")
        ),
    }
    if mmod:
        out["1.0 dlib MMOD CNN (analysis)"] = lambda img: len(analyzer.analyze(img, detector="cnn"))
    return out


def main() -> None:
    manifest = json.loads((TESTDATA / "manifest.json").read_text())["files"]
    photos = [e for e in manifest if e["path"].startswith("real/") and e.get("faces") is not None]
    images = {
        e["path"]: decode_image((TESTDATA / e["path"]).read_bytes(), RELAXED_LIMITS) for e in photos
    }
    cands = candidates("--mmod" in sys.argv)
    total = sum(e["faces"] for e in photos)
    print(f"{len(photos)} real photos, {total} faces counted by eye; load {os.getloadavg()}")
    rows = []
    per_photo: dict[str, dict[str, int]] = {}
    for name, run in cands.items():
        run(images[photos[0]["path"]])  # warm: models loaded
        found = false = in_range = 0
        ms = 0.0
        for e in photos:
            img = images[e["path"]]
            times, n = [], 0
            for _ in range(3 if "MMOD" not in name else 1):
                t = time.perf_counter()
                n = run(img)
                times.append(time.perf_counter() - t)
            ms += statistics.median(times) * 1000
            per_photo.setdefault(e["path"], {})[name] = n
            found += min(n, e["faces"])
            false += max(0, n - e["faces_max"])
            in_range += e["faces_min"] <= n <= e["faces_max"]
        rows.append((name, found, false, in_range, ms / len(photos)))
    base = rows[0][4]
    n = len(photos)
    print(f"\n| Detector | Found of {total} | False | In range of {n} | ms/photo | x HOG |")
    print("|---|---|---|---|---|---|")
    for name, found, false, in_range, ms in rows:
        print(f"| {name} | {found} | {false} | {in_range} | {ms:.0f} | {base / ms:.1f} |")
    print(f"\nload after: {os.getloadavg()}\n")
    names = list(cands)
    print("photo [min,max] " + " / ".join(str(i) for i in range(len(names))))
    for e in photos:
        counts = " ".join(f"{per_photo[e['path']][n]:3d}" for n in names)
        print(f"{e['path']:42s} [{e['faces_min']:2d},{e['faces_max']:2d}] {counts}")


if __name__ == "__main__":
    main()
