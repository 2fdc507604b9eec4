"""Small square JPEG of one face, for lists and match previews."""

from __future__ import annotations

import io

from PIL import Image

from facedesk.core.types import DecodedImage, PixelBox

# The crop's side is this times the box's longer side: dlib's tight box plus some hair,
# ears and chin, centred on the box.
MARGIN_FACTOR = 1.6
JPEG_QUALITY = 85


def face_thumbnail_jpeg(
    data_or_image: DecodedImage | bytes, box: PixelBox, size: int = 128
) -> bytes:
    """JPEG (quality 85) of a size x size square around ``box`` (full-resolution pixels).

    Parts of the square outside the picture are black. Bytes are decoded with the relaxed
    limits first.
    """
    if isinstance(data_or_image, DecodedImage):
        image = data_or_image
    else:
        from facedesk.engine.decode import decode_image
        from facedesk.engine.limits import RELAXED_LIMITS

        image = decode_image(data_or_image, RELAXED_LIMITS)
    s = image.scale
    cx = (box.left + box.right) / 2.0 * s
    cy = (box.top + box.bottom) / 2.0 * s
    half = max(box.width, box.height, 1.0) * s * MARGIN_FACTOR / 2.0
    crop_box = (round(cx - half), round(cy - half), round(cx + half), round(cy + half))
    if crop_box[2] <= crop_box[0]:
        crop_box = (crop_box[0], crop_box[1], crop_box[0] + 1, crop_box[1] + 1)
    picture = Image.fromarray(image.pixels, mode="RGB").crop(crop_box)
    picture = picture.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()
