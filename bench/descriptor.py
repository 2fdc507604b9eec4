"""Face descriptors: dlib's own ResNet call against facedesk's ONNX path, ms per face and
how far apart the two descriptors are.

Usage: python bench/descriptor.py [--repeats N] [PHOTO ...]

Default photos: bald_guys.jpg (24 faces) and obama_and_biden.jpg (3). Faces are dlib's HOG
faces (upsample 1) with dlib's 5-point shapes, as in tests/unit/test_descriptor_net.py.
Per repeat, in alternation:

- dlib (naive): ``face_recognition_model_v1.compute_face_descriptor(rgb, shape, 1)`` face
  by face, the call face_recognition makes (chip extraction included);
- facedesk: ``dlib.get_face_chip`` per face, then one ``DescriptorNet.compute`` for all faces
  of the photo on onnxruntime (engine/descriptor_net.py).

Prints each repeat, the medians of all repeats (not the best), the ratio, the largest
absolute difference of one descriptor component and the largest Euclidean distance between
the two descriptors of a face (dlib's same-person threshold is 0.6).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from facedesk.engine import dlib_models
from facedesk.engine.descriptor_net import CHIP_PADDING, CHIP_SIZE, DescriptorNet

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"
PHOTOS = ["real/dlib/bald_guys.jpg", "real/face_recognition/obama_and_biden.jpg"]


def main() -> int:
    import dlib

    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("photos", nargs="*", default=PHOTOS)
    args = parser.parse_args()
    print(f"load before {os.getloadavg()}")
    detector = dlib.get_frontal_face_detector()
    sp5 = dlib.shape_predictor(str(dlib_models.model_path("sp5")))
    net = dlib.face_recognition_model_v1(str(dlib_models.model_path("resnet")))
    onnx = DescriptorNet(dlib_models.model_path("resnet"))
    photos = []
    for rel in args.photos:
        rgb = np.asarray(Image.open(TESTDATA / rel).convert("RGB"))
        shapes = [sp5(rgb, rect) for rect in detector(rgb, 1)]
        photos.append((rel, rgb, shapes))
        print(f"{rel}: {len(shapes)} faces")
    n_faces = sum(len(s) for _, _, s in photos)
    onnx.compute(np.zeros((1, CHIP_SIZE, CHIP_SIZE, 3), dtype=np.uint8))  # warm-up

    naive_ms: list[float] = []
    ours_ms: list[float] = []
    max_abs = max_l2 = 0.0
    for rep in range(args.repeats):
        t0 = time.perf_counter()
        want = [
            np.asarray(net.compute_face_descriptor(rgb, s, 1), dtype=np.float32)
            for _, rgb, shapes in photos
            for s in shapes
        ]
        t1 = time.perf_counter()
        got = []
        for _, rgb, shapes in photos:
            chips = np.stack([dlib.get_face_chip(rgb, s, CHIP_SIZE, CHIP_PADDING) for s in shapes])
            got.append(onnx.compute(chips))
        t2 = time.perf_counter()
        diff = np.concatenate(got) - np.stack(want)
        max_abs = max(max_abs, float(np.abs(diff).max()))
        max_l2 = max(max_l2, float(np.linalg.norm(diff, axis=1).max()))
        naive_ms.append(1000 * (t1 - t0) / n_faces)
        ours_ms.append(1000 * (t2 - t1) / n_faces)
        print(
            f"repeat {rep + 1}: dlib {naive_ms[-1]:.1f} ms/face, "
            f"onnx {ours_ms[-1]:.1f} ms/face, load {os.getloadavg()[0]:.2f}"
        )
    naive, ours = statistics.median(naive_ms), statistics.median(ours_ms)
    print(
        f"median of {args.repeats} repeats, {n_faces} faces: dlib {naive:.1f} ms/face, "
        f"onnx {ours:.1f} ms/face, {naive / ours:.1f}x"
    )
    print(f"largest |difference| of a component: {max_abs:.2e}")
    print(f"largest Euclidean distance between the two descriptors of a face: {max_l2:.2e}")
    print(f"load after {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
