"""The People view's listing statements give the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from facedesk.core.types import UserInfo
from facedesk.storage.database import Database
from facedesk.storage.people_listing import group_face_ids, group_sizes, people_counts
from tests.integration.test_storage_repositories import collection, face, image

CID = "listing"


def _fill(db: Database) -> list[str]:
    """12 faces: person a has 3, b has 1 (cover chosen), c none (hidden d: 1); groups of
    3, 2 and 1 unnamed faces, and a group row left on a face named since."""
    img = image(1)
    faces = [face(CID, n, img) for n in range(12)]
    ids = [f.face_id for f in faces]
    with db.unit_of_work() as uow:
        uow.collections.add(collection(CID))
        uow.images.upsert(img)
        uow.faces.add_many(faces)
        for user_id in ("a", "b", "c", "d"):
            uow.users.add(UserInfo(CID, user_id, display_name=user_id.upper()))
        uow.faces.set_user(CID, ids[0:3], "a")
        uow.faces.set_user(CID, ids[3:4], "b")
        uow.faces.set_user(CID, ids[4:5], "d")
        uow.people.set_cover(CID, "b", ids[3])
        uow.people.set_hidden(CID, "d", True)
        uow.groups.assign(
            CID,
            {ids[5]: "g1", ids[6]: "g1", ids[7]: "g1", ids[8]: "g2", ids[9]: "g2"}
            | {ids[10]: "g3", ids[2]: "g2"},  # ids[2] belongs to a: not counted
        )
        uow.commit()
    return ids


def _listing(db: Database) -> tuple[Any, ...]:
    with db.unit_of_work(read_only=True) as uow:
        s = uow.session
        return (
            [tuple(p) for p in people_counts(s, CID)],
            [tuple(p) for p in people_counts(s, CID, include_hidden=True)],
            [tuple(g) for g in group_sizes(s, CID)],
            [group_face_ids(s, CID, g) for g in ("g1", "g2", "g3", "none")],
        )


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'listing.db'}")
    yield db
    db.dispose()


def test_listing_on_sqlite(sqlite_db: Database) -> None:
    ids = _fill(sqlite_db)
    people, everyone, groups, members = _listing(sqlite_db)
    assert people == [
        ("a", "A", None, 3, ids[0]),
        ("b", "B", ids[3], 1, ids[3]),
        ("c", "C", None, 0, None),
    ]
    assert [p[0] for p in everyone] == ["a", "b", "c", "d"]
    assert groups == [("g1", 3, ids[5]), ("g2", 2, ids[8]), ("g3", 1, ids[10])]
    assert members == [ids[5:8], ids[8:10], [ids[10]], []]


def test_listing_on_postgresql_matches_sqlite(sqlite_db: Database, pg_server: Any) -> None:
    url = pg_server.new_database()
    pg = Database(url)
    try:
        _fill(sqlite_db)
        _fill(pg)
        assert _listing(pg) == _listing(sqlite_db)
    finally:
        pg.dispose()
        pg_server.drop_database(url)


def _named(db: Database) -> tuple[list[tuple[str, str]], list[tuple[str, str]], int]:
    with db.unit_of_work(read_only=True) as uow:
        every = [(u, f) for u, f, _, _ in uow.groups.named_faces(CID)]
        some = [(u, f) for u, f, _, _ in uow.groups.named_faces(CID, ["d", "a", "nobody"])]
        return every, some, uow.people.named_count(CID)


def test_named_faces_of_some_people_and_the_named_count(
    sqlite_db: Database, pg_server: Any
) -> None:
    """What the kept suggestions read again for the people an action touched: the same
    rows, in the same order, as the full read gives for them; on SQLite and PostgreSQL."""
    url = pg_server.new_database()
    pg = Database(url)
    try:
        ids = _fill(sqlite_db)
        _fill(pg)
        every, some, count = _named(sqlite_db)
        assert every == sorted([("a", f) for f in ids[0:3]] + [("b", ids[3]), ("d", ids[4])])
        assert some == [row for row in every if row[0] in ("a", "d")]
        assert count == 5
        assert _named(pg) == (every, some, count)
    finally:
        pg.dispose()
        pg_server.drop_database(url)
