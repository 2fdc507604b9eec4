"""A collection's rows as plain values, out and back in: the storage side of the portable
library bundle (``facedesk.service.bundle`` owns the file format).

Rows are read and written table by table from the ORM's own metadata, so a column added by
a later migration (display names, hidden people) travels without a change here. Surrogate
keys (``collections.pk``, ``users.pk``, ``index_records.pk``) are local to a database: they
are left out on the way out and made anew on the way in, with ``faces.user_pk`` mapped
through the users' UserIds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import DateTime, LargeBinary, Table, insert, select, update
from sqlalchemy.orm import Session

from facedesk.core.errors import ResourceAlreadyExistsException
from facedesk.storage.orm import Base, Embedding, ImageRow, IndexRecordRow, UserRow, UTCDateTime
from facedesk.storage.repositories.common import require_pk as _require_pk
from facedesk.storage.repositories.common import to_db_external as _to_db_external

if TYPE_CHECKING:
    from sqlalchemy.engine import CursorResult

# Per-collection tables in the order they can be inserted. Derived tables (face groups) and
# tables that only exist from a later revision are taken when the database has them.
# Not carried: request tokens (ClientRequestToken replays, valid for hours) and the people
# undo journal (history of this database, not content).
COLLECTION_TABLES = (
    "users",
    "faces",
    "face_thumbnails",
    "index_records",
    "face_rejections",
    "face_groups",
)
_LOCAL_KEYS = {"collections": ("pk",), "users": ("pk",), "index_records": ("pk",)}

Row = dict[str, Any]


def _table(name: str) -> Table | None:
    return Base.metadata.tables.get(name)


def _required(name: str) -> Table:
    return Base.metadata.tables[name]


def _pk(result: Any) -> int:
    key = cast("CursorResult[Any]", result).inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no key for an inserted row")
    return int(key[0])


def _plain(table: Table, row: Any, drop: Sequence[str]) -> Row:
    return {c.name: row[c.name] for c in table.columns if c.name not in drop}


def table_columns() -> dict[str, list[str]]:
    """Every carried table and its columns (for the bundle's manifest and checks)."""
    names = ("collections", "images", *COLLECTION_TABLES)
    return {n: [c.name for c in t.columns] for n in names if (t := _table(n)) is not None}


def _is_binary(column: Any) -> bool:
    # Embedding is bytes in Python on every backend (a pgvector column on PostgreSQL)
    return isinstance(column.type, LargeBinary | Embedding)


def _is_datetime(column: Any) -> bool:
    return isinstance(column.type, UTCDateTime | DateTime)


def encode(
    rows: Mapping[str, Sequence[Row]],
) -> tuple[dict[str, list[Row]], dict[str, list[bytes]]]:
    """Dumped rows -> (JSON-able rows, binary columns).

    Timestamps become ISO 8601 text with their UTC offset (microseconds kept). Every binary
    column (face descriptors, thumbnails) is taken out of its rows into ``blobs["table.col"]``,
    one entry per row in row order, so the file format can store them as arrays and files.
    """
    out: dict[str, list[Row]] = {}
    blobs: dict[str, list[bytes]] = {}
    for name, items in rows.items():
        table = _required(name)
        binary = [c.name for c in table.columns if _is_binary(c) and c.name in _first(items)]
        stamps = [c.name for c in table.columns if _is_datetime(c)]
        plain = []
        for item in items:
            row = dict(item)
            for col in binary:
                blobs.setdefault(f"{name}.{col}", []).append(bytes(row.pop(col)))
            for col in stamps:
                if row.get(col) is not None:
                    row[col] = row[col].isoformat()
            plain.append(row)
        out[name] = plain
    return out, blobs


def decode(
    rows: Mapping[str, Sequence[Row]], blobs: Mapping[str, Sequence[bytes]]
) -> dict[str, list[Row]]:
    """The inverse of ``encode``. Unknown tables or columns (a bundle from a newer
    facedesk) raise ValueError naming them, before anything is written."""
    out: dict[str, list[Row]] = {}
    for name, items in rows.items():
        table = _table(name)
        if table is None:
            raise ValueError(f"the bundle has a table this facedesk does not know: {name}")
        known = {c.name for c in table.columns} | ({"user_id"} if name == "faces" else set())
        binary = [c.name for c in table.columns if _is_binary(c)]
        stamps = [c.name for c in table.columns if _is_datetime(c)]
        decoded = []
        for i, item in enumerate(items):
            unknown = set(item) - known
            if unknown:
                raise ValueError(
                    f"the bundle's {name} rows have columns this facedesk does not know: "
                    + ", ".join(sorted(unknown))
                )
            row = dict(item)
            for col in binary:
                key = f"{name}.{col}"
                if key in blobs:
                    row[col] = bytes(blobs[key][i])
            for col in stamps:
                if isinstance(row.get(col), str):
                    row[col] = datetime.fromisoformat(row[col])
            decoded.append(row)
        out[name] = decoded
    return out


def _first(items: Sequence[Row]) -> Row:
    return items[0] if items else {}


class PortableRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    # -- out -----------------------------------------------------------------------------
    def dump(self, collection_id: str) -> dict[str, list[Row]]:
        """All rows of one collection: {"collections": [one], "images": [...], table: [...]}.

        ``collection_pk`` is dropped everywhere; ``faces.user_pk`` becomes ``user_id``.
        Rows come in primary-key order, so two dumps of equal collections compare equal.
        """
        cpk = _require_pk(self._s, collection_id)
        out: dict[str, list[Row]] = {}
        ctable = _required("collections")
        crow = self._s.execute(select(ctable).where(ctable.c.pk == cpk)).mappings().one()
        out["collections"] = [_plain(ctable, crow, ("pk",))]
        user_ids = {
            int(pk): str(uid)
            for pk, uid in self._s.execute(
                select(UserRow.pk, UserRow.user_id).where(UserRow.collection_pk == cpk)
            )
        }
        for name in COLLECTION_TABLES:
            table = _table(name)
            if table is None:
                continue
            drop = ("collection_pk", *_LOCAL_KEYS.get(name, ()))
            # By primary key, local keys included: users and index records come out (and
            # go back in) in creation order, which ListUsers and the photo grid show.
            order = list(table.primary_key.columns)
            rows = self._s.execute(
                select(table).where(table.c.collection_pk == cpk).order_by(*order)
            ).mappings()
            plain = []
            for row in rows:
                item = _plain(table, row, drop)
                if name == "faces":
                    pk = item.pop("user_pk")
                    item["user_id"] = None if pk is None else user_ids[pk]
                plain.append(item)
            out[name] = plain
        image_ids = sorted(
            {r["image_id"] for r in out.get("faces", [])}
            | {r["image_id"] for r in out.get("index_records", [])}
        )
        itable = _required("images")
        out["images"] = [
            _plain(itable, row, ())
            for chunk_start in range(0, len(image_ids), 500)
            for row in self._s.execute(
                select(itable)
                .where(itable.c.image_id.in_(image_ids[chunk_start : chunk_start + 500]))
                .order_by(itable.c.image_id)
            ).mappings()
        ]
        return out

    # -- in ------------------------------------------------------------------------------
    def load(self, collection_id: str, arn: str, rows: Mapping[str, Sequence[Row]]) -> None:
        """Insert a dumped collection under ``collection_id`` (which must be free).

        Images already in this database are kept as they are (an image row is the same
        for the same ImageId: a name-based UUID of the bytes and model version).
        """
        ctable = _required("collections")
        if self._s.scalar(select(ctable.c.pk).where(ctable.c.collection_id == collection_id)):
            raise ResourceAlreadyExistsException(
                f"The collection id: {collection_id} already exists"
            )
        (collection,) = rows["collections"]
        inserted = self._s.execute(
            insert(ctable).values(**{**collection, "collection_id": collection_id, "arn": arn})
        )
        cpk = _pk(inserted)
        itable = _required("images")
        for image in rows.get("images", ()):
            if self._s.get(ImageRow, image["image_id"]) is None:
                self._s.execute(insert(itable).values(**image))
        user_pks: dict[str, int] = {}
        for name in COLLECTION_TABLES:
            table = _table(name)
            items = rows.get(name, ())
            if table is None:
                if items:
                    raise ValueError(f"this database has no table {name!r} for the bundle's rows")
                continue
            for item in items:
                values = {**item, "collection_pk": cpk}
                if name == "faces":
                    user_id = values.pop("user_id")
                    values["user_pk"] = None if user_id is None else user_pks[user_id]
                result = self._s.execute(insert(table).values(**values))
                if name == "users":
                    user_pks[item["user_id"]] = _pk(result)
        self._s.flush()

    # -- other ---------------------------------------------------------------------------
    def set_source_stat(
        self,
        collection_id: str,
        image_id: str,
        external_image_id: str | None,
        size: int,
        mtime: float,
    ) -> None:
        """Record a source file's new size and time (its picture is unchanged)."""
        cpk = _require_pk(self._s, collection_id)
        self._s.execute(
            update(IndexRecordRow)
            .where(
                IndexRecordRow.collection_pk == cpk,
                IndexRecordRow.image_id == image_id,
                IndexRecordRow.external_image_id == _to_db_external(external_image_id),
            )
            .values(source_size=size, source_mtime=mtime)
        )
