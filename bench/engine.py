"""Time decode_image and FaceAnalyzer.analyze on dev photos: python bench/engine.py [paths]."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, decode_image
from facedesk.engine.detect import detection_scale

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"
DEFAULT = [
    "real/face_recognition/obama_and_biden.jpg",
    "real/visp/solvay_conference_1927.png",
    "real/dlib/bald_guys.jpg",
]


def main(paths: list[str]) -> None:
    analyzer = FaceAnalyzer()
    analyzer.analyze(decode_image((TESTDATA / DEFAULT[0]).read_bytes()))  # load models
    for rel in paths:
        data = (TESTDATA / rel).read_bytes()
        decode_s, analyze_s = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            img = decode_image(data, RELAXED_LIMITS)
            t1 = time.perf_counter()
            faces = analyzer.analyze(img)
            t2 = time.perf_counter()
            decode_s.append(t1 - t0)
            analyze_s.append(t2 - t1)
        h, w = img.pixels.shape[:2]
        s = detection_scale(w, h, img.width, img.height)
        print(
            f"{rel}: {img.width}x{img.height}, detection scale {s:.2f} "
            f"({w * s * h * s / 1e6:.1f} Mpx), {len(faces)} faces, "
            f"decode {statistics.median(decode_s) * 1000:.0f} ms, "
            f"analyze {statistics.median(analyze_s) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or DEFAULT)
