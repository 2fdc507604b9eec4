"""The window's first screen read with the standard library's sqlite3, before SQLAlchemy.

At start the People view waited for the first database use: importing SQLAlchemy, its ORM
and facedesk's repositories costs 0.5-1 s of CPU (under the GIL, so running it beside the
window's build only slows the window down), and the listing itself takes 0.4 s at 100k
faces. The first screen needs four reads: the collections with their counts, the people
with counts and covers, the groups with sizes, the first screens' crops. Here they are
the same statements as the repositories' (``repositories/collections.py``,
``people_listing.py``, ``FaceRepository.thumbnails``; tests/integration/
test_people_quick.py compares the answers), on a plain sqlite3 connection, so the window
shows people while SQLAlchemy is still to be imported (by the grids, after them).

Only for a SQLite file that exists and is at the schema revision this code knows
(``SCHEMA_REVISION``): anything else (a new file, an older schema to migrate, a newer one
to refuse, PostgreSQL) gets ``None`` from ``QuickReader.open`` and goes through
``Database``, which creates, migrates or refuses as before. Nothing here writes; SQLite
gives the -wal and -shm files it may create the database file's own permissions.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from facedesk.core.errors import collection_not_found
from facedesk.core.types import CollectionInfo
from facedesk.storage.utc import aware_utc

# Database.HEAD_REVISION, which is not imported here (its module imports SQLAlchemy); a
# test checks the two are equal, so a new migration cannot leave this one behind.
SCHEMA_REVISION = "0006"
BUSY_TIMEOUT_S = 30.0  # as Database's busy_timeout
IN_CHUNK = 500  # as the repositories' chunks: far below SQLite's bound-parameter limit

# (UserId, display name, chosen cover FaceId, face count, smallest FaceId): PersonTuple
PersonTuple = tuple[str, str | None, str | None, int, str | None]
# (GroupId, unnamed faces in it, smallest FaceId): GroupTuple
GroupTuple = tuple[str, int, str]

_COLLECTIONS = (
    "SELECT c.collection_id, c.face_model_version, c.arn, c.created_at,"
    " (SELECT count(*) FROM faces WHERE faces.collection_pk = c.pk),"
    " (SELECT count(*) FROM users WHERE users.collection_pk = c.pk),"
    " c.display_name FROM collections AS c ORDER BY c.collection_id"
)
# people_listing.people_statement, as SQLAlchemy compiles it for SQLite
_PEOPLE = (
    "SELECT users.user_id, users.display_name, users.cover_face_id, coalesce(anon_1.n, 0),"
    " anon_1.first FROM users LEFT OUTER JOIN (SELECT faces.user_pk AS user_pk,"
    " count(*) AS n, min(faces.face_id) AS first FROM faces"
    " WHERE faces.collection_pk = ? AND faces.user_pk IS NOT NULL GROUP BY faces.user_pk)"
    " AS anon_1 ON anon_1.user_pk = users.pk"
    " WHERE users.collection_pk = ? AND users.hidden IS 0 ORDER BY users.pk"
)
# people_listing.groups_statement
_GROUPS = (
    "SELECT face_groups.group_id, count(*) AS n, min(face_groups.face_id) AS first"
    " FROM face_groups WHERE face_groups.collection_pk = ? AND face_groups.face_id IN"
    " (SELECT faces.face_id FROM faces WHERE faces.collection_pk = ? AND faces.user_pk IS NULL)"
    " GROUP BY face_groups.group_id ORDER BY n DESC, first"
)


def sqlite_file(database_url: str) -> Path | None:
    """The file of a plain path or a ``sqlite:///`` URL; None for anything else (memory,
    URI filenames, query options, other databases)."""
    text = database_url
    if "://" in text:
        prefix = "sqlite:///"
        if not text.startswith(prefix) or "?" in text:
            return None
        text = text[len(prefix) :]
    if not text or text == ":memory:" or text.startswith("file:"):
        return None
    return Path(text).expanduser().resolve()


class QuickReader:
    """Read-only answers for the first screen from one SQLite file (a connection each)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def open(cls, database_url: str) -> QuickReader | None:
        """A reader if the database is an existing SQLite file at ``SCHEMA_REVISION``."""
        path = sqlite_file(database_url)
        if path is None or not path.is_file():
            return None
        reader = cls(path)
        try:
            with reader._read() as con:
                found = [r for (r,) in con.execute("SELECT version_num FROM alembic_version")]
        except sqlite3.Error:
            return None  # not a database, no version table yet, locked past the timeout
        return reader if found == [SCHEMA_REVISION] else None

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction (one snapshot of the WAL) on a fresh connection. mode=rw:
        a file gone meanwhile is an error, never created anew."""
        uri = f"file:{quote(str(self.path))}?mode=rw"
        con = sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        with closing(con):
            con.execute("BEGIN DEFERRED")
            try:
                yield con
            finally:
                con.execute("ROLLBACK")  # read only: nothing to keep

    def collections(self) -> list[CollectionInfo]:
        """Every collection with its face and user counts (as ``Library.collections``)."""
        with self._read() as con:
            rows = con.execute(_COLLECTIONS).fetchall()
        return [
            CollectionInfo(
                collection_id=cid,
                face_model_version=version,
                arn=arn,
                created_at=aware_utc(created),
                face_count=int(faces),
                user_count=int(users),
                display_name=name,
            )
            for cid, version, arn, created, faces, users, name in rows
        ]

    def people_and_groups(self, collection_id: str) -> tuple[list[PersonTuple], list[GroupTuple]]:
        """``people_counts`` and ``group_sizes`` in one snapshot; ResourceNotFoundException
        for a collection that does not exist."""
        with self._read() as con:
            cpk = _collection_pk(con, collection_id)
            people = con.execute(_PEOPLE, (cpk, cpk)).fetchall()
            groups = con.execute(_GROUPS, (cpk, cpk)).fetchall()
        return people, groups

    def thumbnails(self, collection_id: str, face_ids: Sequence[str]) -> dict[str, bytes]:
        """The stored crops of these faces (faces without one are left out)."""
        ids = list(face_ids)
        found: dict[str, bytes] = {}
        with self._read() as con:
            cpk = _collection_pk(con, collection_id)
            for k in range(0, len(ids), IN_CHUNK):
                chunk = ids[k : k + IN_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = con.execute(
                    "SELECT face_id, jpeg FROM face_thumbnails"
                    f" WHERE collection_pk = ? AND face_id IN ({marks})",
                    (cpk, *chunk),
                )
                found.update((fid, bytes(jpeg)) for fid, jpeg in rows)
        return found


def _collection_pk(con: sqlite3.Connection, collection_id: str) -> int:
    row = con.execute(
        "SELECT pk FROM collections WHERE collection_id = ?", (collection_id,)
    ).fetchone()
    if row is None:
        raise collection_not_found(collection_id)
    return int(row[0])
