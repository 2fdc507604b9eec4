"""Descriptor graph with float16-stored weights against the float32 graph and dlib itself.

Usage: PYTHONPATH=. python bench/descriptor_fp16.py

Every real testdata photo (manifest.json), dlib's HOG faces (upsample 1) with dlib's 5-point
chips, as in tests/unit/test_descriptor_net.py. For each face: dlib's own descriptor
(``face_recognition_model_v1``), the float32 graph's and the half-weights graph's
(``build_onnx(..., half_weights=True)``). Prints graph sizes, the largest distance of each
graph to dlib's, same-person / different-person distances (identities from the manifest;
bald_guys' 24 faces are 24 people), whether each face's nearest other face (SearchFaces
top-1 over all testdata faces) changes, and ms per face for both graphs.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

# First: facedesk turns onnxruntime's telemetry off before onnxruntime loads (facedesk/__init__.py).
import facedesk  # noqa: F401

# isort: split
import numpy as np
import onnxruntime as ort
from PIL import Image

from facedesk.engine import dlib_models
from facedesk.engine.descriptor_graph import build_onnx
from facedesk.engine.descriptor_net import CHIP_PADDING, CHIP_SIZE, read_weights

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


def _session(data: bytes) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


def _faces() -> tuple[np.ndarray, np.ndarray, list[tuple[str, str | None]]]:
    import dlib

    manifest = json.loads((TESTDATA / "manifest.json").read_text())
    detector = dlib.get_frontal_face_detector()
    sp5 = dlib.shape_predictor(str(dlib_models.model_path("sp5")))
    net = dlib.face_recognition_model_v1(str(dlib_models.model_path("resnet")))
    chips, want, who = [], [], []
    for entry in manifest["files"]:
        if entry["kind"] != "real":
            continue
        rgb = np.asarray(Image.open(TESTDATA / entry["path"]).convert("RGB"))
        ids = entry.get("identities") or []
        rects = detector(rgb, 1)
        for i, rect in enumerate(rects):
            shape = sp5(rgb, rect)
            chips.append(dlib.get_face_chip(rgb, shape, CHIP_SIZE, CHIP_PADDING))
            want.append(net.compute_face_descriptor(rgb, shape, 1))
            # a single-face photo of a named person; bald_guys: every face another person
            if len(rects) == 1 and len(ids) == 1:
                label = ids[0]
            elif entry["path"].endswith("bald_guys.jpg"):
                label = f"bald_guys_{i}"
            else:
                label = None
            who.append((entry["path"], label))
    return np.stack(chips), np.asarray(want, dtype=np.float32), who


def _pairs(d: np.ndarray, who: list[tuple[str, str | None]]) -> tuple[list[float], list[float]]:
    same: list[float] = []
    other: list[float] = []
    for i in range(len(d)):
        for j in range(i + 1, len(d)):
            a, b = who[i][1], who[j][1]
            if a is None or b is None:
                continue
            (same if a == b else other).append(float(np.linalg.norm(d[i] - d[j])))
    return same, other


def _top1(d: np.ndarray) -> np.ndarray:
    dist = np.linalg.norm(d[:, None, :] - d[None, :, :], axis=2)
    np.fill_diagonal(dist, np.inf)
    return np.asarray(dist.argmin(axis=1))


def _ms_per_face(session: ort.InferenceSession, chips: np.ndarray, rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        session.run(None, {"chips": chips})
        times.append((time.perf_counter() - start) * 1000 / len(chips))
    return statistics.median(times)


def main() -> int:
    print(f"load before {os.getloadavg()}")
    weights = read_weights(dlib_models.model_path("resnet"))
    full, half = build_onnx(weights), build_onnx(weights, half_weights=True)
    print(f"graph: float32 {len(full) / 1e6:.2f} MB, float16 weights {len(half) / 1e6:.2f} MB")
    chips, dlib_d, who = _faces()
    print(f"{len(chips)} faces on {len({p for p, _ in who})} photos")
    s32, s16 = _session(full), _session(half)
    (d32,) = s32.run(None, {"chips": chips})
    (d16,) = s16.run(None, {"chips": chips})
    for name, d in (("float32 graph", d32), ("float16 weights", d16)):
        dist = np.linalg.norm(d - dlib_d, axis=1)
        print(f"{name} vs dlib: max {dist.max():.2e}, median {np.median(dist):.2e}")
    between = np.linalg.norm(d16 - d32, axis=1)
    print(
        f"float16 weights vs float32 graph: max {between.max():.2e}, p50 {np.median(between):.2e}"
    )
    for name, d in (("dlib", dlib_d), ("float32 graph", d32), ("float16 weights", d16)):
        same, other = _pairs(d, who)
        print(
            f"{name}: same person {len(same)} pairs max {max(same):.4f}; "
            f"different {len(other)} pairs min {min(other):.4f}; "
            f"different pairs under 0.6: {sum(x < 0.6 for x in other)}"
        )
    same32, other32 = _pairs(d32, who)
    same16, other16 = _pairs(d16, who)
    change = np.abs(np.array(same32 + other32) - np.array(same16 + other16))
    print(f"pair distance change float16 vs float32: max {change.max():.2e}")
    t_dlib, t32, t16 = _top1(dlib_d), _top1(d32), _top1(d16)
    print(
        f"top-1 nearest face changed: float16 vs float32 {int((t16 != t32).sum())}, "
        f"float16 vs dlib {int((t16 != t_dlib).sum())}, float32 vs dlib "
        f"{int((t32 != t_dlib).sum())} (of {len(chips)})"
    )
    ms32, ms16 = _ms_per_face(s32, chips), _ms_per_face(s16, chips)
    print(f"ms per face: float32 {ms32:.1f}, float16 weights {ms16:.1f}, ratio {ms16 / ms32:.3f}")
    print(f"load after {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
