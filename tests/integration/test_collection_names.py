"""Collections have a name in words, kept apart from the CollectionId scripts use."""

from __future__ import annotations

from pathlib import Path

import pytest

import facedesk
from facedesk.core.errors import InvalidParameterException, ResourceNotFoundException
from facedesk.core.names import collection_id_from_name


def test_ids_made_from_names_are_readable_unique_and_valid() -> None:
    assert collection_id_from_name("My Family", []) == "My_Family"
    assert collection_id_from_name("My Family", ["my_family"]) == "My_Family_2"
    assert collection_id_from_name("Été 2026 · Bretagne", []) == "Ete_2026_Bretagne"
    assert collection_id_from_name("家族", []) == "collection"
    assert collection_id_from_name("家族", ["collection"]) == "collection_2"


def test_library_creates_renames_and_lists_named_collections(tmp_path: Path) -> None:
    client = facedesk.client(database=str(tmp_path / "lib.db"))
    try:
        lib = client.library
        family = lib.create_collection("  My   Family ")
        assert (family.collection_id, family.display_name) == ("My_Family", "My Family")
        again = lib.create_collection("my family")
        assert again.collection_id == "my_family_2"
        client.create_collection(CollectionId="plain")  # the Rekognition way: no name
        by_id = {c.collection_id: c for c in lib.collections()}
        assert by_id["My_Family"].shown_name == "My Family"
        assert by_id["plain"].display_name is None and by_id["plain"].shown_name == "plain"
        # the API sees the id; the name is facedesk's own
        described = client.describe_collection(CollectionId="My_Family")
        assert described["CollectionARN"].endswith("collection/My_Family")
        lib.rename_collection("My_Family", "Family (all)")
        assert {c.collection_id: c.shown_name for c in lib.collections()}["My_Family"] == (
            "Family (all)"
        )
        lib.rename_collection("My_Family", "  ")  # an empty name shows the id again
        assert {c.collection_id: c.shown_name for c in lib.collections()}["My_Family"] == (
            "My_Family"
        )
        with pytest.raises(InvalidParameterException):
            lib.create_collection("   ")
        with pytest.raises(ResourceNotFoundException):
            lib.rename_collection("nope", "Nope")
    finally:
        client.close()
