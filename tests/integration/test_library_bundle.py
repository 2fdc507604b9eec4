"""The portable library bundle on real photos and real SQLite: export, import into an empty
library and into one with other collections, row-for-row equal; clashes refused or renamed."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import facedesk
from facedesk.core.errors import InvalidParameterException, ResourceAlreadyExistsException
from facedesk.service.bundle import export_library, import_library
from facedesk.service.indexing import IndexOptions
from facedesk.service.people import person_for_name

PHOTOS = ["real/face_recognition/two_people.jpg", "derived/biden_exif_orientation6.jpg"]


def dump(client: Any, cid: str) -> dict[str, Any]:
    with client.context.db.unit_of_work(read_only=True) as uow:
        rows: dict[str, Any] = uow.portable.dump(cid)
    for row in rows["collections"]:
        row.pop("collection_id")
        row.pop("arn")
    return rows


@pytest.fixture(scope="module")
def source(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("bundle")
    for rel in PHOTOS:
        shutil.copyfile(testdata / rel, root / Path(rel).name)
    client = facedesk.client(database=str(root / "src.db"), store_thumbnails=True)
    for cid in ("family", "work"):
        client.create_collection(CollectionId=cid)
        events = client.library.iter_index_files(cid, [root], IndexOptions(workers=1))
        assert [e.result.status for e in events] == ["indexed", "indexed"]
    faces = client.list_faces(CollectionId="family")["Faces"]
    person = person_for_name(client.context, "family", "Zoë Ångström")
    client.associate_faces(
        CollectionId="family", UserId=person.user_id, FaceIds=[faces[0]["FaceId"]]
    )
    yield client
    client.close()


def test_round_trip_into_an_empty_library_is_exact(source: Any, tmp_path: Path) -> None:
    bundle = tmp_path / "library.facedesk.zip"
    manifest = export_library(source.context, bundle)
    assert [c["CollectionId"] for c in manifest["Collections"]] == ["family", "work"]
    assert bundle.stat().st_mode & 0o077 == 0, "private, like the database"
    assert [p.name for p in tmp_path.iterdir()] == [bundle.name], "no temporary file left"
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert json.loads(zf.read("manifest.json"))["Format"] == "facedesk-library"
    assert sum(n.endswith(".jpg") for n in names) == 2 * 3, "a thumbnail per face"
    target = facedesk.client(database=str(tmp_path / "new.db"))
    try:
        result = import_library(target.context, bundle)
        assert [r["CollectionId"] for r in result] == ["family", "work"]
        for cid in ("family", "work"):
            got, want = dump(target, cid), dump(source, cid)
            assert got == want  # every row, descriptor byte, thumbnail and timestamp
        users = target.list_users(CollectionId="family")["Users"]
        assert [u["UserId"] for u in users] == ["Zoe_Angstrom"]
        with target.context.db.unit_of_work(read_only=True) as uow:
            assert uow.people.names("family") == [("Zoe_Angstrom", "Zoë Ångström")]
        # The imported descriptors search as the originals did.
        face_id = source.list_faces(CollectionId="work")["Faces"][0]["FaceId"]
        a = source.search_faces(CollectionId="work", FaceId=face_id)["FaceMatches"]
        b = target.search_faces(CollectionId="work", FaceId=face_id)["FaceMatches"]
        assert [(m["Face"]["FaceId"], m["Similarity"]) for m in a] == [
            (m["Face"]["FaceId"], m["Similarity"]) for m in b
        ]
    finally:
        target.close()


def test_into_a_library_with_other_collections_clashes_refused_or_renamed(
    source: Any, tmp_path: Path
) -> None:
    bundle = tmp_path / "lib.zip"
    export_library(source.context, bundle, ["family"])
    target = facedesk.client(database=str(tmp_path / "other.db"))
    try:
        target.create_collection(CollectionId="holidays")
        target.create_collection(CollectionId="family")  # an unrelated, empty "family"
        with pytest.raises(ResourceAlreadyExistsException, match="nothing was imported"):
            import_library(target.context, bundle)
        ids = target.list_collections()["CollectionIds"]
        assert ids == ["family", "holidays"]
        assert target.list_faces(CollectionId="family")["Faces"] == []
        (result,) = import_library(target.context, bundle, rename=True)
        assert result["CollectionId"] == "family_imported"
        assert dump(target, "family_imported") == dump(source, "family")
        (again,) = import_library(target.context, bundle, rename=True)
        assert again["CollectionId"] == "family_imported_2"
        described = target.describe_collection(CollectionId="family_imported")
        assert described["CollectionARN"].endswith("collection/family_imported")
        assert described["FaceCount"] == 3
    finally:
        target.close()


def test_a_damaged_bundle_is_refused_and_imports_nothing(source: Any, tmp_path: Path) -> None:
    bundle = tmp_path / "lib.zip"
    export_library(source.context, bundle)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(broken, "w") as zout:
        for item in zin.namelist():
            data = zin.read(item)
            if item == "collections/0001/embeddings.npy":
                data = _npy(np.zeros((1, 128), np.float32))
            zout.writestr(item, data)
    target = facedesk.client(database=str(tmp_path / "t.db"))
    try:
        with pytest.raises(InvalidParameterException, match="descriptors for 3 faces"):
            import_library(target.context, broken)
        assert target.list_collections()["CollectionIds"] == [], "all or nothing"
        gutted = tmp_path / "gutted.zip"
        with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(gutted, "w") as zout:
            for item in zin.namelist():
                if item != "collections/0000/rows.json":
                    zout.writestr(item, zin.read(item))
        with pytest.raises(InvalidParameterException, match="0000 is damaged"):
            import_library(target.context, gutted)
        assert target.list_collections()["CollectionIds"] == []
        (tmp_path / "text.zip").write_text("not a zip")
        with pytest.raises(InvalidParameterException, match="cannot read the bundle"):
            import_library(target.context, tmp_path / "text.zip")
    finally:
        target.close()


def _npy(array: np.ndarray) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()
