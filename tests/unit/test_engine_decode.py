"""decode_image on every dev photo and on edge cases built from them."""

from __future__ import annotations

import contextlib
import io
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFile

from facedesk.core.errors import (
    ClientError,
    ImageTooLargeException,
    InvalidImageFormatException,
    InvalidParameterException,
)
from facedesk.engine import RELAXED_LIMITS, STRICT_LIMITS, ImageLimits, decode_image

MUST_FAIL = [
    "derived/obama2_truncated.jpg",
    "derived/corrupt_body.jpg",
    "derived/corrupt_scan.jpg",
    "derived/not_an_image.jpg",
    "derived/empty.jpg",
]


def _read(testdata: Path, rel: str) -> bytes:
    return (testdata / rel).read_bytes()


def test_import_engine_loads_no_heavy_module() -> None:
    code = (
        "import sys, facedesk.engine as e; "
        "assert e.MODEL_VERSION; "
        "bad = [m for m in ('dlib', 'cv2') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("rel", MUST_FAIL)
@pytest.mark.parametrize("limits", [STRICT_LIMITS, RELAXED_LIMITS], ids=["strict", "relaxed"])
def test_broken_files_raise_invalid_image_format(
    testdata: Path, rel: str, limits: ImageLimits
) -> None:
    with pytest.raises(InvalidImageFormatException) as info:
        decode_image(_read(testdata, rel), limits)
    assert info.value.message != InvalidImageFormatException.default_message


@pytest.mark.parametrize("rel", MUST_FAIL[:3])
def test_truncation_found_even_when_pillow_is_told_to_accept_it(
    testdata: Path, rel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # import face_recognition does exactly this for the whole process
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(InvalidImageFormatException):
        decode_image(_read(testdata, rel), RELAXED_LIMITS)


def test_every_decodable_file_matches_the_manifest(
    testdata: Path, manifest: dict[str, dict[str, Any]]
) -> None:
    checked = 0
    for rel, entry in manifest.items():
        if entry["faces"] is None:
            continue
        data = _read(testdata, rel)
        img = decode_image(data, RELAXED_LIMITS)
        assert img.pixels.dtype == np.uint8 and img.pixels.ndim == 3, rel
        assert img.pixels.shape[2] == 3, rel
        assert img.scale == 1.0, rel
        assert (img.pixels.shape[1], img.pixels.shape[0]) == (img.width, img.height), rel
        assert img.byte_size == entry["bytes"], rel
        assert img.sha256 == entry["sha256"], rel
        assert img.mode == entry["mode"], rel
        if "exif_orientation_6" in entry["tags"]:
            assert (img.width, img.height) == (entry["height"], entry["width"]), rel
        else:
            assert (img.width, img.height) == (entry["width"], entry["height"]), rel
        if entry["format"] == "WEBP":
            with pytest.raises(InvalidImageFormatException, match="WEBP"):
                decode_image(data, STRICT_LIMITS)
        elif entry["width"] * entry["height"] <= 20_000_000:
            assert decode_image(data, STRICT_LIMITS).width == img.width, rel
        checked += 1
    assert checked >= 35


def test_exif_orientation_makes_biden_upright(testdata: Path) -> None:
    upright = decode_image(_read(testdata, "real/face_recognition/biden.jpg"))
    rotated = decode_image(_read(testdata, "derived/biden_exif_orientation6.jpg"))
    assert (rotated.width, rotated.height) == (970, 2204)
    diff = np.abs(upright.pixels.astype(int) - rotated.pixels.astype(int)).mean()
    assert diff < 3.0  # same picture, re-encoded once


def test_exif_orientation3_matches_original(testdata: Path) -> None:
    upright = decode_image(_read(testdata, "real/face_recognition/obama.jpg"))
    turned = decode_image(_read(testdata, "derived/obama_exif_orientation3.jpg"))
    assert np.abs(upright.pixels.astype(int) - turned.pixels.astype(int)).mean() < 3.0


def test_sixteen_bit_is_scaled_not_clipped(testdata: Path) -> None:
    wide = decode_image(_read(testdata, "derived/obama_16bit_gray.png"))
    gray = np.asarray(
        Image.open(testdata / "real/face_recognition/obama.jpg").convert("L"), dtype=np.int16
    )
    assert int(np.abs(wide.pixels[:, :, 0].astype(np.int16) - gray).max()) <= 1
    assert int(wide.pixels.max()) > 200


def test_modes_palette_cmyk_gray_alpha_give_the_same_picture(testdata: Path) -> None:
    ref = decode_image(_read(testdata, "real/face_recognition/two_people.jpg")).pixels.astype(int)
    for rel, tolerance in [
        ("derived/two_people_palette.png", 12.0),
        ("derived/two_people_progressive.jpg", 4.0),
        ("derived/two_people.webp", 6.0),
    ]:
        img = decode_image(_read(testdata, rel), RELAXED_LIMITS)
        assert np.abs(img.pixels.astype(int) - ref).mean() < tolerance, rel
    cmyk = decode_image(_read(testdata, "derived/obama_cmyk.jpg")).pixels.astype(int)
    obama = decode_image(_read(testdata, "real/face_recognition/obama.jpg")).pixels.astype(int)
    assert np.abs(cmyk - obama).mean() < 6.0


@pytest.mark.parametrize("mode", ["I", "F", "LA", "1", "P", "RGBA", "CMYK", "I;16B"])
def test_pillow_modes_convert_to_rgb(mode: str) -> None:
    base = Image.new("L", (100, 90), 0)
    base.paste(200, (10, 10, 60, 60))
    if mode == "I;16B":
        arr = np.asarray(base, dtype=np.uint16) * 257
        im = Image.frombytes("I;16B", base.size, arr.astype(">u2").tobytes())
        fmt = "PNG"
    else:
        im = base.convert(mode)
        fmt = "TIFF"
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    out = decode_image(buf.getvalue(), RELAXED_LIMITS)
    assert out.pixels.shape == (90, 100, 3)
    assert out.pixels[0, 0].tolist() in ([0, 0, 0], [255, 255, 255]) or mode == "CMYK"
    assert int(out.pixels[30, 30].max()) >= 190


def test_draft_mode_downscales_and_keeps_full_size(testdata: Path) -> None:
    data = _read(testdata, "real/face_recognition/obama_and_biden.jpg")
    img = decode_image(data, max_side=600)
    assert (img.width, img.height) == (2000, 1428)
    assert img.scale < 1.0
    assert img.pixels.shape[1] == round(2000 * img.scale)
    assert max(img.pixels.shape[:2]) >= 600


def test_strict_limits(testdata: Path) -> None:
    jpeg = _read(testdata, "real/face_recognition/obama.jpg")
    with pytest.raises(ImageTooLargeException):
        decode_image(jpeg + b"\0" * 5_242_880, STRICT_LIMITS)
    assert decode_image(jpeg + b"\0" * 100, RELAXED_LIMITS).width == 910
    small = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).resize((60, 75)).save(small, format="PNG")
    with pytest.raises(InvalidParameterException, match="image is 60x75 px; minimum is 80x80"):
        decode_image(small.getvalue(), STRICT_LIMITS)
    assert decode_image(small.getvalue(), RELAXED_LIMITS).width == 60
    tight = ImageLimits(max_bytes=None, formats=None, min_side=1, max_pixels=1_000_000)
    with pytest.raises(ImageTooLargeException):
        decode_image(jpeg, tight)


def test_strict_rejects_formats_other_than_jpeg_png_by_content(testdata: Path) -> None:
    buf = io.BytesIO()
    Image.open(testdata / "real/skimage/astronaut.png").save(buf, format="BMP")
    with pytest.raises(InvalidImageFormatException, match="BMP"):
        decode_image(buf.getvalue(), STRICT_LIMITS)
    assert decode_image(buf.getvalue(), RELAXED_LIMITS).width == 512
    # a PNG named .jpg is judged by content
    assert decode_image(_read(testdata, "derived/astronaut_png_named.jpg")).format == "PNG"


def test_gif_first_frame(testdata: Path) -> None:
    frames = [Image.new("RGB", (90, 90), c) for c in ((250, 250, 250), (0, 0, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:])
    out = decode_image(buf.getvalue(), RELAXED_LIMITS)
    assert int(out.pixels.mean()) > 200


def test_mutated_bytes_raise_only_client_errors(testdata: Path) -> None:
    rng = random.Random(7)
    sources = [
        _read(testdata, "real/face_recognition/obama_small.jpg"),
        _read(testdata, "derived/obama_small_la.png"),
    ]
    for _ in range(60):
        data = bytearray(rng.choice(sources))
        if rng.random() < 0.5:
            data = data[: rng.randrange(0, len(data))]
        else:
            for _ in range(rng.randrange(1, 20)):
                data[rng.randrange(0, len(data))] = rng.randrange(256)
        with contextlib.suppress(ClientError):  # any other exception fails the test
            decode_image(bytes(data), RELAXED_LIMITS)


def test_truncated_png_is_refused(testdata: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = _read(testdata, "real/skimage/astronaut.png")
    with pytest.raises(InvalidImageFormatException, match="PNG"):
        decode_image(data[: len(data) // 2])


def _pillow_pixels(data: bytes, draft: tuple[int, int] | None) -> np.ndarray[Any, Any]:
    """The picture as Pillow decodes it (draft size, EXIF orientation, RGB)."""
    from PIL import ImageOps

    im = Image.open(io.BytesIO(data))
    if draft is not None:
        im.draft(None, draft)
    im.load()
    return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


@pytest.mark.parametrize("orientation", [1, 3, 6, 7])
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_one_strict_jpeg_decode_gives_pillows_pixels(
    testdata: Path, mode: str, orientation: int
) -> None:
    """JPEGs are decoded once, by libjpeg-turbo in strict mode (integrity check and pixels
    together): the pixels must be Pillow's, bit for bit, at full size and at each draft
    scale, grey or colour, under every EXIF orientation."""
    source = Image.open(testdata / "real/face_recognition/obama_and_biden.jpg").convert(mode)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    source.save(out, format="JPEG", quality=88, exif=exif.tobytes())
    data = out.getvalue()
    full = decode_image(data, RELAXED_LIMITS)
    assert np.array_equal(full.pixels, _pillow_pixels(data, None))
    assert full.mode == mode
    for max_side in (1500, 1000, 500, 250, 90):  # draft factors 1, 2, 2 (not 3/8), 4, 8
        scaled = decode_image(data, RELAXED_LIMITS, max_side=max_side)
        side = max(scaled.pixels.shape[:2])
        assert side >= max_side
        ratio = max_side / 2000
        draft = (int(2000 * ratio + 0.999), int(1428 * ratio + 0.999))
        assert np.array_equal(scaled.pixels, _pillow_pixels(data, draft)), max_side


def test_strict_decode_refuses_what_the_check_refused(testdata: Path) -> None:
    """A JPEG cut short is refused whether Pillow would have decoded it at full size or in
    draft mode, and a small corrupt one is refused as corrupt before its size is checked."""
    data = _read(testdata, "real/face_recognition/obama_and_biden.jpg")
    for max_side in (None, 600):
        with pytest.raises(InvalidImageFormatException, match="corrupt or truncated"):
            decode_image(data[: len(data) * 2 // 3], RELAXED_LIMITS, max_side=max_side)
    small = io.BytesIO()
    Image.new("RGB", (40, 40), (120, 80, 60)).save(small, format="JPEG")
    with pytest.raises(InvalidImageFormatException):
        decode_image(small.getvalue()[:-30], STRICT_LIMITS)
