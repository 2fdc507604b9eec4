"""The engine without OpenCV against the engine with it, in one run (issue 21).

    PYTHONPATH=. python bench/imaging.py [--rounds N] [--detector libfacedetection|hog]

For every real testdata photo: decode (relaxed limits) + the whole analysis (HOG and
libfacedetection detectors, presence check, landmarks, pose, quality, every attribute,
descriptors), once with facedesk's own numpy code (engine.imaging, engine.pnp, the face
mesh on LiteRT) and once with the OpenCV calls they replaced patched back in, alternating
per photo so both see the same machine load. Prints per-photo and total times (median of
the rounds), the ratio numpy/OpenCV, load averages, and whether both found the same faces
(count, boxes within 0.5 px, pose within 0.1 degree, descriptor distance < 1e-3).
Needs opencv-python-headless (the `test` extra).
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, attr_models, decode_image, imaging, pnp
from facedesk.engine.attributes import SUPPORTED

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


def _cv_area(image: Any, width: int, height: int) -> Any:
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def _cv_linear(image: Any, width: int, height: int) -> Any:
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)


def _cv_warp(image: Any, inverse: Any, width: int, height: int) -> Any:
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(
        image, inverse, (width, height), flags=flags, borderMode=cv2.BORDER_REPLICATE
    )


def _cv_measure(image: Any, side: int) -> Any:
    interp = cv2.INTER_AREA if min(image.shape[:2]) >= side else cv2.INTER_LINEAR
    return cv2.resize(image, (side, side), interpolation=interp)


def _cv_solve(objects: Any, pixels: Any, camera: Any) -> Any:
    ok, rvec, tvec = cv2.solvePnP(objects, pixels, camera, np.zeros(4), flags=cv2.SOLVEPNP_SQPNP)
    return (cv2.Rodrigues(rvec)[0], tvec.ravel()) if ok else None


_CV_MESH: dict[int, Any] = {}


def _cv_mesh() -> Any:
    import threading

    key = threading.get_ident()
    if key not in _CV_MESH:
        _CV_MESH[key] = cv2.dnn.readNetFromTFLite(
            str(attr_models._SHARED.path(attr_models.MESH_FILE))
        )
    return _CV_MESH[key]


@contextlib.contextmanager
def opencv() -> Iterator[None]:
    """The engine as it was: each replaced function swapped back for its cv2 call."""
    saved = {
        (imaging, "resize_area"): _cv_area,
        (imaging, "resize_linear"): _cv_linear,
        (imaging, "warp_affine_linear"): _cv_warp,
        (imaging, "resize_for_measure"): _cv_measure,
        (imaging, "rgb_to_grey"): lambda rgb: cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),
        (imaging, "laplacian"): lambda img: cv2.Laplacian(img, cv2.CV_64F, ksize=1),
        (pnp, "solve_rotation"): _cv_solve,
        (attr_models, "_mesh_net"): _cv_mesh,
    }
    old = {key: getattr(*key) for key in saved}
    for (module, name), replacement in saved.items():
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for (module, name), original in old.items():
            setattr(module, name, original)


def _run(analyzer: FaceAnalyzer, data: bytes, detector: str) -> tuple[float, list[Any]]:
    t = time.perf_counter()
    image = decode_image(data, RELAXED_LIMITS)
    faces = analyzer.analyze(image, detector=detector, attributes=frozenset(SUPPORTED))
    return time.perf_counter() - t, faces


def _same(a: list[Any], b: list[Any]) -> str:
    if len(a) != len(b):
        return f"COUNT {len(a)} vs {len(b)}"
    worst_box = worst_pose = worst_desc = 0.0
    for fa, fb in zip(a, b, strict=True):
        ba, bb = fa.box, fb.box
        worst_box = max(
            worst_box,
            *(
                abs(x - y)
                for x, y in zip(
                    (ba.left, ba.top, ba.right, ba.bottom),
                    (bb.left, bb.top, bb.right, bb.bottom),
                    strict=True,
                )
            ),
        )
        if fa.pose is not None and fb.pose is not None:
            worst_pose = max(
                worst_pose,
                abs(fa.pose.roll - fb.pose.roll),
                abs(fa.pose.yaw - fb.pose.yaw),
                abs(fa.pose.pitch - fb.pose.pitch),
            )
        if fa.descriptor is not None and fb.descriptor is not None:
            worst_desc = max(worst_desc, float(np.linalg.norm(fa.descriptor - fb.descriptor)))
    return f"box {worst_box:.3f} px, pose {worst_pose:.4f} deg, descriptor {worst_desc:.5f}"


def main() -> None:
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 2
    manifest = json.loads((TESTDATA / "manifest.json").read_text())["files"]
    photos = [
        e["path"] for e in manifest if e["path"].startswith("real/") and e.get("faces") is not None
    ]
    analyzer = FaceAnalyzer()
    print(f"{len(photos)} photos, {rounds} rounds; load at start {os.getloadavg()}")
    totals = {"numpy": 0.0, "opencv": 0.0}
    detectors = ("libfacedetection", "hog")
    if "--detector" in sys.argv:
        detectors = (sys.argv[sys.argv.index("--detector") + 1],)
    for detector in detectors:
        sums = {"numpy": 0.0, "opencv": 0.0}
        for path in photos:
            data = (TESTDATA / path).read_bytes()
            times: dict[str, list[float]] = {"numpy": [], "opencv": []}
            faces: dict[str, list[Any]] = {}
            _run(analyzer, data, detector)  # warm: models and caches
            with opencv():
                _run(analyzer, data, detector)
            for _ in range(rounds):
                s, faces["numpy"] = _run(analyzer, data, detector)
                times["numpy"].append(s)
                with opencv():
                    s, faces["opencv"] = _run(analyzer, data, detector)
                times["opencv"].append(s)
            med = {k: statistics.median(v) for k, v in times.items()}
            for k in sums:
                sums[k] += med[k]
            print(
                f"  {detector:16s} {path:52s} numpy {med['numpy'] * 1000:7.0f} ms  opencv "
                f"{med['opencv'] * 1000:7.0f} ms  ratio {med['numpy'] / med['opencv']:.3f}  "
                f"{_same(faces['numpy'], faces['opencv'])}"
            )
        print(
            f"{detector}: numpy {sums['numpy']:.2f} s, opencv {sums['opencv']:.2f} s, "
            f"ratio {sums['numpy'] / sums['opencv']:.3f}; load {os.getloadavg()}"
        )
        for k in totals:
            totals[k] += sums[k]
    print(
        f"total: numpy {totals['numpy']:.2f} s, opencv {totals['opencv']:.2f} s, "
        f"ratio {totals['numpy'] / totals['opencv']:.3f}; load at end {os.getloadavg()}"
    )


if __name__ == "__main__":
    main()
