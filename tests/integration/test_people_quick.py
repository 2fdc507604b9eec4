"""The first screen read without SQLAlchemy (storage/people_quick.py) answers as the
repositories do, and is refused wherever it cannot be sure to."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import facedesk
from facedesk.core.errors import ResourceNotFoundException
from facedesk.service.context import ServiceContext
from facedesk.service.people_listing import (
    first_collections,
    first_thumbnails,
    people_listing,
)
from facedesk.storage import database as database_module
from facedesk.storage.database import Database
from facedesk.storage.people_listing import group_sizes, people_counts
from facedesk.storage.people_quick import SCHEMA_REVISION, QuickReader, sqlite_file
from tests.integration.test_people_listing_sql import CID, _fill
from tests.integration.test_storage_repositories import collection, face, image

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[tuple[Path, Database, list[str]]]:
    path = tmp_path / "quick.db"
    db = Database(path)
    ids = _fill(db)
    extra = [face("other", n, image(2)) for n in range(20, 23)]
    with db.unit_of_work() as uow:
        # a second collection (named, counted) and crops for some of the faces
        uow.collections.add(collection("other"))
        uow.images.upsert(image(2))
        uow.faces.add_many(extra, {extra[0].face_id: b"\xff\xd8other"})
        uow.commit()
    with db.unit_of_work() as uow:
        uow.faces.add_many(
            [face(CID, 30, image(1))], {face(CID, 30, image(1)).face_id: b"\xff\xd8x"}
        )
        uow.commit()
    yield path, db, ids
    db.dispose()


def test_schema_revision_is_the_databases_head() -> None:
    assert SCHEMA_REVISION == database_module.HEAD_REVISION


def test_same_answers_as_the_repositories(filled: tuple[Path, Database, list[str]]) -> None:
    path, db, _ids = filled
    quick = QuickReader.open(str(path))
    assert quick is not None
    with db.unit_of_work(read_only=True) as uow:
        people = [tuple(p) for p in people_counts(uow.session, CID)]
        groups = [tuple(g) for g in group_sizes(uow.session, CID)]
        every = uow.collections.list_page(None, 1_000_000)
        wanted = [face(CID, n, image(1)).face_id for n in (0, 3, 30)] + ["f9999-missing"]
        crops = uow.faces.thumbnails(CID, wanted)
    assert quick.people_and_groups(CID) == (people, groups)
    assert people and groups  # the comparison is not between two empty lists
    assert quick.collections() == every
    assert [c.collection_id for c in every] == [CID, "other"]
    assert every[0].created_at.tzinfo is not None and every[0].face_count == 13
    assert quick.thumbnails(CID, wanted) == crops == {face(CID, 30, image(1)).face_id: b"\xff\xd8x"}
    # more faces than one IN list holds
    many = [face(CID, n, image(1)).face_id for n in range(1200)]
    assert quick.thumbnails(CID, many) == crops
    with pytest.raises(ResourceNotFoundException):
        quick.people_and_groups("nowhere")
    with pytest.raises(ResourceNotFoundException):
        quick.thumbnails("nowhere", wanted)


def test_refused_where_it_cannot_be_sure(tmp_path: Path) -> None:
    missing = tmp_path / "new.db"
    assert QuickReader.open(str(missing)) is None
    assert not missing.exists()  # never created: Database creates and migrates it
    assert QuickReader.open(":memory:") is None
    assert QuickReader.open("postgresql://u@localhost/db") is None
    assert sqlite_file(f"sqlite:///{missing}") == missing.resolve()
    assert sqlite_file(f"sqlite:///{missing}?mode=ro") is None
    not_db = tmp_path / "notes.db"
    not_db.write_text("not a database")
    assert QuickReader.open(str(not_db)) is None
    assert not_db.read_text() == "not a database"
    # a schema to migrate (or a newer one to refuse) goes through Database
    old = tmp_path / "old.db"
    Database(old).dispose()
    con = sqlite3.connect(old)
    con.execute("UPDATE alembic_version SET version_num = '0004'")
    con.commit()
    con.close()
    assert QuickReader.open(str(old)) is None


def test_the_service_reads_quick_until_the_database_is_open(
    filled: tuple[Path, Database, list[str]],
) -> None:
    path, _db, _ids = filled
    ctx = ServiceContext(str(path))
    try:
        assert ctx.first_reader() is not None
        listed = people_listing(ctx, CID)
        collections = first_collections(ctx)
        crops = first_thumbnails(ctx, CID, [face(CID, 30, image(1)).face_id])
        assert ctx._db is None  # nothing above opened the Database
        ctx.db  # noqa: B018 - opened now: the same answers from it
        assert ctx.first_reader() is None
        assert first_collections(ctx) is None
        assert people_listing(ctx, CID) == listed
        assert first_thumbnails(ctx, CID, [face(CID, 30, image(1)).face_id]) == crops
        assert collections is not None
        assert [c.collection_id for c in collections] == [CID, "other"]
    finally:
        ctx.close()


@pytest.mark.slow
def test_real_photos_listed_alike(tmp_path: Path) -> None:
    """Indexed photos (faces, crops, a person, groups) list alike on both paths."""
    path = tmp_path / "photos.db"
    folder = TESTDATA / "real" / "face_recognition"
    photos = [folder / n for n in ("obama.jpg", "obama2.jpg", "biden.jpg", "obama_and_biden.jpg")]
    with facedesk.client(database=str(path), store_thumbnails=True) as c:
        c.create_collection(CollectionId="p")
        for photo in photos:
            c.index_faces(CollectionId="p", Image={"Bytes": photo.read_bytes()})
        faces = [f["FaceId"] for f in c.list_faces(CollectionId="p")["Faces"]]
        assert len(faces) >= 3
        c.create_user(CollectionId="p", UserId="someone")
        c.associate_faces(CollectionId="p", UserId="someone", FaceIds=faces[:1])
        c.people.groups("p")  # the stored groups of the unnamed faces
    quick_ctx, db_ctx = ServiceContext(str(path)), ServiceContext(str(path))
    try:
        db_ctx.db  # noqa: B018 - the repositories' path
        quick = people_listing(quick_ctx, "p")
        assert quick == people_listing(db_ctx, "p")
        assert quick.people[0].user_id == "someone" and quick.people[0].face_count == 1
        crops = first_thumbnails(quick_ctx, "p", faces)
        assert crops == first_thumbnails(db_ctx, "p", faces)
        assert len(crops) == len(faces) and all(j[:2] == b"\xff\xd8" for j in crops.values())
        assert quick_ctx._db is None
    finally:
        quick_ctx.close()
        db_ctx.close()
