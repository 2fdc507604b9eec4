"""The bad-input matrix: every derived test file plus inputs made here, with expected outcomes.

``strict`` is the outcome under Rekognition's limits (the client), ``relaxed`` under the
app's limits (``facedesk index`` and the GUI worker). An outcome is ``"ok"`` (a result),
or the name of the error with a fragment its message must contain, so a message that
says nothing useful fails the test.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

# (input, path, outcome) rows, printed at the end of the run by conftest.py.
OUTCOMES: list[tuple[str, str, str]] = []


@dataclass(frozen=True)
class Expect:
    code: str | None  # None: a result; else the error code
    message: str = ""  # a fragment the error message must contain (case-insensitive)


OK = Expect(None)


@dataclass(frozen=True)
class BadInput:
    name: str  # the file name in the batch folder
    data: bytes | None  # None for inputs that are not bytes (a folder, a vanished file, ...)
    strict: Expect | None  # None: not applicable to the client (it takes bytes)
    relaxed: Expect
    explicit: bool = False  # passed as an explicit path (a folder scan would not list it)


def _save(im: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kwargs)
    return buf.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb_header(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid PNG whose IHDR claims width x height, with a tiny body."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + _chunk(b"IEND", b"")
    )


def png_with_bad_idat_crc(png: bytes) -> bytes:
    """Flip one byte inside the first IDAT's data: Pillow opens it, the CRC no longer fits."""
    at = png.index(b"IDAT") + 4 + 100
    bad = bytearray(png)
    bad[at] ^= 0xFF
    return bytes(bad)


def png_with_bad_ihdr_crc(png: bytes) -> bytes:
    bad = bytearray(png)
    bad[29] ^= 0xFF  # the IHDR CRC: signature 8 + length 4 + type 4 + body 13
    return bytes(bad)


def jpeg_with_huge_exif(im: Image.Image) -> bytes:
    """A JPEG whose APP1 EXIF block is ~60 KB (a UserComment near the 64 KB segment limit)."""
    exif = Image.Exif()
    exif[0x0112] = 1
    exif[0x9286] = b"ASCII\0\0\0" + b"x" * 60_000
    return _save(im, "JPEG", exif=exif.tobytes())


def build(testdata: Path, manifest: dict[str, dict[str, object]]) -> list[BadInput]:
    derived = testdata / "derived"
    real = testdata / "real" / "face_recognition"
    inputs: list[BadInput] = []
    for path in sorted(derived.iterdir()):
        entry = manifest[f"derived/{path.name}"]
        tags = set(entry["tags"])  # type: ignore[call-overload]
        if entry["faces"] is None:
            message = "empty" if "empty_file" in tags else ""
            expect = Expect("InvalidImageFormatException", message)
            inputs.append(BadInput(path.name, path.read_bytes(), expect, expect))
        elif "webp" in tags:
            strict = Expect("InvalidImageFormatException", "WEBP is not supported")
            inputs.append(BadInput(path.name, path.read_bytes(), strict, OK))
        else:
            inputs.append(BadInput(path.name, path.read_bytes(), OK, OK))

    small_bytes = (real / "obama_small.jpg").read_bytes()
    small = Image.open(io.BytesIO(small_bytes))
    small.load()
    png = _save(small, "PNG")
    too_small = Expect("InvalidParameterException", "minimum is 80x80")
    bad_format = Expect("InvalidImageFormatException", "is not supported here")
    frames = [small, small.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    garbage_exif = _save(small, "JPEG", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + b"\0" * 50)
    inputs += [
        BadInput(
            "gen_zero_bytes.jpg",
            b"",
            Expect("InvalidImageFormatException", "0 bytes"),
            Expect("InvalidImageFormatException", "0 bytes"),
        ),
        BadInput(
            "gen_1x1.png", _save(Image.new("RGB", (1, 1), (200, 150, 120)), "PNG"), too_small, OK
        ),
        BadInput("gen_79x79.jpg", _save(small.resize((79, 79)), "JPEG"), too_small, OK),
        BadInput(
            "gen_50000x50000_header.png",
            png_bomb_header(),
            Expect("ImageTooLargeException", "pixels"),
            Expect("ImageTooLargeException", "pixels"),
        ),
        BadInput(
            "gen_truncated.png",
            png[: len(png) // 2],
            Expect("InvalidImageFormatException", "truncated"),
            Expect("InvalidImageFormatException", "truncated"),
        ),
        BadInput(
            "gen_bad_crc_idat.png",
            png_with_bad_idat_crc(png),
            Expect("InvalidImageFormatException", "CRC"),
            Expect("InvalidImageFormatException", "CRC"),
        ),
        BadInput(
            "gen_bad_crc_ihdr.png",
            png_with_bad_ihdr_crc(png),
            Expect("InvalidImageFormatException", "not a recognised image"),
            Expect("InvalidImageFormatException", "not a recognised image"),
        ),
        BadInput("gen_still.gif", _save(small, "GIF"), Expect(bad_format.code, "GIF"), OK),
        BadInput(
            "gen_animated.webp",
            _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100),
            Expect(bad_format.code, "WEBP"),
            OK,
        ),
        BadInput(
            "gen_animated.gif",
            _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100),
            Expect(bad_format.code, "GIF"),
            OK,
        ),
        BadInput("gen_photo.tiff", _save(small, "TIFF"), Expect(bad_format.code, "TIFF"), OK),
        BadInput("gen_photo.bmp", _save(small, "BMP"), Expect(bad_format.code, "BMP"), OK),
        # A folder scan lists only image suffixes, so the .heic file is passed by name.
        BadInput("gen_jpeg_named.heic", small_bytes, OK, OK, explicit=True),
        BadInput("gen_huge_exif.jpg", jpeg_with_huge_exif(small), OK, OK),
        BadInput("gen_garbage_exif.jpg", garbage_exif, OK, OK),
        BadInput("gen_exif_orientation_9.jpg", _exif_orientation(small, 9), OK, OK),
        BadInput(
            "gen_text.png",
            b"this is not a picture\n" * 10,
            Expect("InvalidImageFormatException", "not a recognised image"),
            Expect("InvalidImageFormatException", "not a recognised image"),
        ),
        # A folder named like a photo is scanned as a folder: the photo inside is indexed.
        BadInput("gen_folder.jpg", None, None, OK),
        # Changed between the folder scan and their turn (see VANISHING).
        BadInput(
            "zz_deleted_while_queued.jpg",
            small_bytes,
            None,
            Expect("FileNotFoundError", "No such file"),
        ),
        BadInput(
            "zz_replaced_by_folder_while_queued.jpg",
            small_bytes,
            None,
            Expect("IsADirectoryError", "is a folder"),
        ),
    ]
    return inputs


FOLDER_PHOTO = "inside_folder.jpg"


def vanish(folder: Path) -> None:
    """What happens to queued files once the batch has started (called after its first result)."""
    deleted = folder / "zz_deleted_while_queued.jpg"
    if deleted.exists():
        deleted.unlink()
    replaced = folder / "zz_replaced_by_folder_while_queued.jpg"
    if replaced.is_file():
        replaced.unlink()
        replaced.mkdir()


def _exif_orientation(im: Image.Image, value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return _save(im, "JPEG", exif=exif.tobytes())


def outcome_text(code: str | None, detail: str) -> str:
    return f"result: {detail}" if code is None else f"{code}: {detail}"
