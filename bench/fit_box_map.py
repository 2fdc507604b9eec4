"""Fit the map from libfacedetection's boxes to dlib HOG's box convention.

    PYTHONPATH=. python bench/fit_box_map.py

Runs both detectors on every real testdata photo (decoded as the analyzer decodes them),
pairs the boxes that overlap (IoU > 0.4 after a first map), and prints the medians of the
centre shift (fractions of the CNN box) and of dlib's side over the CNN box's width: the
``BOX_MAP`` of facedesk/engine/cnn_detect.py.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import numpy as np

from facedesk.engine import RELAXED_LIMITS, decode_image
from facedesk.engine.cnn_detect import CNN_THRESHOLD, cnn_scale, raw_detect, to_dlib_box
from facedesk.engine.detect import Detection, _overlap, detect, detection_scale

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


def pairs() -> list[tuple[Detection, Detection]]:
    manifest = json.loads((TESTDATA / "manifest.json").read_text())["files"]
    out = []
    for entry in manifest:
        if not entry["path"].startswith("real/") or not entry.get("faces"):
            continue
        img = decode_image((TESTDATA / entry["path"]).read_bytes(), RELAXED_LIMITS)
        rgb = np.ascontiguousarray(img.pixels)
        h, w = rgb.shape[:2]
        hog = detect(rgb, detection_scale(w, h, img.width, img.height))
        cnn = [
            d
            for d in raw_detect(rgb, cnn_scale(w, h, img.width, img.height))
            if d.score >= CNN_THRESHOLD
        ]
        for c in cnn:
            rough = to_dlib_box(c, (0.0, 0.1, 0.85))
            best = max(hog, key=lambda d: _overlap(rough, d)[0], default=None)
            if best is not None and _overlap(rough, best)[0] > 0.4:
                out.append((c, best))
    return out


def main() -> None:
    found = pairs()
    dx, dy, size, aspect = [], [], [], []
    for c, d in found:
        w, h = c.right - c.left, c.bottom - c.top
        dx.append(((d.left + d.right) / 2 - (c.left + c.right) / 2) / w)
        dy.append(((d.top + d.bottom) / 2 - (c.top + c.bottom) / 2) / h)
        size.append((d.right - d.left) / w)
        aspect.append(h / w)
    med = [statistics.median(v) for v in (dx, dy, size)]
    print(f"{len(found)} faces found by both")
    print(f"BOX_MAP = ({med[0]:.3f}, {med[1]:.3f}, {med[2]:.3f})  # dx, dy, size")
    print(f"spread (IQR): dx {statistics.quantiles(dx, n=4)}, dy {statistics.quantiles(dy, n=4)}")
    print(f"size {statistics.quantiles(size, n=4)}, CNN h/w {statistics.median(aspect):.3f}")
    iou = [_overlap(to_dlib_box(c, tuple(med)), d)[0] for c, d in found]  # type: ignore[arg-type]
    print(f"IoU with dlib's box: median {statistics.median(iou):.3f}, min {min(iou):.3f}")


if __name__ == "__main__":
    main()
