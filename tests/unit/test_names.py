"""user_id_from_name: readable, within Rekognition's UserId pattern and length, unique."""

from __future__ import annotations

import re

import pytest

from facedesk.core.names import (
    FALLBACK_USER_ID,
    USER_ID_MAX,
    normalise_display_name,
    same_name,
    user_id_from_name,
)

# The pattern and bound of UserId in Rekognition's service model.
USER_ID = re.compile(r"\A[a-zA-Z0-9_.\-:]+\Z")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Zoë Ångström", "Zoe_Angstrom"),
        ("Ada Lovelace", "Ada_Lovelace"),
        ("  Ada   Lovelace  ", "Ada_Lovelace"),
        ("Søren Kierkegaard", "Soren_Kierkegaard"),
        ("Straße", "Strasse"),
        ("Łukasz Żółć", "Lukasz_Zolc"),
        ("François-Xavier", "Francois-Xavier"),
        ("O'Brien", "OBrien"),
        ("Mary J. Blige", "Mary_J_Blige"),
        ("Dr. Who?!", "Dr_Who"),
        ("Ünal & Öz", "Unal_Oz"),
        ("王小明", FALLBACK_USER_ID),
        ("😀", FALLBACK_USER_ID),
        ("Ana 王", "Ana"),
    ],
)
def test_slug_is_readable_ascii(name: str, expected: str) -> None:
    got = user_id_from_name(name, [])
    assert got == expected
    assert USER_ID.match(got)


def test_taken_ids_get_a_numbered_suffix_ignoring_case() -> None:
    assert user_id_from_name("Ada Lovelace", ["Ada_Lovelace"]) == "Ada_Lovelace_2"
    assert user_id_from_name("ada lovelace", ["Ada_Lovelace", "ada_lovelace_2"]) == (
        "ada_lovelace_3"
    )
    assert user_id_from_name("王", [FALLBACK_USER_ID]) == f"{FALLBACK_USER_ID}_2"


def test_long_names_stay_within_the_limit_also_with_a_suffix() -> None:
    name = "Ž" * 400
    first = user_id_from_name(name, [])
    assert len(first) == USER_ID_MAX and USER_ID.match(first)
    second = user_id_from_name(name, [first])
    assert len(second) <= USER_ID_MAX and second.endswith("_2") and second != first
    taken = [first, second]
    third = user_id_from_name(name, taken)
    assert third.endswith("_3") and USER_ID.match(third)


@pytest.mark.parametrize("name", ["", "   ", "---", "...", "::", "\u0301"])
def test_nothing_usable_falls_back(name: str) -> None:
    assert user_id_from_name(name, []) == FALLBACK_USER_ID


def test_display_name_forms() -> None:
    assert normalise_display_name("  Zoe\u0308   Å ") == "Zoë Å"
    assert same_name("ada  LOVELACE", "Ada Lovelace")
    assert not same_name("Ada", "Ada Lovelace")
