"""Image bytes -> upright RGB uint8 pixels, or a Rekognition error.

Order of checks: byte size (ImageTooLarge), content sniffing among the formats we decode
(InvalidImageFormat), format allowed by the limits (InvalidImageFormat), pixel count
(ImageTooLarge, before any pixel is decoded), integrity (InvalidImageFormat), decode, EXIF
orientation, minimum side (InvalidParameter).

Integrity is checked by facedesk itself, so the result does not depend on
``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` (which ``import face_recognition`` sets to True for
the whole process, making Pillow accept cut-off files):

- JPEG: libjpeg-turbo (through ``simplejpeg`` with ``strict=True``) decodes the file,
  and any libjpeg *warning* is an error. For colour and grey JPEGs that decode gives the
  pixels too (``_strict_jpeg_pixels``: Pillow's own pixels, bit for bit, one decode
  instead of two); CMYK ones are checked at 1/8 scale (which still Huffman-decodes every
  block) and then decoded by Pillow. The errors caught: "Premature end of JPEG file"
  (truncated), "Corrupt JPEG data: N extraneous bytes" or "bad Huffman code" (garbage
  scan data behind a valid header). Pillow's own decoder
  silences these warnings, so a file with a valid header and a garbage scan decodes to
  noise without an error there.
- PNG: the chunk chain is walked to IEND and every chunk's CRC-32 is checked.
- WebP/GIF/TIFF/BMP (relaxed mode only): Pillow's own errors; a truncated BMP/TIFF is
  caught only while LOAD_TRUNCATED_IMAGES is False.

Mode conversion: RGB as is; RGBA/LA/PA drop alpha (the colour under it is kept, as the
dev-set crosscheck did); L, 1, P, CMYK, YCbCr, LAB, HSV via Pillow's ``convert``;
16-bit (I;16*) -> 8-bit by rounding value/257 (full range kept, no clipping); I (32-bit
integer, which is how Pillow opens some 16-bit files): as is when the values fit 8 bits,
/257 when they fit 16 bits, else scaled by the maximum; F (float):
x255 when the values lie in 0..1, else clipped to 0..255.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from facedesk.core.errors import (
    ClientError,
    ImageTooLargeException,
    InvalidImageFormatException,
    InvalidParameterException,
)
from facedesk.core.quality import min_face_px
from facedesk.core.types import DecodedImage
from facedesk.engine import imaging
from facedesk.engine.limits import (
    JPEG_FORMATS,
    RELAXED_FORMATS,
    STRICT_FORMATS,
    STRICT_LIMITS,
    ImageLimits,
)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def decode_image(
    data: bytes,
    limits: ImageLimits = STRICT_LIMITS,
    *,
    max_side: int | None = None,
    working_face_px: float | None = None,
    sha256: str | None = None,
) -> DecodedImage:
    """Decode image bytes; raise only facedesk ClientErrors.

    ``sha256``: the hex digest of ``data`` when the caller has hashed it already (a batch
    hashes every file to find those indexed before); otherwise it is computed here.

    ``max_side`` lets a JPEG decode at 1/2, 1/4 or 1/8 size (libjpeg's draft mode) when
    that still leaves the long side >= max_side; ``DecodedImage.scale`` then says by how
    much, while width/height stay the full EXIF-oriented size.

    ``working_face_px`` decodes at the *working resolution*: the smallest size at which
    Rekognition's minimum face (``min_face_px``) still spans that many pixels. A JPEG is
    decoded by libjpeg at the largest 1/2, 1/4, 1/8 step still at least that big, then
    resized (area filter) to it; other formats are decoded fully and resized. Pictures
    already below that size are kept as they are. Everything after decoding (detection,
    landmarks, descriptors, thumbnails) then works on these pixels, so a 12 Mpx photo
    costs about what its working size costs.
    """
    try:
        return _decode(bytes(data), limits, max_side, working_face_px, sha256)
    except ClientError:
        raise
    except MemoryError as exc:
        raise ImageTooLargeException("image needs more memory to decode than is available") from exc
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeException(f"image has too many pixels: {exc}") from exc
    except Exception as exc:  # Pillow raises many types (OSError, ValueError, SyntaxError...)
        raise InvalidImageFormatException(
            f"image data could not be decoded ({type(exc).__name__}: {exc})"
        ) from exc


def working_ratio(width: int, height: int, working_face_px: float) -> float:
    """Fraction of the full size at which the minimum face spans ``working_face_px``."""
    return min(1.0, working_face_px / min_face_px(width, height))


# ISO base media file brands (bytes 8-12 of the ``ftyp`` box) of the phone formats a photo
# folder holds most often; iPhones save HEIC by default.
_ISO_BRANDS = {
    b"heic": "HEIC",
    b"heix": "HEIC",
    b"hevc": "HEIC",
    b"heim": "HEIC",
    b"heis": "HEIC",
    b"mif1": "HEIF",
    b"msf1": "HEIF",
    b"avif": "AVIF",
    b"avis": "AVIF",
}


def _iso_media_kind(data: bytes) -> str | None:
    """ "HEIC", "HEIF" or "AVIF" for an ISO-BMFF still image, else None."""
    if data[4:8] != b"ftyp":
        return None
    return _ISO_BRANDS.get(data[8:12])


def _decode(
    data: bytes,
    limits: ImageLimits,
    max_side: int | None,
    working_face_px: float | None,
    sha256: str | None,
) -> DecodedImage:
    size = len(data)
    if size == 0:
        raise InvalidImageFormatException("image is empty (0 bytes)")
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise ImageTooLargeException(
            f"image is {size} bytes; the maximum is {limits.max_bytes} bytes"
        )
    allowed = limits.formats if limits.formats is not None else RELAXED_FORMATS
    # Sniff among every format we know so a WebP in strict mode gets a clear message,
    # but never let Pillow try exotic plugins (EPS would start Ghostscript).
    # MPO is not an opener of its own: the JPEG opener returns MPO images.
    candidates = sorted((allowed | STRICT_FORMATS | RELAXED_FORMATS) - {"MPO"})
    Image.init()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=candidates)
        except UnidentifiedImageError as exc:
            kind = _iso_media_kind(data)
            expected = "/".join(sorted(allowed - {"MPO"}))
            if kind is not None:
                raise InvalidImageFormatException(
                    f"image is {kind}, which facedesk cannot decode (expected {expected}): "
                    "export or convert it to JPEG first"
                ) from exc
            raise InvalidImageFormatException(
                f"image data is not a recognised image (expected {expected})"
            ) from exc
        fmt = str(im.format)
        if fmt not in allowed:
            raise InvalidImageFormatException(
                f"image format {fmt} is not supported here; use "
                + " or ".join(sorted(allowed - {"MPO"}))
            )
        raw_w, raw_h = im.size
        if raw_w * raw_h > limits.max_pixels:
            raise ImageTooLargeException(
                f"image is {raw_w}x{raw_h} px ({raw_w * raw_h} pixels); "
                f"the maximum is {limits.max_pixels} pixels"
            )
        source_mode = str(im.mode)
        orientation = _orientation(im)  # header only: no pixel is decoded yet
        oriented_w, oriented_h = (raw_h, raw_w) if orientation in (5, 6, 7, 8) else (raw_w, raw_h)
        ratio = 1.0
        if max_side is not None and max(raw_w, raw_h) > max_side:
            ratio = max_side / max(raw_w, raw_h)
        work = 1.0
        if working_face_px is not None:
            work = working_ratio(oriented_w, oriented_h, working_face_px)
            # The draft must not go below the working size, whatever max_side asks.
            ratio = max(ratio, work) if max_side is not None else work
        draft = (max(1, int(raw_w * ratio + 0.999)), max(1, int(raw_h * ratio + 0.999)))
        strict_pixels = None
        if fmt in JPEG_FORMATS and source_mode in _STRICT_DECODE_MODES:
            strict_pixels = _strict_jpeg_pixels(data, source_mode, (raw_w, raw_h), draft, ratio)
        elif fmt in JPEG_FORMATS:
            _check_jpeg(data)
        elif fmt == "PNG":
            _check_png(data)
        if oriented_w < limits.min_side or oriented_h < limits.min_side:
            raise InvalidParameterException(
                f"image is {oriented_w}x{oriented_h} px; "
                f"minimum is {limits.min_side}x{limits.min_side}"
            )
        if strict_pixels is not None:
            pixels = _contiguous(_exif_orient(strict_pixels, orientation))
        else:
            if fmt in JPEG_FORMATS and ratio < 1.0:
                im.draft(None, draft)
            im.load()
            upright = ImageOps.exif_transpose(im)
            pixels = _to_rgb(upright)
        if work < 1.0:
            pixels = _resize_to(pixels, oriented_w, oriented_h, work)
    scale = pixels.shape[1] / oriented_w
    return DecodedImage(
        pixels=pixels,
        width=oriented_w,
        height=oriented_h,
        scale=scale,
        format="JPEG" if fmt in JPEG_FORMATS else fmt,
        mode=source_mode,
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        byte_size=size,
    )


def _resize_to(
    pixels: npt.NDArray[np.uint8], full_w: int, full_h: int, ratio: float
) -> npt.NDArray[np.uint8]:
    """Area-filter ``pixels`` down to ``ratio`` of the full size (no-op when within 2 %)."""
    w, h = max(1, round(full_w * ratio)), max(1, round(full_h * ratio))
    if pixels.shape[1] <= w * 1.02:
        return pixels
    return _contiguous(imaging.resize_area(pixels, w, h))


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112, 1)
        return int(value) if isinstance(value, int) else 1
    except Exception:  # a broken EXIF block must not make a good picture unreadable
        return 1


# JPEGs Pillow opens as these modes are decoded once, by libjpeg-turbo in strict mode
# (``_strict_jpeg_pixels``); CMYK/YCCK ones go through Pillow's colour conversion, after
# the strict check (``_check_jpeg``).
_STRICT_DECODE_MODES = frozenset({"RGB", "L"})


def _strict_jpeg_pixels(
    data: bytes, mode: str, raw: tuple[int, int], draft: tuple[int, int], ratio: float
) -> npt.NDArray[np.uint8]:
    """The JPEG's pixels as stored (before EXIF orientation), RGB, decoded by libjpeg-turbo
    with every warning an error: the integrity check and the decode in one pass.

    Before, the file was decoded twice: the strict check at 1/8 scale (which still
    Huffman-decodes every block) and then Pillow's decode, 15 % of a DetectFaces call.
    The pixels are Pillow's own, bit for bit (both are libjpeg-turbo with the accurate
    DCT and fancy upsampling; ``tests/unit/test_engine_decode.py`` compares them): at full
    size, and scaled down as ``Image.draft`` scales, whose factor is the largest of 8, 4
    and 2 that keeps ``draft``; libjpeg-turbo is asked for exactly that output size (it
    would otherwise pick factors like 3/8 too).
    """
    import simplejpeg

    raw_w, raw_h = raw
    denominator = 1
    if ratio < 1.0:
        wanted = min(raw_w // draft[0], raw_h // draft[1])
        denominator = next((d for d in (8, 4, 2) if wanted >= d), 1)
    out_w, out_h = -(-raw_w // denominator), -(-raw_h // denominator)
    try:
        decoded = simplejpeg.decode_jpeg(
            data,
            colorspace="GRAY" if mode == "L" else "RGB",
            min_width=out_w,
            min_height=out_h,
            strict=True,
        )
    except ValueError as exc:
        raise InvalidImageFormatException(f"JPEG data is corrupt or truncated: {exc}") from exc
    if decoded.shape[:2] != (out_h, out_w):  # never seen; the caller's draft would differ
        raise InvalidImageFormatException(
            f"JPEG decoded to {decoded.shape[1]}x{decoded.shape[0]}, expected {out_w}x{out_h}"
        )
    if mode == "L":
        return np.repeat(decoded.reshape(out_h, out_w, 1), 3, axis=2)
    return np.asarray(decoded, dtype=np.uint8)


def _exif_orient(pixels: npt.NDArray[np.uint8], orientation: int) -> npt.NDArray[np.uint8]:
    """``ImageOps.exif_transpose`` on an array: the picture as the camera meant it."""
    if orientation == 2:
        return pixels[:, ::-1]
    if orientation == 3:
        return pixels[::-1, ::-1]
    if orientation == 4:
        return pixels[::-1]
    if orientation == 5:
        return pixels.transpose(1, 0, 2)
    if orientation == 6:
        return np.rot90(pixels, -1)
    if orientation == 7:
        return np.rot90(pixels, 2).transpose(1, 0, 2)
    if orientation == 8:
        return np.rot90(pixels, 1)
    return pixels


def _check_jpeg(data: bytes) -> None:
    import simplejpeg

    try:
        _, _, colorspace, _ = simplejpeg.decode_jpeg_header(data)
        target = {"Gray": "GRAY", "CMYK": "CMYK", "YCCK": "CMYK"}.get(str(colorspace), "RGB")
        simplejpeg.decode_jpeg(
            data, colorspace=target, min_height=1, min_width=1, min_factor=8, strict=True
        )
    except ValueError as exc:
        raise InvalidImageFormatException(f"JPEG data is corrupt or truncated: {exc}") from exc


def _check_png(data: bytes) -> None:
    if not data.startswith(_PNG_SIGNATURE):
        raise InvalidImageFormatException("PNG signature is missing")
    pos = len(_PNG_SIGNATURE)
    end = len(data)
    while True:
        if pos + 12 > end:
            raise InvalidImageFormatException("PNG data is truncated (no IEND chunk)")
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body_end = pos + 8 + length
        if body_end + 4 > end:
            raise InvalidImageFormatException(
                f"PNG data is truncated inside chunk {kind.decode('latin-1')!r}"
            )
        (crc,) = struct.unpack(">I", data[body_end : body_end + 4])
        if zlib.crc32(data[pos + 4 : body_end]) != crc:
            raise InvalidImageFormatException(
                f"PNG chunk {kind.decode('latin-1')!r} at byte {pos} fails its CRC check"
            )
        if kind == b"IEND":
            return
        pos = body_end + 4


def _to_rgb(im: Image.Image) -> npt.NDArray[np.uint8]:
    mode = im.mode
    if mode == "RGB":
        return _contiguous(np.asarray(im, dtype=np.uint8))
    if mode in ("RGBA", "RGBX", "RGBa"):
        return _contiguous(np.asarray(im, dtype=np.uint8)[:, :, :3])
    if mode.startswith("I;16") or mode in ("I", "F"):
        gray = _wide_to_u8(np.asarray(im), mode)
        return _contiguous(np.repeat(gray[:, :, None], 3, axis=2))
    if mode in ("L", "LA", "1"):
        gray8 = np.asarray(im.convert("L"), dtype=np.uint8)
        return _contiguous(np.repeat(gray8[:, :, None], 3, axis=2))
    if mode in ("P", "PA"):
        return _contiguous(np.asarray(im.convert("RGBA"), dtype=np.uint8)[:, :, :3])
    return _contiguous(np.asarray(im.convert("RGB"), dtype=np.uint8))


def _wide_to_u8(values: npt.NDArray[Any], mode: str) -> npt.NDArray[np.uint8]:
    if mode == "F":
        floats = values.astype(np.float64)
        finite = np.nan_to_num(floats, nan=0.0, posinf=255.0, neginf=0.0)
        if finite.size and float(finite.max()) <= 1.0 and float(finite.min()) >= 0.0:
            finite = finite * 255.0
        return np.clip(np.rint(finite), 0, 255).astype(np.uint8)
    wide = values.astype(np.float64)
    top = float(wide.max()) if wide.size else 0.0
    if mode.startswith("I;16") or 255.0 < top <= 65535.0:
        scaled = wide / 257.0
    elif top <= 255.0:
        scaled = wide
    else:
        scaled = wide * (255.0 / top)
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _contiguous(a: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    return np.ascontiguousarray(a, dtype=np.uint8)
