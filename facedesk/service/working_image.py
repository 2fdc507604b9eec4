"""How a user's photo file is decoded for indexing: at a working resolution.

Shared by the indexing pipeline and the face edits that analyse a photo again, so both see
the same pixels; kept apart from both so neither imports the other for one number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from facedesk.core.types import DecodedImage

# Decode so that Rekognition's minimum face still spans this many pixels: the HOG
# window (~72 px) finds it without upsampling and the descriptor's 150 px chip is
# taken from at least 80 px of real face. A 12 Mpx photo (minimum face 111 px)
# is analysed at 0.72 of its size; anything up to ~2 Mpx is kept as it is.
WORKING_FACE_PX: Final = 80.0


def decode_file_bytes(data: bytes, sha256: str | None = None) -> DecodedImage:
    """A file's bytes decoded under relaxed limits at the working resolution."""
    from facedesk.engine import RELAXED_LIMITS, decode_image

    return decode_image(data, RELAXED_LIMITS, working_face_px=WORKING_FACE_PX, sha256=sha256)
