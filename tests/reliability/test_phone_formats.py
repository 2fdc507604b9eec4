"""HEIC, HEIF and AVIF files (what phones save) are reported by name, never dropped silently:
a folder scan gives each an error result that says what it is, and the rest is indexed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facedesk.service.indexing import IndexOptions

PHOTO = "real/face_recognition/obama.jpg"


def _iso_still(brand: bytes) -> bytes:
    """The start of an ISO-BMFF still image: an ``ftyp`` box with ``brand``, then data
    (facedesk decides from the box; the payload is never decoded)."""
    ftyp = b"ftyp" + brand + b"\x00\x00\x00\x00" + b"mif1" + brand
    return len(ftyp + b"1234").to_bytes(4, "big") + ftyp + bytes(range(256)) * 40


@pytest.mark.parametrize(
    ("name", "brand", "kind"),
    [
        ("IMG_0001.HEIC", b"heic", "HEIC"),
        ("burst.heif", b"mif1", "HEIF"),
        ("a.avif", b"avif", "AVIF"),
    ],
)
def test_folder_scan_names_phone_formats_and_indexes_the_rest(
    client: Any, testdata: Path, tmp_path: Path, name: str, brand: bytes, kind: str
) -> None:
    folder = tmp_path / "phone"
    folder.mkdir()
    (folder / name).write_bytes(_iso_still(brand))
    (folder / "obama.jpg").write_bytes((testdata / PHOTO).read_bytes())
    client.create_collection(CollectionId="phone")

    results = {
        Path(e.result.path).name: e.result
        for e in client.library.iter_index_files("phone", [folder], IndexOptions())
    }

    assert set(results) == {name, "obama.jpg"}
    assert results["obama.jpg"].status == "indexed" and results["obama.jpg"].indexed == 1
    bad = results[name]
    assert bad.status == "error" and bad.error_code == "InvalidImageFormatException"
    assert kind in (bad.message or "") and "JPEG" in (bad.message or "")


def test_index_faces_says_what_a_heic_is(client: Any) -> None:
    client.create_collection(CollectionId="api")
    with pytest.raises(client.exceptions.InvalidImageFormatException) as info:
        client.index_faces(CollectionId="api", Image={"Bytes": _iso_still(b"heic")})
    assert "HEIC" in str(info.value)
