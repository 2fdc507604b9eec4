"""dlib's shape predictors against facedesk's numpy ones, float32 and int8 (issue 21).

    PYTHONPATH=. python bench/shape_predictor.py [--photos N]

Every real testdata photo is decoded (relaxed limits) and analysed by FaceAnalyzer with
both FaceModelVersions' detectors (1.0: HOG; 7.0: libfacedetection, turns included), once
per landmark source, alternating per photo so all see the same machine load:

- ``dlib``: dlib's own predictors (the ``.dat`` files), the reference;
- ``f32``: the numpy predictor on the models as read (unquantised);
- ``int8``: the numpy predictor with int8 leaves (what facedesk ships for sp68; its sp5
  is float32, equal to ``f32``);
- ``f16``: the numpy predictor with float16 leaves (the other candidate).

It prints, against ``dlib``: the 68 and 5 points' differences (max, p99, mean, in pixels
and in % of the box width), Pose (Yaw/Pitch/Roll) differences, descriptor distances;
and per source: SearchFaces top-1 over the testdata faces whose photo names one identity
(the nearest other face's identity; same-person and different-person distances).
As reference noise: dlib's own points when the box moves by one pixel. Times: the
predictors' ms per face, and loading each model (dlib's ``.dat`` vs the ``.npz``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, decode_image, dlib_models, shape_store
from facedesk.engine.pose import head_pose
from facedesk.engine.shape_model import read_shape_predictor
from facedesk.engine.shape_predict import Rect, predict
from facedesk.engine.shape_store import compact_model
from facedesk.engine.versions import CNN_DETECTOR

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"
SOURCES = ("dlib", "f32", "int8", "f16")
DETECTORS = ("hog", CNN_DETECTOR)


class Recorder:
    """A predictor that keeps each call's rect and points, and its time."""

    def __init__(self, run: Callable[[Any, Rect], Any]) -> None:
        self.run = run
        self.calls: list[tuple[Rect, np.ndarray]] = []
        self.seconds = 0.0

    def __call__(self, image: Any, rect: Rect) -> Any:
        t = time.perf_counter()
        pts = self.run(image, rect)
        self.seconds += time.perf_counter() - t
        self.calls.append((rect, np.asarray(pts)))
        return pts


def _numpy(model: Any) -> Callable[[Any, Rect], Any]:
    return lambda image, rect: predict(image, rect, model)


def _predictors() -> dict[str, dict[str, Callable[[Any, Rect], Any]]]:
    out: dict[str, dict[str, Callable[[Any, Rect], Any]]] = {s: {} for s in SOURCES}
    for name in ("sp68", "sp5"):
        raw = read_shape_predictor(dlib_models.model_path(name))
        out["dlib"][name] = dlib_models.dlib_predictor(name)
        out["f32"][name] = _numpy(raw)
        out["int8"][name] = _numpy(compact_model(dlib_models.model_path(name), quantised=True))
        half = raw.leaf_values.astype(np.float16).astype(np.float32)
        out["f16"][name] = _numpy(replace(raw, leaf_values=half))
    return out


def _load_times() -> dict[str, float]:
    """Model loading as a process pays it: dlib's ``.dat`` vs the compact ``.npz``
    (from the user's cache, as a dev install reads it; the bundle reads the same file
    shipped), and the one-off conversion."""
    import dlib

    out = {}
    for name in ("sp68", "sp5"):
        path = dlib_models.model_path(name)
        quantised = name in dlib_models.QUANTISED
        t = time.perf_counter()
        dlib.shape_predictor(str(path))
        out[f"{name} dlib .dat load s"] = time.perf_counter() - t
        nowhere = Path("/nonexistent")
        shape_store._find(path, quantised, nowhere)  # converts and caches if not yet
        t = time.perf_counter()
        shape_store._find(path, quantised, nowhere)
        out[f"{name} compact .npz load s (from the cache)"] = time.perf_counter() - t
        out[f"{name} .npz MB"] = shape_store._cache_file(path, quantised).stat().st_size / 1e6
        t = time.perf_counter()
        read_shape_predictor(path)
        out[f"{name} .dat -> arrays conversion s"] = time.perf_counter() - t
    return out


