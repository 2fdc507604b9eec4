"""The collection aggregate and its events on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event, text

from facedesk.core.errors import ResourceNotFoundException
from facedesk.core.events import CollectionDropped, Event, FacesChanged
from facedesk.core.types import BoundingBox, CollectionInfo, ImageInfo, StoredFace
from facedesk.service.context import ServiceContext
from facedesk.storage.database import Database
from facedesk.storage.repositories import TOKEN_WINDOW
from tests.conftest import ALL_BACKENDS

BACKENDS = ALL_BACKENDS
CID = "events"
IMG = ImageInfo(
    image_id="00000000-0000-4000-8000-000000000001",
    sha256=hashlib.sha256(b"1").hexdigest(),
    byte_size=1000,
    width=640,
    height=480,
    format="JPEG",
)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    with database.unit_of_work() as uow:
        info = CollectionInfo(CID, "1.0", f"arn:{CID}", datetime.now(UTC))
        uow.collections.add(info)
        uow.images.upsert(IMG)
        uow.commit()
    yield database
    database.dispose()


def face(n: int) -> StoredFace:
    rng = np.random.default_rng(n)
    return StoredFace(
        face_id=f"{n:08d}-0000-4000-8000-000000000000",
        collection_id=CID,
        image_id=IMG.image_id,
        external_image_id=None,
        bounding_box=BoundingBox(0.1, 0.1, 0.2, 0.2),
        confidence=99.0,
        model_version="1.0",
        embedding=rng.standard_normal(128).astype(np.float32),
    )


def statements(db: Database) -> list[str]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    return seen


def test_the_collection_is_looked_up_once_per_unit_of_work(db: Database) -> None:
    seen = statements(db)
    with db.unit_of_work(read_only=True) as uow:
        collection = uow.collection(CID)
        assert uow.collection(CID) is collection
        assert collection.face_model_version == "1.0"
        collection.faces.get_many(["x"])
        uow.users.get(CID, "nobody")  # the older call shape goes through the same lookup
        uow.index_records.get(CID, IMG.image_id, None)
        uow.collections.ensure(CID)
        with pytest.raises(ResourceNotFoundException) as err:
            uow.collection("missing")
    assert err.value.message == "The collection id: missing does not exist"
    lookups = [s for s in seen if "FROM collections" in s]
    assert len(lookups) == 2  # CID once, "missing" once


def test_commit_publishes_what_changed_and_a_rollback_nothing(db: Database) -> None:
    events: list[Event] = []
    db.subscribe(events.append)
    with db.unit_of_work() as uow:
        uow.collection(CID).faces.add_many([face(1), face(2), face(3)])
        uow.collection(CID).faces.delete_many([face(3).face_id])  # added and gone: not added
        uow.commit()
    assert len(events) == 1 and isinstance(events[0], FacesChanged)
    first = events[0]
    assert [f.face_id for f in first.added] == [face(1).face_id, face(2).face_id]
    assert first.removed == (face(3).face_id,)
    with db.unit_of_work() as uow:
        uow.faces.delete_many(CID, [face(1).face_id])
        # no commit: rolled back, never announced
    with db.unit_of_work() as uow:
        assert uow.collections.generation(CID) == first.generation
        uow.faces.delete_many(CID, [face(1).face_id, "unknown"])
        uow.commit()
    assert events[1] == FacesChanged(CID, first.generation + 1, (), (face(1).face_id,))
    with db.unit_of_work() as uow:
        uow.collections.delete(CID)
        uow.commit()
    assert events[2:] == [CollectionDropped(CID)]


def test_request_tokens_expire_and_are_purged_on_write(db: Database) -> None:
    with db.unit_of_work() as uow:
        uow.collection(CID).tokens.put("CreateUser", "old", "h", {"a": 1})
        uow.commit()
    with db.engine.begin() as conn:  # age the token past the window
        past = datetime.now(UTC) - TOKEN_WINDOW - timedelta(minutes=1)
        conn.execute(text("UPDATE request_tokens SET created_at = :t"), {"t": past})
    with db.unit_of_work() as uow:
        tokens = uow.collection(CID).tokens
        assert tokens.get("CreateUser", "old") is None  # a new request now
        tokens.put("CreateUser", "new", "h", {"a": 2})
        uow.commit()
    with db.engine.connect() as conn:
        left = conn.execute(text("SELECT token FROM request_tokens")).scalars().all()
    assert left == ["new"]


def test_search_matrix_follows_own_and_other_writers(db: Database, backend: str) -> None:
    ctx = ServiceContext(db.url)
    other = Database(db.url)  # another process's connection: its commits are not announced
    try:
        with ctx.db.unit_of_work() as uow:
            uow.collection(CID).faces.add_many([face(1), face(2)])
            uow.commit()
        index = ctx.vectors(CID)
        assert sorted(index.face_ids()) == [face(1).face_id, face(2).face_id]
        seen = statements(ctx.db)
        assert ctx.vectors(CID) is index
        if backend == "sqlite":
            assert seen == []  # nothing committed anywhere: no transaction opened
        with ctx.db.unit_of_work() as uow:
            uow.collection(CID).faces.add_many([face(3)])
            uow.commit()
        seen.clear()
        assert len(ctx.vectors(CID).face_ids()) == 3
        assert not [s for s in seen if "faces.embedding" in s]  # from the event, not reloaded
        with other.unit_of_work() as uow:
            uow.collection(CID).faces.delete_many([face(1).face_id])
            uow.commit()
        assert sorted(ctx.vectors(CID).face_ids()) == [face(2).face_id, face(3).face_id]
    finally:
        other.dispose()
        ctx.close()


def test_data_version_moves_only_on_commits(db: Database, backend: str) -> None:
    if backend != "sqlite":
        assert db.data_version() is None  # PostgreSQL: callers read the generation instead
        return
    before = db.data_version()
    with db.unit_of_work(read_only=True) as uow:
        uow.collection(CID)
    assert db.data_version() == before
    with db.unit_of_work() as uow:
        uow.collection(CID).faces.add_many([face(9)])
        uow.commit()
    assert db.data_version() != before
