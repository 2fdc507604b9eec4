"""The face-row reads behind ListFaces, the Faces grid and SearchFaces, on SQLite and
PostgreSQL: the prebuilt Core statements and the one face-row mapping give back exactly what
was stored (times to the microsecond, aware UTC), with or without descriptors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from facedesk.core.types import StoredFace, UserInfo
from facedesk.storage.database import Database
from facedesk.storage.library_queries import face_without_embedding
from facedesk.storage.repositories import NO_EMBEDDING
from tests.conftest import ALL_BACKENDS
from tests.integration.test_storage_repositories import collection, face, image

BACKENDS = ALL_BACKENDS
# Microseconds and a time past noon: what SQLite keeps as text must come back unchanged.
T1 = datetime(2025, 11, 30, 23, 59, 58, 123456, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _stored(db: Database, n: int = 7) -> list[StoredFace]:
    img = image(3)
    faces = [face("c", i, img, ext=None if i % 2 else f"p{i}.jpg") for i in range(n)]
    faces = [
        type(f)(**{**f.__dict__, "indexed_at": T1 + timedelta(microseconds=i)})
        for i, f in enumerate(faces)
    ]
    with db.unit_of_work() as uow:
        uow.collections.add(collection("c"))
        uow.images.upsert(img)
        uow.faces.add_many(faces)
        uow.commit()
    return sorted(faces, key=lambda f: f.face_id)


def test_pages_give_back_what_was_stored(db: Database) -> None:
    faces = _stored(db)
    with db.unit_of_work(read_only=True) as uow:
        scope = uow.collection("c").faces
        with_vectors = scope.list_page(None, 100)
        without = scope.list_page(None, 100, with_embeddings=False)
        second = scope.list_page(faces[2].face_id, 3, with_embeddings=False)
        picked = scope.get_many([faces[5].face_id, faces[1].face_id])
        one = face_without_embedding(uow, "c", faces[4].face_id)
    # StoredFace equality leaves the embedding out: every other field, indexed_at included.
    assert with_vectors == faces and without == faces
    assert [f.indexed_at for f in without] == [f.indexed_at for f in faces]
    assert all(f.indexed_at is not None and f.indexed_at.tzinfo == UTC for f in without)
    for got, want in zip(with_vectors, faces, strict=True):
        np.testing.assert_array_equal(got.embedding, want.embedding)
    assert all(f.embedding is NO_EMBEDDING for f in without)
    assert second == faces[3:6]
    assert picked == [faces[5], faces[1]]
    np.testing.assert_array_equal(picked[0].embedding, faces[5].embedding)
    assert one == faces[4] and one is not None and one.embedding.shape == (0,)


def test_a_page_sees_users_added_in_the_same_unit_of_work(db: Database) -> None:
    """The Core reads flush pending ORM objects first, as session.execute does."""
    faces = _stored(db)
    with db.unit_of_work() as uow:
        scope = uow.collection("c")
        scope.users.add(UserInfo(collection_id="c", user_id="ann"))
        scope.faces.set_user([faces[0].face_id, faces[3].face_id], "ann")
        page = scope.faces.list_page(None, 10, user_id="ann", with_embeddings=False)
        assert [f.face_id for f in page] == [faces[0].face_id, faces[3].face_id]
        assert {f.user_id for f in page} == {"ann"}
