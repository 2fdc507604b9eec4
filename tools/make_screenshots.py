"""Remake the README screenshots with the app's own screenshot mode.

Indexes a few photos of ../shared/testdata into a fresh database with ``facedesk index``
(the same pipeline as the app), then renders the photos view, the faces view and the photo
viewer on real/dlib/2008_002079.jpg (faces left out for size and pose) into docs/screenshots/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT.parent / "shared" / "testdata"
PHOTOS = [
    "real/dlib/2008_002079.jpg",
    "real/dlib/2007_007763.jpg",
    "real/dlib/2009_004587.jpg",
    "real/dlib/bald_guys.jpg",
    "real/face_recognition/obama.jpg",
    "real/face_recognition/biden.jpg",
    "real/face_recognition/two_people.jpg",
    "real/face_recognition/obama_and_biden.jpg",
]
SHOTS = {
    "photos.png": ["--view", "photos"],
    "faces.png": ["--view", "faces"],
    "viewer.png": ["--image", "2008_002079.jpg"],
}


def facedesk(*args: str) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, "-m", "facedesk", *args], check=True, env=env)


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "screens.db")
        facedesk(
            "--database",
            db,
            "index",
            "--collection-id",
            "family",
            "--create-collection",
            "--no-progress",
            *(str(TESTDATA / p) for p in PHOTOS),
        )
        for name, extra in SHOTS.items():
            facedesk(
                "--database", db, "--screenshot", str(out / name), "--collection", "family", *extra
            )
            print("wrote", out / name)


if __name__ == "__main__":
    main()
