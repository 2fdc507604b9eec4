"""engine.imaging against OpenCV (where cv2 is installed: the `test` extra) and on its own."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from facedesk.engine import imaging

TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "real"
PHOTOS = (
    "dlib/bald_guys.jpg",
    "dlib/2008_002079.jpg",
    "face_recognition/obama_and_biden.jpg",
    "dicm/dicm_10.jpg",
)


@cache
def photo(relative: str) -> npt.NDArray[np.uint8]:
    return np.asarray(Image.open(TESTDATA / relative).convert("RGB"))


def _cv2() -> Any:
    return pytest.importorskip("cv2")


def _differ(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> tuple[float, float]:
    """Largest difference and the fraction of values that differ at all."""
    d = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return float(d.max()), float((d > 0).mean())


# --- against OpenCV --------------------------------------------------------------------


def test_grey_is_bit_exact_on_every_colour() -> None:
    cv2 = _cv2()
    codes = np.arange(1 << 24, dtype=np.uint32)
    cube = np.stack([(codes >> 16) & 255, (codes >> 8) & 255, codes & 255], axis=-1)
    cube = np.ascontiguousarray(cube.astype(np.uint8).reshape(4096, 4096, 3))
    assert np.array_equal(imaging.rgb_to_grey(cube), cv2.cvtColor(cube, cv2.COLOR_RGB2GRAY))


@pytest.mark.parametrize("relative", PHOTOS)
@pytest.mark.parametrize("ratio", [0.5, 0.37, 0.83, 1 / 3, 0.61])
def test_area_resize_matches_opencv(relative: str, ratio: float) -> None:
    cv2 = _cv2()
    rgb = photo(relative)
    h, w = rgb.shape[:2]
    size = (max(1, round(w * ratio)), max(1, round(h * ratio)))
    for image in (rgb, imaging.rgb_to_grey(rgb)):
        ours = imaging.resize_area(image, *size)
        theirs = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        assert ours.shape == theirs.shape and ours.dtype == np.uint8
        largest, share = _differ(ours, theirs)
        # OpenCV sums in float32: an average within its rounding noise of x.5 may round
        # the other way.
        assert largest <= 1 and share < 0.005


@pytest.mark.parametrize("relative", PHOTOS)
@pytest.mark.parametrize("ratio", [1.3, 2.0, 1.7, 0.8])
def test_linear_resize_matches_opencv(relative: str, ratio: float) -> None:
    cv2 = _cv2()
    grey = imaging.rgb_to_grey(photo(relative))[:300, :400]
    h, w = grey.shape
    size = (round(w * ratio), round(h * ratio))
    largest, share = _differ(
        imaging.resize_linear(grey, *size), cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR)
    )
    assert largest <= 1 and share < 0.005


@pytest.mark.parametrize("crop", [(150, 120), (97, 130), (300, 260), (60, 45), (96, 200)])
def test_sharpness_resize_and_laplacian_match_opencv(crop: tuple[int, int]) -> None:
    cv2 = _cv2()
    rgb = photo("dlib/bald_guys.jpg")
    luma = (rgb[200 : 200 + crop[0], 300 : 300 + crop[1]] @ [0.299, 0.587, 0.114]).astype(
        np.float32
    )
    side = 96
    interp = cv2.INTER_AREA if min(luma.shape) >= side else cv2.INTER_LINEAR
    theirs = cv2.resize(luma, (side, side), interpolation=interp)
    ours = imaging.resize_for_measure(luma, side)
    assert np.abs(ours - theirs).max() < 2e-3
    lap_theirs = cv2.Laplacian(theirs.astype(np.float64), cv2.CV_64F, ksize=1)
    lap_ours = imaging.laplacian(theirs.astype(np.float64))
    assert np.abs(lap_ours - lap_theirs).max() < 1e-9
    # The value the engine keeps: Laplacian variance of its own resize.
    v_theirs = float(lap_theirs.var())
    v_ours = float(imaging.laplacian(ours.astype(np.float64)).var())
    assert v_ours == pytest.approx(v_theirs, rel=1e-4)


def _crop_matrix(cx: float, cy: float, side: float, size: int, angle: float) -> npt.NDArray[Any]:
    scale = size / side
    t = math.radians(angle)
    c, s = math.cos(t) * scale, math.sin(t) * scale
    return np.array(
        [[c, s, size / 2 - c * cx - s * cy], [-s, c, size / 2 + s * cx - c * cy]], dtype=np.float64
    )


@pytest.mark.parametrize("relative", PHOTOS)
@pytest.mark.parametrize("angle", [0.0, 12.3, -30.0])
def test_warp_matches_opencv(relative: str, angle: float) -> None:
    cv2 = _cv2()
    rgb = photo(relative)
    h, w = rgb.shape[:2]
    # A crop reaching over the border (replicated pixels) and one inside.
    for cx, cy, side, size in ((w * 0.4 + 0.3, h * 0.45, 173.4, 192), (5.0, 7.5, 90.0, 64)):
        m = _crop_matrix(cx, cy, side, size, angle)
        ours = imaging.warp_affine_linear(rgb, imaging.invert_affine(m), size, size)
        theirs = cv2.warpAffine(
            rgb, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        largest, share = _differ(ours, theirs)
        # Measured: up to 0.3 % of the pixels of a face crop and 2.3 % of a crop that is
        # mostly replicated border differ, each by 1 grey level.
        assert largest <= 1 and share < 0.03


def test_invert_affine_matches_opencv() -> None:
    cv2 = _cv2()
    m = _crop_matrix(120.5, 80.25, 77.0, 64, 17.0)
    assert np.allclose(imaging.invert_affine(m), cv2.invertAffineTransform(m), atol=1e-12)


# --- on their own ----------------------------------------------------------------------


def test_grey_of_pure_colours() -> None:
    pixels = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]], np.uint8)
    # round(0.299 * 255) = 76, 0.587 -> 150, 0.114 -> 29, white stays white.
    assert imaging.rgb_to_grey(pixels).tolist() == [[76, 150, 29, 255]]


def test_area_resize_averages_blocks_and_keeps_the_mean() -> None:
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (60, 90, 3), dtype=np.uint8)
    halved = imaging.resize_area(image, 45, 30)
    blocks = image.reshape(30, 2, 45, 2, 3).astype(np.float64).mean(axis=(1, 3))
    assert np.array_equal(halved, np.floor(blocks + 0.5).astype(np.uint8))
    odd = imaging.resize_area(image.astype(np.float32), 37, 23)
    assert float(odd.mean()) == pytest.approx(float(image.mean()), abs=1e-3)
    flat = np.full((50, 70), 173, np.uint8)
    assert np.all(imaging.resize_area(flat, 33, 21) == 173)


@pytest.mark.parametrize(
    ("relative", "size"),
    [
        ("face_recognition/obama_and_biden.jpg", (960, 685)),  # DetectFaces' detector picture
        ("dlib/bald_guys.jpg", (993, 772)),  # exact 2x: the fast path
        ("dlib/2008_002079.jpg", (333, 211)),
        ("dicm/dicm_10.jpg", (400, 9999)),  # height kept: columns only
    ],
)
def test_area_resize_on_threads_is_the_same_to_the_bit(
    relative: str, size: tuple[int, int]
) -> None:
    rgb = photo(relative)
    width, height = size[0], min(size[1], rgb.shape[0])
    for image in (rgb, imaging.rgb_to_grey(rgb), rgb.astype(np.float32)):
        one = imaging.resize_area(image, width, height)
        for threads in (2, 3, 7):
            many = imaging.resize_area(image, width, height, threads=threads)
            assert many.dtype == one.dtype and many.shape == one.shape
            assert np.array_equal(many, one), (relative, threads)


def _dense_area(image: npt.NDArray[np.uint8], width: int, height: int) -> npt.NDArray[np.uint8]:
    """resize_area as it was before zero-weight taps were skipped: every tap of every
    output, rows then columns, float32, rounded to nearest."""
    out = image.astype(np.float32)
    for axis, n in ((0, height), (1, width)):
        index, weights = imaging._area_taps(out.shape[axis], n)
        moved = np.moveaxis(out, axis, 0)
        acc = np.zeros((n, *moved.shape[1:]), dtype=np.float32)
        for k in range(index.shape[1]):
            acc += moved[index[:, k]] * weights[:, k].reshape(-1, *([1] * (moved.ndim - 1)))
        out = np.moveaxis(acc, 0, axis)
    return np.rint(out).astype(np.uint8)


@pytest.mark.parametrize("size", [(960, 685), (1000, 690), (777, 555), (1301, 929)])
def test_area_resize_skipping_zero_weights_changes_no_pixel(size: tuple[int, int]) -> None:
    rgb = photo("face_recognition/obama_and_biden.jpg")  # 2000 x 1428
    assert np.array_equal(imaging.resize_area(rgb, *size), _dense_area(rgb, *size))


def test_area_resize_growing_a_side_filters_linearly_and_bad_sizes_fail() -> None:
    image = np.arange(100, dtype=np.uint8).reshape(10, 10)
    grown = imaging.resize_area(image, 12, 8)
    assert grown.shape == (8, 12)
    assert np.array_equal(grown, imaging.resize_linear(image, 12, 8))
    with pytest.raises(ValueError, match="bad size"):
        imaging.resize_area(image, 0, 5)


def test_identity_warp_returns_the_image() -> None:
    rgb = photo("dlib/2008_002079.jpg")[:64, :80]
    same = imaging.warp_affine_linear(rgb, np.array([[1.0, 0, 0], [0, 1.0, 0]]), 80, 64)
    assert np.array_equal(same, rgb)


def test_laplacian_of_a_plane_is_zero_inside() -> None:
    y, x = np.mgrid[0:20, 0:30].astype(np.float64)
    lap = imaging.laplacian(3.0 * x - 2.0 * y + 7.0)
    assert np.allclose(lap[1:-1, 1:-1], 0.0)
    with pytest.raises(ValueError):
        imaging.laplacian(np.zeros((1, 5)))


@pytest.mark.slow
def test_a_whole_analysis_never_imports_opencv() -> None:
    """Decode, detect (both detectors), landmarks, pose, quality, attributes, descriptors."""
    import subprocess
    import sys

    from facedesk.engine import attr_models

    if not attr_models.emotions_available():
        pytest.skip("no LiteRT here (Intel macOS): the face mesh runs on OpenCV")
    code = (
        "import sys\n"
        "from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, decode_image\n"
        "from facedesk.engine.attributes import SUPPORTED\n"
        f"data = open({str(TESTDATA / 'dlib/2008_002079.jpg')!r}, 'rb').read()\n"
        "image = decode_image(data, RELAXED_LIMITS)\n"
        "faces = FaceAnalyzer().analyze(image, attributes=frozenset(SUPPORTED))\n"
        "assert faces, 'no face found'\n"
        "print(len(faces), 'cv2' in sys.modules)\n"
        "sys.exit(1 if 'cv2' in sys.modules else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
