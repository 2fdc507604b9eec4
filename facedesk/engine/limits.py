"""What image bytes the decoder accepts: Rekognition's strict limits and the app's relaxed ones."""

from __future__ import annotations

from dataclasses import dataclass

# Pillow format names. MPO is what Pillow calls a camera JPEG that carries extra
# (e.g. preview) pictures; its first picture is a plain JPEG, so it counts as JPEG.
JPEG_FORMATS = frozenset({"JPEG", "MPO"})
STRICT_FORMATS = JPEG_FORMATS | {"PNG"}
RELAXED_FORMATS = STRICT_FORMATS | {"WEBP", "TIFF", "BMP", "GIF"}


@dataclass(frozen=True)
class ImageLimits:
    """``None`` for max_bytes means any size; for formats it means every format we decode."""

    max_bytes: int | None
    formats: frozenset[str] | None
    min_side: int
    max_pixels: int


# Guard against decompression bombs: 150 Mpx of RGB is 450 MB. Pillow itself refuses
# images above 2 x Image.MAX_IMAGE_PIXELS (about 179 Mpx), so a larger number would not
# be reachable anyway.
MAX_PIXELS = 150_000_000

STRICT_LIMITS = ImageLimits(
    max_bytes=5_242_880, formats=STRICT_FORMATS, min_side=80, max_pixels=MAX_PIXELS
)
RELAXED_LIMITS = ImageLimits(max_bytes=None, formats=None, min_side=1, max_pixels=MAX_PIXELS)
