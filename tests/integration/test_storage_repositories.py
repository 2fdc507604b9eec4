"""Repositories against a real SQLite file: shapes in, shapes out, cascades, paging."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from facedesk.core.errors import (
    ConflictException,
    InvalidPaginationTokenException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from facedesk.core.types import (
    BoundingBox,
    CollectionInfo,
    ImageInfo,
    IndexRecord,
    StoredFace,
    UserInfo,
)
from facedesk.storage.database import Database
from tests.conftest import ALL_BACKENDS

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
BACKENDS = ALL_BACKENDS


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def collection(cid: str) -> CollectionInfo:
    return CollectionInfo(
        collection_id=cid,
        face_model_version="6.0",
        arn=f"aws:rekognition:local:000000000000:collection/{cid}",
        created_at=T0,
    )


def image(n: int) -> ImageInfo:
    return ImageInfo(
        image_id=f"00000000-0000-4000-8000-{n:012d}",
        sha256=hashlib.sha256(str(n).encode()).hexdigest(),
        byte_size=1000 + n,
        width=640,
        height=480,
        format="JPEG",
    )


def face(cid: str, n: int, img: ImageInfo, ext: str | None = None, seed: int = 0) -> StoredFace:
    rng = np.random.default_rng(seed * 100_000 + n)
    return StoredFace(
        face_id=f"f{n:04d}-0000-4000-8000-000000000000",
        collection_id=cid,
        image_id=img.image_id,
        external_image_id=ext,
        bounding_box=BoundingBox(left=0.1, top=0.2, width=0.3, height=0.4),
        confidence=99.5,
        model_version="6.0",
        embedding=rng.standard_normal(128).astype(np.float32),
        indexed_at=T0,
    )


def record(cid: str, img: ImageInfo, ext: str | None, faces: int, path: str) -> IndexRecord:
    return IndexRecord(
        collection_id=cid,
        image_id=img.image_id,
        external_image_id=ext,
        response={"FaceRecords": [{"Face": {"FaceId": "x"}}] * faces, "UnindexedFaces": []},
        settings={"QualityFilter": "AUTO", "MaxFaces": 100},
        measurements=({"sharpness": 12.5, "brightness": 60.0},) * faces,
        indexed_at=T0,
        face_count=faces,
        unindexed_count=1,
        source_path=path,
        source_size=12345,
        source_mtime=1700000000.25,
    )


def seed(db: Database, cid: str = "people", n_faces: int = 5) -> tuple[ImageInfo, list[StoredFace]]:
    img = image(1)
    faces = [face(cid, i, img, ext="photo.jpg") for i in range(n_faces)]
    with db.unit_of_work() as uow:
        uow.collections.add(collection(cid))
        uow.images.upsert(img)
        uow.faces.add_many(faces, {f.face_id: b"\xff\xd8jpeg" + f.face_id.encode() for f in faces})
        uow.commit()
    return img, faces


def test_collection_add_get_and_duplicate(db: Database) -> None:
    with db.unit_of_work() as uow:
        uow.collections.add(collection("Alpha"))
        uow.commit()
    with db.unit_of_work() as uow:
        got = uow.collections.require("Alpha")
        assert got == collection("Alpha")
        assert got.created_at.tzinfo is not None and got.created_at == T0
        assert uow.collections.get("alpha") is None  # ids are case-sensitive
        with pytest.raises(
            ResourceAlreadyExistsException, match="The collection id: Alpha already"
        ):
            uow.collections.add(collection("Alpha"))
        with pytest.raises(ResourceNotFoundException, match="The collection id: nope does not"):
            uow.collections.require("nope")


def test_collection_list_page_is_binary_ordered(db: Database) -> None:
    names = ["b", "a", "B", "A", "c_1", "c-1", "Z"]
    with db.unit_of_work() as uow:
        for name in names:
            uow.collections.add(collection(name))
        uow.commit()
    with db.unit_of_work(read_only=True) as uow:
        first = uow.collections.list_page(None, 4)
        rest = uow.collections.list_page(first[-1].collection_id, 10)
    assert [c.collection_id for c in first + rest] == sorted(names)


def test_counts_and_collection_delete_cascades(db: Database) -> None:
    img, faces = seed(db)
    with db.unit_of_work() as uow:
        uow.users.add(UserInfo(collection_id="people", user_id="ann"))
        uow.faces.set_user("people", [faces[0].face_id], "ann")
        uow.index_records.add(record("people", img, "photo.jpg", 5, "/p/photo.jpg"))
        uow.tokens.put("people", "CreateUser", "tok", "h", {"ok": True})
        uow.commit()
    with db.unit_of_work() as uow:
        info = uow.collections.require("people")
        assert (info.face_count, info.user_count) == (5, 1)
        assert uow.collections.delete("people") is True
        assert uow.collections.delete("people") is False
        uow.commit()
    with db.engine.connect() as conn:
        for table in ("faces", "face_thumbnails", "users", "index_records", "request_tokens"):
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0, table
        assert conn.exec_driver_sql("SELECT count(*) FROM images").scalar() == 1


def test_uncommitted_unit_of_work_leaves_nothing(db: Database) -> None:
    with db.unit_of_work() as uow:
        uow.collections.add(collection("temp"))
        uow.images.upsert(image(1))
        uow.faces.add_many([face("temp", 1, image(1))])
    with pytest.raises(RuntimeError), db.unit_of_work() as uow:
        uow.collections.add(collection("temp2"))
        raise RuntimeError("boom")
    with db.unit_of_work() as uow:
        assert uow.collections.list_page(None, 10) == []
        assert uow.images.get(image(1).image_id) is None


def test_embeddings_round_trip_bit_exact(db: Database) -> None:
    _, faces = seed(db, n_faces=7)
    with db.unit_of_work(read_only=True) as uow:
        ids, matrix = uow.faces.embeddings("people")
        stored = uow.faces.get_many("people", [faces[3].face_id])
    assert ids == sorted(f.face_id for f in faces)
    assert matrix.dtype == np.float32 and matrix.shape == (7, 128)
    assert matrix.flags.c_contiguous
    expected = np.stack([f.embedding for f in sorted(faces, key=lambda f: f.face_id)])
    assert matrix.tobytes() == expected.tobytes()
    assert stored[0].embedding.tobytes() == faces[3].embedding.tobytes()


def test_embeddings_of_empty_collection(db: Database) -> None:
    with db.unit_of_work() as uow:
        uow.collections.add(collection("empty"))
        uow.commit()
    with db.unit_of_work() as uow:
        ids, matrix = uow.faces.embeddings("empty")
    assert ids == [] and matrix.shape == (0, 128)


def test_face_pages_filters_and_get_many(db: Database) -> None:
    _, faces = seed(db, n_faces=9)
    ids = sorted(f.face_id for f in faces)
    with db.unit_of_work() as uow:
        uow.users.add(UserInfo(collection_id="people", user_id="bob"))
        assert uow.faces.set_user("people", ids[2:4], "bob") == 2
        uow.commit()
    with db.unit_of_work() as uow:
        seen: list[str] = []
        after = None
        while page := uow.faces.list_page("people", after, 4):
            seen += [f.face_id for f in page]
            after = page[-1].face_id
        assert seen == ids
        assert [f.face_id for f in uow.faces.list_page("people", None, 10, user_id="bob")] == ids[
            2:4
        ]
        picked = uow.faces.list_page("people", None, 10, face_ids=[ids[5], ids[1], "nope"])
        assert [f.face_id for f in picked] == [ids[1], ids[5]]
        got = uow.faces.get_many("people", [ids[4], "missing", ids[0]])
        assert [f.face_id for f in got] == [ids[4], ids[0]]
        assert got[0] == next(f for f in faces if f.face_id == ids[4])
        assert uow.faces.get("people", ids[2]).user_id == "bob"  # type: ignore[union-attr]
        assert uow.faces.count("people") == 9
        with pytest.raises(ResourceNotFoundException):
            uow.faces.list_page("nobody", None, 10)
        with pytest.raises(ResourceNotFoundException, match="user id: ghost"):
            uow.faces.set_user("people", ids[:1], "ghost")


def test_delete_faces_removes_thumbnails(db: Database) -> None:
    _, faces = seed(db, n_faces=3)
    fid = faces[1].face_id
    with db.unit_of_work() as uow:
        assert uow.faces.thumbnail("people", fid) == b"\xff\xd8jpeg" + fid.encode()
        assert uow.faces.delete_many("people", ["zzz", fid, fid]) == [fid]
        uow.commit()
    with db.unit_of_work() as uow:
        assert uow.faces.thumbnail("people", fid) is None
        assert uow.faces.count("people") == 2
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM face_thumbnails").scalar() == 2


def test_by_image_matches_external_id_exactly(db: Database) -> None:
    img = image(7)
    with db.unit_of_work() as uow:
        uow.collections.add(collection("c"))
        uow.images.upsert(img)
        uow.faces.add_many(
            [face("c", 1, img, None), face("c", 2, img, "x"), face("c", 3, img, "x")]
        )
        uow.commit()
    with db.unit_of_work() as uow:
        assert [f.face_id[:5] for f in uow.faces.by_image("c", img.image_id, None)] == ["f0001"]
        assert len(uow.faces.by_image("c", img.image_id, "x")) == 2
        assert uow.faces.by_image("c", img.image_id, "y") == []


def test_users_order_conflict_and_delete_unassociates(db: Database) -> None:
    _, faces = seed(db, n_faces=2)
    with db.unit_of_work() as uow:
        for uid in ["zed", "amy", "mia"]:
            uow.users.add(UserInfo(collection_id="people", user_id=uid))
        uow.faces.set_user("people", [f.face_id for f in faces], "amy")
        uow.commit()
    with db.unit_of_work() as uow:
        with pytest.raises(ConflictException):
            uow.users.add(UserInfo(collection_id="people", user_id="amy"))
        page = uow.users.list_page("people", None, 2)
        assert [u.user_id for u in page] == ["zed", "amy"]  # creation order
        assert page[1].face_count == 2 and page[1].created_at is not None
        assert [u.user_id for u in uow.users.list_page("people", "amy", 5)] == ["mia"]
        with pytest.raises(InvalidPaginationTokenException):
            uow.users.list_page("people", "ghost", 5)
        assert uow.users.face_ids("people", "amy") == sorted(f.face_id for f in faces)
        assert uow.users.count("people") == 3
        assert uow.users.delete("people", "amy") is True
        uow.commit()
    with db.unit_of_work() as uow:
        assert uow.users.get("people", "amy") is None
        assert all(f.user_id is None for f in uow.faces.list_page("people", None, 10))
        assert uow.faces.count("people") == 2
        pos = uow.users.list_page_by_position("people", None, 1)
        assert [u.user_id for _, u in uow.users.list_page_by_position("people", pos[0][0], 5)] == [
            "mia"
        ]


def test_index_records_none_external_id_collides_and_summaries(db: Database) -> None:
    img, faces = seed(db, n_faces=3)
    with db.unit_of_work() as uow:
        uow.index_records.add(record("people", img, "photo.jpg", 3, "/p/a.jpg"))
        uow.index_records.add(record("people", img, None, 0, "/p/a.jpg"))
        uow.commit()
    later = record("people", img, None, 0, "/p/b.jpg")
    later = IndexRecord(**{**later.__dict__, "indexed_at": T0 + timedelta(hours=1)})
    with db.unit_of_work() as uow:
        uow.index_records.add(later)  # same (image, None): replaces, does not duplicate
        uow.faces.delete_many("people", [faces[0].face_id])
        uow.commit()
    with db.unit_of_work() as uow:
        got = uow.index_records.get("people", img.image_id, None)
        assert got == later
        full = uow.index_records.get("people", img.image_id, "photo.jpg")
        assert full is not None and full.measurements[0] == {"sharpness": 12.5, "brightness": 60.0}
        assert len(uow.index_records.list_for_collection("people")) == 2
        summaries = uow.index_records.summaries("people")
        assert [(s.external_image_id, s.face_count, s.source_path) for s in summaries] == [
            ("photo.jpg", 2, "/p/a.jpg"),
            (None, 0, "/p/b.jpg"),
        ]
        assert (summaries[0].width, summaries[0].height, summaries[0].unindexed_count) == (
            640,
            480,
            1,
        )
        found = uow.index_records.find_by_source("people", "/p/a.jpg")
        assert found is not None and found.external_image_id == "photo.jpg"
        assert uow.index_records.delete_for_image("people", img.image_id, None) is True
        assert uow.index_records.get("people", img.image_id, None) is None
    # The database itself refuses a second None row (stored as ''), not only the repository.
    with db.engine.connect() as conn:
        from sqlalchemy.exc import IntegrityError

        with pytest.raises(IntegrityError):
            conn.exec_driver_sql(
                "INSERT INTO index_records (collection_pk, image_id, external_image_id, response,"
                " settings, measurements, indexed_at, face_count, unindexed_count)"
                " SELECT collection_pk, image_id, external_image_id, response, settings,"
                " measurements, indexed_at, face_count, unindexed_count FROM index_records"
                " WHERE external_image_id = ''"
            )


def test_request_tokens(db: Database) -> None:
    seed(db, n_faces=0)
    with db.unit_of_work() as uow:
        assert uow.tokens.get("people", "CreateUser", "t1") is None
        uow.tokens.put("people", "CreateUser", "t1", "abc", {"UserId": "u"})
        uow.commit()
    with db.unit_of_work() as uow:
        assert uow.tokens.get("people", "CreateUser", "t1") == ("abc", {"UserId": "u"})
        assert uow.tokens.get("people", "DeleteUser", "t1") is None
        assert uow.tokens.purge(datetime.now(UTC) + timedelta(seconds=1)) == 1
        uow.commit()
