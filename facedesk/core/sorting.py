"""Orders people expect: "img2" before "img12", case and accents aside."""

from __future__ import annotations

import re
import unicodedata

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that compares runs of digits as numbers and the rest case-insensitively.

    Each part is tagged (0 for a number, 1 for text) so numbers and words never compare with
    each other directly; "a10" sorts after "a9", "IMG_2" before "img_10". Accents fold to their
    base letter ("é" with "e") after casefolding, as file managers sort.
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    parts: list[tuple[int, int | str]] = []
    for i, part in enumerate(_DIGITS.split(folded)):
        if not part:
            continue
        parts.append((0, int(part)) if i % 2 else (1, part))
    return tuple(parts)
