"""Copy a whole library between databases (SQLite <-> PostgreSQL): ``facedesk migrate``.

Every table is copied row for row with its keys, through the ORM's column types, so
embeddings travel as the same float32 bytes (BLOB on SQLite, pgvector on PostgreSQL) and
timestamps, JSON and thumbnails unchanged. The copy is one transaction on the target: it is
all there or not at all. On PostgreSQL the key sequences are moved past the copied keys and each
collection's HNSW index is built once after its faces are in (faster than growing it per row).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, text

from facedesk.storage import postgres
from facedesk.storage.database import Database
from facedesk.storage.orm import Base, CollectionRow

_BATCH = 2000
# Parents before children (foreign keys).
TABLES = (
    "collections",
    "images",
    "users",
    "faces",
    "face_thumbnails",
    "index_records",
    "request_tokens",
)
_SERIAL_KEYS = {"collections": "pk", "users": "pk", "index_records": "pk"}


class TargetNotEmptyError(RuntimeError):
    """``facedesk migrate`` never writes into a library that already holds data."""


@dataclass(frozen=True)
class TransferReport:
    rows: dict[str, int]  # table -> rows copied


def row_counts(db: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    with db.engine.connect() as conn:
        for name in TABLES:
            table = Base.metadata.tables[name]
            counts[name] = int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)
        conn.rollback()
    return counts


def copy_library(
    source: Database, target: Database, progress: Callable[[str, int], None] | None = None
) -> TransferReport:
    """Copy every row of ``source`` into the empty ``target``; TargetNotEmptyError otherwise."""
    if any(row_counts(target).values()):
        raise TargetNotEmptyError(
            f"the target {target!r} already holds a library: facedesk migrate only fills an "
            "empty one (nothing was written)"
        )
    copied: dict[str, int] = {}
    with source.engine.connect() as src, target.engine.begin() as dst:
        for name in TABLES:
            table = Base.metadata.tables[name]
            key = list(table.primary_key.columns)
            result = src.execution_options(yield_per=_BATCH).execute(select(table).order_by(*key))
            n = 0
            for batch in result.partitions():
                dst.execute(insert(table), [dict(row._mapping) for row in batch])
                n += len(batch)
                if progress is not None:
                    progress(name, n)
            copied[name] = n
        if target.is_postgresql:
            _after_bulk_load_postgresql(dst)
        src.rollback()
    return TransferReport(copied)


def index_checks(target: Database) -> dict[str, dict[str, Any]]:
    """PostgreSQL: check the copied collections' HNSW indexes on their own faces (see
    facedesk.storage.postgres_check), so searches use them from the first one on; the
    verdicts by CollectionId. Nothing on SQLite."""
    if not target.is_postgresql:
        return {}
    from facedesk.storage.postgres_check import check_due

    return {
        cid: {
            "Faces": v.faces,
            "FirstCandidateList": v.first_list or "exact scan",
            "Sampled": v.sample.checked,
            "RecallAt10": round(v.sample.recall_at_10, 4),
            "ThresholdAnswersIdentical": round(v.sample.identical, 4),
            "Seconds": round(v.seconds, 1),
        }
        for cid, v in check_due(target.engine).items()
    }


def _after_bulk_load_postgresql(conn: Any) -> None:
    for name, column in _SERIAL_KEYS.items():
        # The copied keys came with their values: new rows must start after them.
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                f"COALESCE((SELECT MAX({column}) FROM {name}), 0) + 1, false)"
            )
        )
    for pk in conn.execute(select(CollectionRow.pk)).scalars():
        postgres.create_hnsw_index(conn, int(pk))
