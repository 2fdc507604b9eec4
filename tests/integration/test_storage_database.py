"""Database opening: SQLite settings, private files, migrations and backups."""

from __future__ import annotations

import sqlite3
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from facedesk.core.types import CollectionInfo
from facedesk.storage import database as database_module
from facedesk.storage.database import Database, DatabaseVersionError
from facedesk.storage.orm import Base
from tests.support.migrations import ship_revision

# A later revision as a future facedesk would ship it, on top of today's head.
EXTRA_REVISION = f"""
from alembic import op

revision = "9000_test"
down_revision = "{database_module.HEAD_REVISION}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_test_images_format", "images", ["format"])


def downgrade() -> None:
    op.drop_index("ix_test_images_format", table_name="images")
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sqlite_settings_on_every_connection(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    try:
        with db.engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            }
        assert pragma == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "synchronous": 1,
            "busy_timeout": 30000,
        }
        assert db.url == f"sqlite:///{tmp_path / 'a.db'}"
    finally:
        db.dispose()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "f.db"
    db = Database(path)
    try:
        with db.unit_of_work() as uow:
            uow.collections.add(CollectionInfo("c", "6.0", "arn", created_at=_utc_now()))
            uow.commit()
            assert (path.parent / "f.db-wal").exists()
        assert _mode(path.parent) == 0o700
        for name in ("f.db", "f.db-wal", "f.db-shm"):
            assert _mode(path.parent / name) == 0o600, name
    finally:
        db.dispose()


def test_migrated_schema_matches_orm(tmp_path: Path) -> None:
    db = Database(tmp_path / "schema.db")
    try:
        assert db.current_revision() == database_module.HEAD_REVISION
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, Base.metadata) == []
            tables = {
                row[0]
                for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
            }
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
    finally:
        db.dispose()


def test_reopen_is_idempotent_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    db = Database(path)
    with db.unit_of_work() as uow:
        uow.collections.add(CollectionInfo("kept", "6.0", "arn", created_at=_utc_now()))
        uow.commit()
    db.dispose()
    again = Database(str(path))
    try:
        with again.unit_of_work() as uow:
            assert uow.collections.get("kept") is not None
        assert not list(tmp_path.glob("r.db.bak-*"))  # nothing to migrate, no backup
    finally:
        again.dispose()


def test_backup_before_migrating_and_refuse_newer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.db"
    db = Database(path)
    with db.unit_of_work() as uow:
        uow.collections.add(CollectionInfo("before", "6.0", "arn", created_at=_utc_now()))
        uow.commit()
    db.dispose()

    head = database_module.HEAD_REVISION
    ship_revision(monkeypatch, tmp_path / "migrations", EXTRA_REVISION, "9000_test")
    upgraded = Database(path)
    try:
        assert upgraded.current_revision() == "9000_test"
    finally:
        upgraded.dispose()
    backup = tmp_path / f"m.db.bak-{head}"
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head,)
        assert conn.execute("SELECT collection_id FROM collections").fetchall() == [("before",)]
    conn.close()
    if sys.platform != "win32":
        assert _mode(backup) == 0o600

    monkeypatch.undo()
    with pytest.raises(DatabaseVersionError):
        Database(path)


def test_memory_database_is_shared_between_units_of_work() -> None:
    db = Database(":memory:")
    try:
        with db.unit_of_work() as uow:
            uow.collections.add(CollectionInfo("m", "6.0", "arn", created_at=_utc_now()))
            uow.commit()
        with db.unit_of_work() as uow:
            assert uow.collections.require("m").collection_id == "m"
    finally:
        db.dispose()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _definition_parts(sql: str) -> frozenset[str]:
    """The comma-separated parts of a CREATE statement at bracket depth 0 and 1 (columns and
    constraints), whitespace-normalised: SQLite keeps the CREATE text, and ALTER TABLE ADD
    COLUMN appends a column after the last one on the same line, so neither order nor line
    breaks are meaning."""
    parts: list[str] = []
    depth, current = 0, list[str]()
    for char in sql:
        if char == "(":
            depth += 1
            if depth == 1:
                parts.append("".join(current))
                current = []
                continue
        elif char == ")":
            depth -= 1
            if depth == 0:
                parts.append("".join(current))
                current = []
                continue
        elif char == "," and depth == 1:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return frozenset(" ".join(p.split()) for p in parts if p.strip())


def _schema(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """Every table and index: its kind and the set of its definition's parts."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        conn.close()
    return {name: (kind, _definition_parts(sql or "")) for kind, name, sql in rows}


def test_new_database_is_created_as_the_migrations_would_make_it(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    fast = tmp_path / "fast.db"
    Database(fast).dispose()  # empty file: tables from the ORM, version row written directly

    migrated = tmp_path / "migrated.db"
    db = Database(migrated)  # then replaced by what `alembic upgrade head` makes
    db.dispose()
    migrated.unlink()
    engine = create_engine(f"sqlite:///{migrated}")
    config = db._alembic_config()
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
    engine.dispose()

    assert _schema(fast) == _schema(migrated)
    assert Database(fast).current_revision() == database_module.HEAD_REVISION
