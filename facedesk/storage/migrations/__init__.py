"""Alembic environment for facedesk's database (run programmatically by Database)."""
