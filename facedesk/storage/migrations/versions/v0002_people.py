"""People: display name, hidden flag and cover face on users; face rejections, face groups
and the people undo journal.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): SQLite allows it for nullable columns and for a
    # NOT NULL column with a constant default, which fills the existing rows.
    op.add_column("users", sa.Column("display_name", sa.String(length=512), nullable=True))
    op.add_column(
        "users", sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("users", sa.Column("cover_face_id", sa.String(length=36), nullable=True))
    op.create_table(
        "face_rejections",
        sa.Column("collection_pk", sa.Integer(), nullable=False),
        sa.Column("face_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_pk", "face_id"],
            ["faces.collection_pk", "faces.face_id"],
            name=op.f("fk_face_rejections_collection_pk_face_id_faces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "collection_pk", "face_id", "user_id", name=op.f("pk_face_rejections")
        ),
    )
    op.create_table(
        "face_groups",
        sa.Column("collection_pk", sa.Integer(), nullable=False),
        sa.Column("face_id", sa.String(length=36), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_pk", "face_id"],
            ["faces.collection_pk", "faces.face_id"],
            name=op.f("fk_face_groups_collection_pk_face_id_faces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_pk", "face_id", name=op.f("pk_face_groups")),
    )
    op.create_index(
        "ix_face_groups_collection_pk_group_id",
        "face_groups",
        ["collection_pk", "group_id"],
        unique=False,
    )
    op.create_table(
        "people_journal",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("collection_pk", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.String(length=1024), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("undone", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_pk"],
            ["collections.pk"],
            name=op.f("fk_people_journal_collection_pk_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_people_journal")),
    )
    op.create_index(
        "ix_people_journal_collection_pk_pk",
        "people_journal",
        ["collection_pk", "pk"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_people_journal_collection_pk_pk", table_name="people_journal")
    op.drop_table("people_journal")
    op.drop_index("ix_face_groups_collection_pk_group_id", table_name="face_groups")
    op.drop_table("face_groups")
    op.drop_table("face_rejections")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("cover_face_id")
        batch.drop_column("hidden")
        batch.drop_column("display_name")
