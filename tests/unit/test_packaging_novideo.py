"""packaging/novideo.py: OpenCV imports and computes with the FFmpeg/libavif stand-ins, and
a call into them stops loudly instead of doing something wrong."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))

import novideo  # noqa: E402

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not (shutil.which("gcc") and shutil.which("readelf")),
    reason="the stand-ins are made on Linux with gcc and readelf",
)


def _opencv_with_stand_ins(tmp_path: Path) -> Path:
    """A copy of the installed cv2 package whose video libraries are the stand-ins."""
    import cv2

    package = Path(cv2.__file__).parent
    libs = package.parent / "opencv_python_headless.libs"
    if not libs.is_dir():
        pytest.skip("this OpenCV wheel keeps no libraries beside cv2")
    site = tmp_path / "site"
    shutil.copytree(package, site / "cv2", ignore=shutil.ignore_patterns("__pycache__"))
    (site / libs.name).mkdir()
    (extension,) = (site / "cv2").glob("cv2*.so")
    toc = [(f"{libs.name}/{p.name}", str(p), "BINARY") for p in libs.iterdir()]
    toc.append((f"cv2/{extension.name}", str(extension), "EXTENSION"))
    for dest, src, _kind in novideo.replace_video_libraries(toc, tmp_path / "stubs"):
        if dest.startswith(libs.name):
            os.symlink(src, site / dest)
    return site


def _run(site: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_cv2_works_with_the_stand_ins_and_video_calls_abort(tmp_path: Path) -> None:
    site = _opencv_with_stand_ins(tmp_path)
    left = {p.name.split("-")[0] for p in (site / "opencv_python_headless.libs").iterdir()}
    assert not left & set(novideo.ONLY_THROUGH_STUBBED)
    # the calls facedesk.engine makes, with results checked against plain numpy
    done = _run(
        site,
        f"""
        import cv2, numpy as np
        assert cv2.__file__.startswith({str(site)!r}), cv2.__file__
        img = np.arange(64 * 48 * 3, dtype=np.uint8).reshape(48, 64, 3)
        small = cv2.resize(img, (32, 24), interpolation=cv2.INTER_AREA)
        want = img.reshape(24, 2, 32, 2, 3).astype(np.uint16).sum(axis=(1, 3))
        assert np.array_equal(small, ((want + 2) // 4).astype(np.uint8))
        gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        assert gray.shape == (48, 64)
        obj = np.array(
            [[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [0.5, 0.5, 0.3], [0.2, 0.8, 0.1]]
        )
        cam = np.array([[500.0, 0, 320], [0, 500, 240], [0, 0, 1]])
        rvec_true, tvec_true = np.array([0.1, -0.2, 0.05]), np.array([0.1, 0.2, 5.0])
        pts, _ = cv2.projectPoints(obj, rvec_true, tvec_true, cam, np.zeros(4))
        ok, rvec, tvec = cv2.solvePnP(obj, pts, cam, np.zeros(4), flags=cv2.SOLVEPNP_SQPNP)
        assert ok and np.allclose(rvec.ravel(), rvec_true, atol=1e-6), rvec
        print("ok")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"

    video = _run(site, "import cv2; cv2.VideoCapture('/nonexistent/clip.mp4', cv2.CAP_FFMPEG)")
    assert video.returncode != 0
    assert "is not in this bundle" in video.stderr
