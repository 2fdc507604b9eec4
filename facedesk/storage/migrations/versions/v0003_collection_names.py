"""Collections: a display name of any text, kept apart from the CollectionId.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # nullable ADD COLUMN: no table rebuild on SQLite; existing collections show their id
    op.add_column(
        "collections", sa.Column("display_name", sa.String(length=512), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.drop_column("display_name")
