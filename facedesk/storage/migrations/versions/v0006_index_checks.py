"""PostgreSQL index checks: ``index_checks`` holds, per collection, the last check of its HNSW
index on its own faces and the first candidate list searches use (0: an exact scan). See
facedesk.storage.postgres_check. Created on SQLite too, where it stays empty.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "index_checks",
        sa.Column("collection_pk", sa.Integer(), nullable=False),
        sa.Column("faces", sa.Integer(), nullable=False),
        sa.Column("first_list", sa.Integer(), nullable=False),
        sa.Column("sampled", sa.Integer(), nullable=False),
        sa.Column("recall_at_10", sa.Float(), nullable=False),
        sa.Column("identical", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_pk"],
            ["collections.pk"],
            name=op.f("fk_index_checks_collection_pk_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_pk", name=op.f("pk_index_checks")),
    )


def downgrade() -> None:
    op.drop_table("index_checks")
