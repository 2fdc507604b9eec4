"""Display names and the UserIds made from them.

A person's display name is any Unicode text; Rekognition's UserId must match
``[a-zA-Z0-9_.\\-:]+`` with at most 128 characters. ``user_id_from_name`` turns the first
into a readable second ("Zoë Ångström" -> "Zoe_Angstrom") so the CLI and the boto3 client
show ids a person recognises, and keeps it unique with a numbered suffix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

USER_ID_MAX = 128
USER_ID_PATTERN = re.compile(r"[a-zA-Z0-9_.\-:]+")
# What a name made only of letters with no ASCII form (Chinese, Arabic, ...) becomes.
FALLBACK_USER_ID = "person"

# Letters NFKD does not decompose into ASCII plus combining marks.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
        "Ħ": "H",
        "ħ": "h",
        "‐": "-",
        "–": "-",
        "—": "-",
        "’": "",
        "'": "",
    }
)
_DISALLOWED = re.compile(r"[^a-zA-Z0-9_.\-]+")
_SEPARATORS = re.compile(r"[_.\-]*_[_.\-]*")


def ascii_fold(text: str) -> str:
    """Latin letters without their accents ("Ångström" -> "Angstrom"); other scripts stay."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slug(display_name: str) -> str:
    """The UserId-safe form of a name, not yet made unique ('' if nothing is left).

    Spaces and other characters outside the pattern become one underscore; ':' is left
    out too, so a slug never looks like an ARN fragment.
    """
    folded = ascii_fold(display_name.strip())
    text = _DISALLOWED.sub("_", folded)
    text = _SEPARATORS.sub("_", text).strip("_.-")
    return text[:USER_ID_MAX].rstrip("_.-")


def user_id_from_name(display_name: str, taken: Collection[str]) -> str:
    """A readable UserId for ``display_name`` that is none of ``taken`` (compared without
    case, so "ada" and "Ada" never become two people that look alike in a list).

    >>> user_id_from_name("Zoë Ångström", [])
    'Zoe_Angstrom'
    >>> user_id_from_name("Ada Lovelace", ["Ada_Lovelace"])
    'Ada_Lovelace_2'
    """
    base = slug(display_name) or FALLBACK_USER_ID
    used = {t.casefold() for t in taken}
    if base.casefold() not in used:
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        candidate = base[: USER_ID_MAX - len(suffix)].rstrip("_.-") + suffix
        if candidate.casefold() not in used:
            return candidate
        n += 1


def normalise_display_name(text: str) -> str:
    """The stored form of a typed name: NFC, whitespace runs as one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def same_name(a: str, b: str) -> bool:
    """Names match without regard to case or spacing ("ada  LOVELACE" is "Ada Lovelace")."""
    return normalise_display_name(a).casefold() == normalise_display_name(b).casefold()
