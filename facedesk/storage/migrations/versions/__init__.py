"""Alembic revisions, one module per schema change (loaded by path by Alembic)."""
