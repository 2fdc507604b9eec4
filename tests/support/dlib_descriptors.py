"""dlib's own descriptors of real faces, the reference the descriptor-graph tests compare with
(test_descriptor_net.py: the float32 graph; test_descriptor_half_weights.py: the shipped
float16 one)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from facedesk.engine import dlib_models
from facedesk.engine.descriptor_net import CHIP_PADDING, CHIP_SIZE

PHOTOS = ["real/dlib/bald_guys.jpg", "real/face_recognition/obama_and_biden.jpg"]


def dlib_chips_and_descriptors(testdata: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every HOG face of PHOTOS: its 150x150 chip and dlib's own descriptor of it."""
    import dlib

    detector = dlib.get_frontal_face_detector()
    sp5 = dlib.shape_predictor(str(dlib_models.model_path("sp5")))
    net = dlib.face_recognition_model_v1(str(dlib_models.model_path("resnet")))
    chips, want = [], []
    for rel in PHOTOS:
        rgb = np.asarray(Image.open(testdata / rel).convert("RGB"))
        for rect in detector(rgb, 1):
            shape = sp5(rgb, rect)
            chips.append(dlib.get_face_chip(rgb, shape, CHIP_SIZE, CHIP_PADDING))
            want.append(net.compute_face_descriptor(rgb, shape, 1))
    return np.stack(chips), np.asarray(want, dtype=np.float32)