def _stats(values: list[float]) -> str:
    if not values:
        return "n/a"
    a = np.asarray(values)
    p99, median = np.percentile(a, 99), np.median(a)
    return f"max {a.max():.3f} p99 {p99:.3f} median {median:.3f} mean {a.mean():.3f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=0, help="only the first N photos")
    args = parser.parse_args()
    print("load average before:", os.getloadavg())
    loads_t = _load_times()
    predictors = _predictors()
    manifest = json.loads((TESTDATA / "manifest.json").read_text())["files"]
    entries = [e for e in manifest if e["path"].startswith("real/") and e.get("faces") is not None]
    if args.photos:
        entries = entries[: args.photos]
    analyzer = FaceAnalyzer()
    # per detector, per source: recorders, faces (photo, identity, face)
    rec = {
        d: {s: {n: Recorder(predictors[s][n]) for n in ("sp68", "sp5")} for s in SOURCES}
        for d in DETECTORS
    }
    faces: dict[str, dict[str, list[tuple[str, str | None, Any]]]] = {
        d: {s: [] for s in SOURCES} for d in DETECTORS
    }
    noise: list[float] = []
    noise_pose: dict[str, list[float]] = {"yaw": [], "pitch": [], "roll": []}
    for e in entries:
        image = decode_image((TESTDATA / e["path"]).read_bytes(), RELAXED_LIMITS)
        ids = e.get("identities") or []
        identity = ids[0] if len(ids) == 1 and e.get("faces") == 1 else None
        first = len(rec["hog"]["dlib"]["sp68"].calls)
        for d in DETECTORS:
            for s in SOURCES:
                dlib_models.get("hog")  # this thread's model dict exists
                models = dlib_models._local.models
                models["sp68"], models["sp5"] = rec[d][s]["sp68"], rec[d][s]["sp5"]
                found = analyzer.analyze(image, detector=d)
                faces[d][s].extend((e["path"], identity, f) for f in found)
        # reference noise: dlib with the box one pixel to the right
        for rect, pts in rec["hog"]["dlib"]["sp68"].calls[first:]:
            shifted = Rect(rect.left + 1, rect.top, rect.right + 1, rect.bottom)
            other = predictors["dlib"]["sp68"](np.ascontiguousarray(image.pixels), shifted)
            noise.extend(np.hypot(*(other - pts).T).tolist())
            h, w = image.pixels.shape[:2]
            before, after = head_pose(pts.astype(float), w, h), head_pose(other.astype(float), w, h)
            if before is not None and after is not None:
                for axis, values in noise_pose.items():
                    values.append(abs(getattr(before, axis) - getattr(after, axis)))
        print(".", end="", flush=True)
    print()
    for k, v in loads_t.items():
        print(f"{k}: {v:.3f}")
    print(f"reference: dlib's 68 points, box moved 1 px: {_stats(noise)} px")
    for axis, values in noise_pose.items():
        print(f"reference: pose {axis} from them (68-point fit) deg: {_stats(values)}")
    for d in DETECTORS:
        print(f"\n== detector {d} ==")
        ref = faces[d]["dlib"]
        for s in SOURCES[1:]:
            mine = faces[d][s]
            if len(mine) != len(ref):
                print(f"{s}: {len(mine)} faces, dlib {len(ref)}")
                continue
            for n in ("sp68", "sp5"):
                a, b = rec[d]["dlib"][n].calls, rec[d][s][n].calls
                px = [
                    float(x)
                    for (_a, p), (_b, q) in zip(a, b, strict=True)
                    for x in np.hypot(*(q - p).T)
                ]
                rel = [
                    100 * float(x) / (box.right - box.left)
                    for (box, p), (_, q) in zip(a, b, strict=True)
                    for x in np.hypot(*(q - p).T)
                ]
                moved = [bool(np.any(c1[1] != c2[1])) for c1, c2 in zip(a, b, strict=True)]
                print(
                    f"{s} {n}: {len(a)} faces ({sum(moved)} with any point moved); px {_stats(px)}"
                )
                print(f"{s} {n}: % of box width {_stats(rel)}")
            for axis in ("yaw", "pitch", "roll"):
                diffs = [
                    abs(getattr(f.pose, axis) - getattr(g.pose, axis))
                    for (_, _, f), (_, _, g) in zip(ref, mine, strict=True)
                ]
                print(f"{s} pose {axis} deg: {_stats(diffs)}")
            dist = [
                float(np.linalg.norm(f.descriptor - g.descriptor))
                for (_, _, f), (_, _, g) in zip(ref, mine, strict=True)
            ]
            print(f"{s} descriptor distance to dlib's: {_stats(dist)}")
        for s in SOURCES:
            _search(s, faces[d][s])
        for s in SOURCES:
            secs = rec[d][s]["sp68"].seconds, rec[d][s]["sp5"].seconds
            calls = len(rec[d][s]["sp68"].calls), len(rec[d][s]["sp5"].calls)
            ms = [1000 * t / max(c, 1) for t, c in zip(secs, calls, strict=True)]
            print(f"{s} time per face: sp68 {ms[0]:.2f} ms, sp5 {ms[1]:.2f} ms")
        t_np = rec[d]["int8"]["sp68"].seconds + rec[d]["int8"]["sp5"].seconds
        t_dl = rec[d]["dlib"]["sp68"].seconds + rec[d]["dlib"]["sp5"].seconds
        print(f"ratio int8 numpy / dlib (both predictors): {t_np / t_dl:.2f}")
    print("load average after:", os.getloadavg())


def _search(source: str, found: list[tuple[str, str | None, Any]]) -> None:
    """SearchFaces top-1 over the faces of single-identity photos: is the nearest face of
    another photo the same person?"""
    known = [(p, i, f) for p, i, f in found if i is not None]
    if len(known) < 2:
        return
    vec = np.stack([f.descriptor for _, _, f in known])
    dist = np.linalg.norm(vec[:, None, :] - vec[None, :, :], axis=2)
    hits = total = 0
    same: list[float] = []
    other: list[float] = []
    for i, (p, ident, _) in enumerate(known):
        mask = np.array([q != p for q, _, _ in known])
        if not mask.any():
            continue
        cand = np.where(mask, dist[i], np.inf)
        j = int(np.argmin(cand))
        hits += known[j][1] == ident
        total += 1
        for k in np.flatnonzero(mask):
            (same if known[k][1] == ident else other).append(float(dist[i, k]))
    nan = float("nan")
    median = statistics.median(same) if same else nan
    print(
        f"{source}: SearchFaces top-1 {hits}/{total}; same-person distance median "
        f"{median:.4f} max {max(same, default=nan):.4f}; "
        f"different-person min {min(other, default=nan):.4f}"
    )


if __name__ == "__main__":
    main()
