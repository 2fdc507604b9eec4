"""Yaw on the testdata: the 68-point fit (1.0) against the face mesh (7.0), and the mesh's gain.

Run: ``PYTHONPATH=. python bench/pose_yaw.py [--all]``

Every real testdata photo is analysed with FaceModelVersion 7.0's detector. For each face
it prints the 68-point solvePnP yaw (``extras["yaw_68"]``), the face mesh's raw pair angle
(``extras["yaw_mesh_raw"]``) and the calibrated Yaw 7.0 reports, then fits
``pose.MESH_YAW_GAIN`` by least squares (through 0) on the faces whose pose the testdata
states (the manifest's notes and tags, by eye where marked):

- frontal portraits (tag ``frontal``): 0;
- insightface/right_face.png (tags ``profile``, ``extreme_pose``, "near-profile"): 80;
- skimage/camera.png (tag ``profile``; the cameraman, eye at the viewfinder): 80;
- hard/3ddfa_trump_hillary.jpg, the woman on the right ("turned about 30-45 degrees"): 37.5.

``--all`` also prints every face of the group photos (Solvay's 29 sitters face the camera).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from facedesk.core.types import DetectedFace  # noqa: E402
from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, decode_image  # noqa: E402
from facedesk.engine.pose import MESH_YAW_GAIN  # noqa: E402

TESTDATA = ROOT.parent / "shared" / "testdata"
PROFILE_DEG = 80.0
HILLARY_DEG = 37.5


def _known(path: str, tags: list[str], faces: list[DetectedFace]) -> list[tuple[int, float]]:
    """(face index, stated |yaw|) for the faces whose pose the testdata states."""
    if "frontal" in tags and len(faces) == 1:
        return [(0, 0.0)]
    if path.endswith(("right_face.png", "camera.png")) and len(faces) == 1:
        return [(0, PROFILE_DEG)]
    if path.endswith("3ddfa_trump_hillary.jpg") and len(faces) == 2:
        right = max(range(2), key=lambda i: faces[i].box.left)
        return [(right, HILLARY_DEG)]
    return []


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true", help="print every face")
    args = parser.parse_args()
    manifest = json.loads((TESTDATA / "manifest.json").read_text())["files"]
    analyzer = FaceAnalyzer("libfacedetection")
    pairs: list[tuple[float, float]] = []
    print(f"{'photo':34} {'face':>4} {'68-pt':>6} {'mesh raw':>8} {'7.0 Yaw':>7}  stated")
    for entry in manifest:
        path = entry["path"]
        if not path.startswith("real/"):
            continue
        try:
            image = decode_image((TESTDATA / path).read_bytes(), RELAXED_LIMITS)
        except Exception:  # undecodable test files hold no faces
            continue
        faces = [f for f in analyzer.analyze(image) if "yaw_mesh_raw" in f.extras]
        known = dict(_known(path, entry.get("tags", []), faces))
        for i, face in enumerate(faces):
            raw = face.extras["yaw_mesh_raw"]
            stated = known.get(i)
            if stated is not None:
                pairs.append((abs(raw), stated))
            if stated is not None or args.all:
                mark = "" if stated is None else f"{stated:g}"
                print(
                    f"{path[5:]:34} {i:>4} {face.extras['yaw_68']:>6.1f} {raw:>8.1f} "
                    f"{face.pose.yaw:>7.1f}  {mark}"
                )
    num = sum(m * y for m, y in pairs)
    den = sum(m * m for m, _ in pairs)
    gain = num / den if den else float("nan")
    print(f"\nleast-squares gain on {len(pairs)} stated faces: {gain:.3f}")
    print(f"in use: pose.MESH_YAW_GAIN = {MESH_YAW_GAIN}")
    for m, y in pairs:
        print(f"  raw {m:5.1f} -> {gain * m:5.1f} (stated {y:g})")


if __name__ == "__main__":
    main()
