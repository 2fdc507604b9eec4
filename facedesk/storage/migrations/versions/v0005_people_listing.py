"""People view at scale: covering indexes for the people and group listings.

``faces (collection_pk, user_pk, face_id)``: every person's face count and first face, and
the unnamed faces of a collection, read from the index alone (the rows hold the 512-byte
embedding, so reading them was most of the listing). ``face_groups (collection_pk,
group_id, face_id)`` replaces ``(collection_pk, group_id)``: group sizes and first faces
from the index. Measured with EXPLAIN QUERY PLAN on 100k faces / 5k people (BENCHMARKS.md).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(
        "ix_faces_collection_pk_user_pk_face_id",
        "faces",
        ["collection_pk", "user_pk", "face_id"],
        unique=False,
    )
    op.create_index(
        "ix_face_groups_collection_pk_group_id_face_id",
        "face_groups",
        ["collection_pk", "group_id", "face_id"],
        unique=False,
    )
    op.drop_index("ix_face_groups_collection_pk_group_id", table_name="face_groups")


def downgrade() -> None:
    op.create_index(
        "ix_face_groups_collection_pk_group_id",
        "face_groups",
        ["collection_pk", "group_id"],
        unique=False,
    )
    op.drop_index("ix_face_groups_collection_pk_group_id_face_id", table_name="face_groups")
    op.drop_index("ix_faces_collection_pk_user_pk_face_id", table_name="faces")
