"""PostgreSQL: pgvector embeddings with an HNSW index per collection (SQLite: no change).

On PostgreSQL ``faces.embedding`` becomes ``vector(128)`` (it was bytea, the little-endian
float32 bytes SQLite stores); the bytes are converted in Python in batches, since SQL has no
bytea -> float4 cast. SQLite keeps its BLOB column: it searches in process.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_BATCH = 2000


def _vector_literal(blob: bytes) -> str:
    values = np.frombuffer(blob, dtype="<f4")
    # repr of a float32 round-trips it exactly through pgvector's float4 parser.
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


def _faces_to_pgvector() -> None:
    bind = op.get_bind()
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute("ALTER TABLE faces ADD COLUMN embedding_v vector(128)")
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT collection_pk, face_id, embedding FROM faces "
                "WHERE embedding_v IS NULL LIMIT :n"
            ),
            {"n": _BATCH},
        ).all()
        if not rows:
            break
        bind.execute(
            sa.text(
                "UPDATE faces SET embedding_v = CAST(:v AS vector) "
                "WHERE collection_pk = :c AND face_id = :f"
            ),
            [{"v": _vector_literal(bytes(e)), "c": c, "f": f} for c, f, e in rows],
        )
    op.execute("ALTER TABLE faces DROP COLUMN embedding")
    op.execute("ALTER TABLE faces RENAME COLUMN embedding_v TO embedding")
    op.execute("ALTER TABLE faces ALTER COLUMN embedding SET NOT NULL")
    for (pk,) in bind.execute(sa.text("SELECT pk FROM collections")).all():
        # As repositories.create_hnsw_index makes them for new collections.
        op.execute(
            f"CREATE INDEX ix_faces_embedding_hnsw_c{int(pk)} ON faces "
            "USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64) "
            f"WHERE collection_pk = {int(pk)}"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _faces_to_pgvector()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        raise NotImplementedError("pgvector embeddings are not converted back to bytea")
