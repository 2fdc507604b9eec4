"""Baseline schema: collections, images, users, faces, face_thumbnails, index_records,
request_tokens.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.String(length=255), nullable=False),
        sa.Column("face_model_version", sa.String(length=32), nullable=False),
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_collections")),
        sa.UniqueConstraint("collection_id", name=op.f("uq_collections_collection_id")),
    )
    op.create_table(
        "images",
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("image_id", name=op.f("pk_images")),
    )
    op.create_index(op.f("ix_images_sha256"), "images", ["sha256"], unique=False)
    op.create_table(
        "users",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("collection_pk", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_pk"],
            ["collections.pk"],
            name=op.f("fk_users_collection_pk_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_users")),
        sa.UniqueConstraint("collection_pk", "user_id", name=op.f("uq_users_collection_pk_user_id")),
    )
    op.create_table(
        "faces",
        sa.Column("collection_pk", sa.Integer(), nullable=False),
        sa.Column("face_id", sa.String(length=36), nullable=False),
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("external_image_id", sa.String(length=255), nullable=True),
        sa.Column("box_left", sa.Float(), nullable=False),
        sa.Column("box_top", sa.Float(), nullable=False),
        sa.Column("box_width", sa.Float(), nullable=False),
        sa.Column("box_height", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=False),
        sa.Column("user_pk", sa.Integer(), nullable=True),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_pk"],
            ["collections.pk"],
            name=op.f("fk_faces_collection_pk_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["image_id"], ["images.image_id"], name=op.f("fk_faces_image_id_images")
        ),
        sa.ForeignKeyConstraint(
            ["user_pk"], ["users.pk"], name=op.f("fk_faces_user_pk_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("collection_pk", "face_id", name=op.f("pk_faces")),
    )
    op.create_index(
        "ix_faces_collection_pk_image_id", "faces", ["collection_pk", "image_id"], unique=False
    )
    op.create_index("ix_faces_user_pk", "faces", ["user_pk"], unique=False)
    op.create_table(
        "face_thumbnails",
        sa.Column("collection_pk", sa.Integer(), nullable=False),
        sa.Column("face_id", sa.String(length=36), nullable=False),
        sa.Column("jpeg", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_pk", "face_id"],
            ["faces.collection_pk", "faces.face_id"],
            name=op.f("fk_face_thumbnails_collection_pk_face_id_faces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_pk", "face_id", name=op.f("pk_face_thumbnails")),
    )
    op.create_table(
        "index_records",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("collection_pk", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("external_image_id", sa.String(length=255), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("measurements", sa.JSON(), nullable=False),
        sa.Column("indexed_at", sa.DateTime(), nullable=False),
        sa.Column("face_count", sa.Integer(), nullable=False),
        sa.Column("unindexed_count", sa.Integer(), nullable=False),
        sa.Column("source_path", sa.String(length=4096), nullable=True),
        sa.Column("source_size", sa.BigInteger(), nullable=True),
        sa.Column("source_mtime", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_pk"],
            ["collections.pk"],
            name=op.f("fk_index_records_collection_pk_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["image_id"], ["images.image_id"], name=op.f("fk_index_records_image_id_images")
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_index_records")),
        sa.UniqueConstraint(
            "collection_pk",
            "image_id",
            "external_image_id",
            name=op.f("uq_index_records_collection_pk_image_id_external_image_id"),
        ),
    )
    op.create_index(
        "ix_index_records_collection_pk_source_path",
        "index_records",
        ["collection_pk", "source_path"],
        unique=False,
    )
    op.create_table(
        "request_tokens",
        sa.Column("collection_pk", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("params_hash", sa.String(length=64), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_pk"],
            ["collections.pk"],
            name=op.f("fk_request_tokens_collection_pk_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "collection_pk", "operation", "token", name=op.f("pk_request_tokens")
        ),
    )


def downgrade() -> None:
    op.drop_table("request_tokens")
    op.drop_index("ix_index_records_collection_pk_source_path", table_name="index_records")
    op.drop_table("index_records")
    op.drop_table("face_thumbnails")
    op.drop_index("ix_faces_user_pk", table_name="faces")
    op.drop_index("ix_faces_collection_pk_image_id", table_name="faces")
    op.drop_table("faces")
    op.drop_table("users")
    op.drop_index(op.f("ix_images_sha256"), table_name="images")
    op.drop_table("images")
    op.drop_table("collections")
