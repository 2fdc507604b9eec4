"""Helpers every repository shares: chunking, embedding bytes, dialect switches, and the
collection lookup that a unit of work does once per collection."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from facedesk.core.errors import collection_not_found
from facedesk.core.types import Embedding
from facedesk.storage.orm import CollectionRow

EMBEDDING_DIM = 128
EMBEDDING_DTYPE = np.dtype("<f4")  # fixed byte order so files move between machines
IN_CHUNK = 500  # stay far below SQLite's bound-parameter limit
# Session.info key of the collections this session has looked up (see collection_ref).
_REFS_KEY = "facedesk_collections"

T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC)


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def embedding_to_bytes(embedding: Embedding) -> bytes:
    arr = np.asarray(embedding)
    if arr.ndim != 1:
        raise ValueError(f"embedding must be 1-D, got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=EMBEDDING_DTYPE).tobytes()


def embedding_from_bytes(blob: bytes) -> Embedding:
    """A read-only float32 view of the stored bytes."""
    return np.frombuffer(blob, dtype=EMBEDDING_DTYPE).astype(np.float32, copy=False)


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_ignoring_duplicates(session: Session, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect (SQLite or PostgreSQL)."""
    if is_postgresql(session):
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    if session.get_bind().dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing()
    return insert(table)


def to_db_external(external_image_id: str | None) -> str:
    return "" if external_image_id is None else external_image_id


def from_db_external(stored: str) -> str | None:
    return None if stored == "" else stored


@dataclass(frozen=True)
class CollectionRef:
    """A collection as one unit of work found it: its id, row key and model version."""

    collection_id: str
    pk: int
    face_model_version: str


def core_rows(
    session: Session, stmt: Any, params: Mapping[str, Any] | None = None, *, raw: bool = False
) -> Sequence[Any]:
    """Plain rows of a column select, on the session's connection and transaction.

    Not ``session.execute``: for a select of ORM columns that runs the ORM's row loading,
    ~2 us more a row (1,000 faces: 7.8 -> 5.6 ms CPU p50), and a ListFaces page is up to
    4,096 rows. Pending ORM objects are flushed first, as ``session.execute`` would
    (autoflush).

    ``raw``: the driver's own tuples from its cursor, without Core's result processing
    either (its Row objects cost more than SQLite's aggregate for the People listing's
    20k rows: 0.2 s against 0.1 s on a loaded machine). Only for str, int and float
    columns (a DateTime or Boolean comes back as the driver stores it) and statements
    without expanding ``IN`` parameters (the statement is compiled as it is)."""
    if session.autoflush:
        session.flush()  # returns at once when nothing is pending
    if not raw:
        return session.connection().execute(stmt, params or {}).all()
    dialect = session.get_bind().dialect
    compiled = stmt.compile(dialect=dialect)
    values = compiled.construct_params(dict(params or {}))
    args: Any = (
        tuple(values[name] for name in compiled.positiontup or ()) if dialect.positional else values
    )
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


@functools.cache
def _collection_statement() -> Any:
    # Built once: every operation looks its collection up, and building and cache-keying
    # a fresh select plus the ORM execution path cost more than the lookup itself.
    return select(CollectionRow.pk, CollectionRow.face_model_version).where(
        CollectionRow.collection_id == bindparam("cid")
    )


def find_collection(session: Session, collection_id: str) -> CollectionRef | None:
    """The collection, looked up once per session: later calls in the same unit of work
    read the session's memo instead of the database.

    The memo is safe for a whole transaction: a collection's row key never changes, and a
    collection deleted by this session is forgotten (``forget_collection``). One deleted by
    another process in the middle of our transaction (PostgreSQL's READ COMMITTED) makes
    our writes fail on the foreign key and roll back, as they would have a statement later.
    """
    refs: dict[str, CollectionRef] = session.info.setdefault(_REFS_KEY, {})
    ref = refs.get(collection_id)
    if ref is None:
        rows = core_rows(session, _collection_statement(), {"cid": collection_id})
        if not rows:
            return None
        pk, version = rows[0]
        ref = refs[collection_id] = CollectionRef(collection_id, int(pk), str(version))
    return ref


def require_collection(session: Session, collection_id: str) -> CollectionRef:
    ref = find_collection(session, collection_id)
    if ref is None:
        raise collection_not_found(collection_id)
    return ref


def require_pk(session: Session, collection_id: str) -> int:
    """The collection's row key; ResourceNotFoundException if there is no such collection."""
    return require_collection(session, collection_id).pk


def forget_collection(session: Session, collection_id: str) -> None:
    session.info.get(_REFS_KEY, {}).pop(collection_id, None)


def forget_all_collections(session: Session) -> None:
    """After a rollback nothing looked up in the transaction can be trusted."""
    session.info.pop(_REFS_KEY, None)
