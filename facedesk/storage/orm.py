"""SQLAlchemy 2 declarative tables. Rows never leave facedesk.storage (repositories map them).

Every timestamp is stored as UTC and read back tz-aware. Embeddings are raw float32 bytes in
Python and on SQLite; on PostgreSQL they are a pgvector ``vector(128)`` column (float4, so the
bytes round-trip exactly) with an HNSW index for nearest-neighbour search in the database.
``index_records.external_image_id`` stores '' for "no ExternalImageId" so the unique key also
collides for None (Rekognition's ExternalImageId pattern never allows the empty string).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from facedesk.core.similarity import DESCRIPTOR_SIZE

# Named constraints keep Alembic batch migrations on SQLite deterministic.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Naive UTC in the database, aware UTC in Python (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Embedding(TypeDecorator[bytes]):
    """Little-endian float32 bytes in Python; BLOB on SQLite, ``vector(128)`` on PostgreSQL.

    pgvector stores float4, the same precision as the bytes, so values (and therefore every
    similarity) are identical on both backends. pgvector is imported only for PostgreSQL: it
    is the optional ``postgres`` extra.
    """

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from pgvector.sqlalchemy import VECTOR

            return dialect.type_descriptor(VECTOR(DESCRIPTOR_SIZE))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "postgresql":
            return value
        return np.frombuffer(value, dtype="<f4")

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None or dialect.name != "postgresql":
            return value  # type: ignore[no-any-return]
        return np.ascontiguousarray(value, dtype="<f4").tobytes()


# PostgreSQL: one partial HNSW index per collection, ``ix_faces_embedding_hnsw_c<pk>``
# (see repositories.py): pgvector 0.6 filters an index scan's results after the fact, so one
# index over every collection would starve a small collection's search of candidates.
HNSW_INDEX_PREFIX = "ix_faces_embedding_hnsw_c"


def autogenerate_filter(dialect: str) -> Any:
    """Alembic ``include_object``: leave out the per-collection HNSW indexes, which the
    repositories create and drop with their collections (no metadata can list them)."""

    def include(obj: Any, name: Any, type_: Any, _reflected: Any, _compare_to: Any) -> bool:
        return not (type_ == "index" and str(name).startswith(HNSW_INDEX_PREFIX))

    return include


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        bytes: LargeBinary(),
    }


class CollectionRow(Base):
    __tablename__ = "collections"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[str] = mapped_column(String(255), unique=True)
    face_model_version: Mapped[str] = mapped_column(String(32))
    arn: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime]
    # Bumped by every write that adds or removes faces, so a process holding a search
    # matrix in memory can tell that another process changed the collection.
    generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # What people call it ("My Family"); the CollectionId stays the API's key.
    display_name: Mapped[str | None] = mapped_column(String(512))


class ImageRow(Base):
    __tablename__ = "images"

    image_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    byte_size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(16))


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("collection_pk", "user_id"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_pk: Mapped[int] = mapped_column(ForeignKey("collections.pk", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    # facedesk's own person data beside the Rekognition user (revision 0002): any Unicode
    # name (the UserId pattern allows no spaces), hidden from the People view, and the face
    # shown as the person's picture (a plain id: a deleted face just falls back to another).
    display_name: Mapped[str | None] = mapped_column(String(512))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cover_face_id: Mapped[str | None] = mapped_column(String(36))


class FaceRow(Base):
    __tablename__ = "faces"
    __table_args__ = (
        Index("ix_faces_collection_pk_image_id", "collection_pk", "image_id"),
        Index("ix_faces_user_pk", "user_pk"),
        # People view: faces per person and the unnamed faces, read from the index alone
        Index("ix_faces_collection_pk_user_pk_face_id", "collection_pk", "user_pk", "face_id"),
    )

    collection_pk: Mapped[int] = mapped_column(
        ForeignKey("collections.pk", ondelete="CASCADE"), primary_key=True
    )
    face_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    image_id: Mapped[str] = mapped_column(ForeignKey("images.image_id"))
    external_image_id: Mapped[str | None] = mapped_column(String(255))
    box_left: Mapped[float] = mapped_column(Float)
    box_top: Mapped[float] = mapped_column(Float)
    box_width: Mapped[float] = mapped_column(Float)
    box_height: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(32))
    user_pk: Mapped[int | None] = mapped_column(ForeignKey("users.pk", ondelete="SET NULL"))
    embedding: Mapped[bytes] = mapped_column(Embedding())
    indexed_at: Mapped[datetime]


class FaceThumbnailRow(Base):
    __tablename__ = "face_thumbnails"
    __table_args__ = (
        ForeignKeyConstraint(
            ["collection_pk", "face_id"],
            ["faces.collection_pk", "faces.face_id"],
            ondelete="CASCADE",
        ),
    )

    collection_pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    face_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    jpeg: Mapped[bytes]


class IndexRecordRow(Base):
    __tablename__ = "index_records"
    __table_args__ = (
        UniqueConstraint("collection_pk", "image_id", "external_image_id"),
        Index("ix_index_records_collection_pk_source_path", "collection_pk", "source_path"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_pk: Mapped[int] = mapped_column(ForeignKey("collections.pk", ondelete="CASCADE"))
    image_id: Mapped[str] = mapped_column(ForeignKey("images.image_id"))
    # '' means None, see the module docstring.
    external_image_id: Mapped[str] = mapped_column(String(255))
    response: Mapped[dict[str, Any]]
    settings: Mapped[dict[str, Any]]
    measurements: Mapped[list[Any]]
    indexed_at: Mapped[datetime]
    face_count: Mapped[int] = mapped_column(Integer)
    unindexed_count: Mapped[int] = mapped_column(Integer)
    source_path: Mapped[str | None] = mapped_column(String(4096))
    source_size: Mapped[int | None] = mapped_column(BigInteger)
    source_mtime: Mapped[float | None] = mapped_column(Float)


class RequestTokenRow(Base):
    __tablename__ = "request_tokens"

    collection_pk: Mapped[int] = mapped_column(
        ForeignKey("collections.pk", ondelete="CASCADE"), primary_key=True
    )
    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    params_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class FaceRejectionRow(Base):
    """ "This face is not <user>": never suggest the pair again. Keyed by the UserId text so
    a person deleted and restored by undo keeps its rejections; gone with the face."""

    __tablename__ = "face_rejections"
    __table_args__ = (
        ForeignKeyConstraint(
            ["collection_pk", "face_id"],
            ["faces.collection_pk", "faces.face_id"],
            ondelete="CASCADE",
        ),
    )

    collection_pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    face_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at: Mapped[datetime]


class FaceGroupRow(Base):
    """Derived: the candidate person (group) of an unnamed face, kept current incrementally
    so that a restart or another process (the CLI) sees the same GroupIds."""

    __tablename__ = "face_groups"
    __table_args__ = (
        ForeignKeyConstraint(
            ["collection_pk", "face_id"],
            ["faces.collection_pk", "faces.face_id"],
            ondelete="CASCADE",
        ),
        # covering: group sizes and first faces without reading the table (People view)
        Index(
            "ix_face_groups_collection_pk_group_id_face_id", "collection_pk", "group_id", "face_id"
        ),
    )

    collection_pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    face_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(36))


class PeopleJournalRow(Base):
    """One people action (name, assign, merge, ...) with the state before and after it, so
    undo and redo survive a restart. ``undone`` entries are the redo stack."""

    __tablename__ = "people_journal"
    __table_args__ = (Index("ix_people_journal_collection_pk_pk", "collection_pk", "pk"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_pk: Mapped[int] = mapped_column(ForeignKey("collections.pk", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(1024))
    before: Mapped[dict[str, Any]]
    after: Mapped[dict[str, Any]]
    undone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]


class IndexCheckRow(Base):
    """PostgreSQL: the last check of a collection's HNSW index on its own faces
    (facedesk.storage.postgres_check), shared by every machine that opens the library. The
    table exists on SQLite too, empty: one schema, one migration history."""

    __tablename__ = "index_checks"

    collection_pk: Mapped[int] = mapped_column(
        ForeignKey("collections.pk", ondelete="CASCADE"), primary_key=True
    )
    faces: Mapped[int] = mapped_column(Integer)  # the collection's faces when checked
    first_list: Mapped[int] = mapped_column(Integer)  # hnsw.ef_search to use; 0: exact scan
    sampled: Mapped[int] = mapped_column(Integer)
    recall_at_10: Mapped[float] = mapped_column(Float)
    identical: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    checked_at: Mapped[datetime]
