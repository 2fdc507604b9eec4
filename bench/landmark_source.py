"""Could the shipped 2.4 MB face mesh replace dlib's 99.7 MB 68-point predictor? (issue 21)

    PYTHONPATH=. python bench/landmark_source.py

On every dlib HOG face (upsampled once) of the real testdata photos: the six points the
pose uses (nose tip, chin, outer eye corners, mouth corners) from dlib's 68-point predictor
and from MediaPipe's face mesh (run as the presence check runs it: box x1.5, levelled by
the eye line), the mesh's 192 x 192 output mapped back to the photo. Prints each point's
distance in pixels and as a fraction of the inter-ocular distance (median, 90th percentile),
and the pose (engine.pose.head_pose) difference in degrees. The mesh indices are
MediaPipe's canonical ones: 1 nose tip, 152 chin, 33/263 outer eye corners, 61/291 mouth
corners. Measurement only: nothing here is used by the engine.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
from PIL import Image

from facedesk.core.types import PixelBox
from facedesk.engine import attr_models, imaging
from facedesk.engine.pose import POSE_POINTS, head_pose

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"
MESH_POINTS = (1, 152, 33, 263, 61, 291)  # same order as POSE_POINTS (30, 8, 36, 45, 48, 54)


def _mesh_points(rgb: np.ndarray, box: PixelBox, roll: float) -> np.ndarray:
    side = max(box.width, box.height) * attr_models.MESH_ROI_SCALE
    size = attr_models.MESH_SIZE
    cx, cy = (box.left + box.right) / 2.0, (box.top + box.bottom) / 2.0
    scale = size / side
    t = math.radians(roll)
    c, s = math.cos(t) * scale, math.sin(t) * scale
    to_crop = np.array([[c, s, size / 2 - c * cx - s * cy], [-s, c, size / 2 + s * cx - c * cy]])
    crop = imaging.warp_affine_linear(rgb, imaging.invert_affine(to_crop), size, size)
    net = attr_models._mesh_net()
    net.set_tensor(
        net.get_input_details()[0]["index"], (crop.astype(np.float32) / 255.0)[None].copy()
    )
    net.invoke()
    outs = [net.get_tensor(o["index"]) for o in net.get_output_details()]
    mesh = next(o for o in outs if o.size == 1404).reshape(468, 3)[:, :2]
    back = imaging.invert_affine(to_crop)
    pts = mesh[list(MESH_POINTS)]
    return np.asarray(pts @ back[:, :2].T + back[:, 2], dtype=np.float64)


def main() -> None:
    import dlib
    import face_recognition_models

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    manifest = json.loads((TESTDATA / "manifest.json").read_text())["files"]
    dist_px, dist_rel, pose_diff = [], [], []
    for entry in manifest:
        if not entry["path"].startswith("real/") or entry.get("faces") is None:
            continue
        rgb = np.asarray(Image.open(TESTDATA / entry["path"]).convert("RGB"))
        if rgb.shape[0] * rgb.shape[1] > 4_000_000:
            continue
        h, w = rgb.shape[:2]
        for rect in detector(rgb, 1):
            parts = predictor(rgb, rect).parts()
            shape = np.array([(p.x, p.y) for p in parts], dtype=np.float64)
            left, right = shape[36:42].mean(axis=0), shape[42:48].mean(axis=0)
            roll = math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))
            box = PixelBox(rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)
            mesh = _mesh_points(rgb, box, roll)
            ours = shape[list(POSE_POINTS)]
            d = np.linalg.norm(mesh - ours, axis=1)
            dist_px.append(d)
            dist_rel.append(d / float(np.linalg.norm(shape[45] - shape[36])))
            swapped = shape.copy()
            swapped[list(POSE_POINTS)] = mesh
            a, b = head_pose(shape, w, h), head_pose(swapped, w, h)
            if a is not None and b is not None:
                pose_diff.append((abs(a.roll - b.roll), abs(a.yaw - b.yaw), abs(a.pitch - b.pitch)))
    px, rel, pose = np.array(dist_px), np.array(dist_rel), np.array(pose_diff)
    names = ("nose tip", "chin", "eye outer L", "eye outer R", "mouth L", "mouth R")
    print(f"{len(px)} faces; load {os.getloadavg()}")
    for i, name in enumerate(names):
        d, r = px[:, i], rel[:, i]
        print(
            f"  {name:12s} px median {np.median(d):5.1f} p90 {np.percentile(d, 90):5.1f}"
            f"  /inter-ocular median {np.median(r):.3f} p90 {np.percentile(r, 90):.3f}"
        )
    for i, name in enumerate(("roll", "yaw", "pitch")):
        print(
            f"  {name:5s} difference deg median {np.median(pose[:, i]):5.1f} "
            f"p90 {np.percentile(pose[:, i], 90):5.1f} max {pose[:, i].max():5.1f}"
        )


if __name__ == "__main__":
    main()
