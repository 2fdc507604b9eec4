"""Schema helpers shared by the migration tests and the script that made their fixture."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the fixture script imports this module without pytest
    import pytest


def table_rows(path: Path) -> dict[str, int]:
    """Rows per table of a SQLite file, Alembic's version table left out."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name != 'alembic_version'"
            )
        ]
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def ship_revision(
    monkeypatch: pytest.MonkeyPatch, folder: Path, script: str, revision: str
) -> None:
    """Make facedesk see the migrations a later release would ship: today's scripts plus
    ``script`` (whose revision id is ``revision``), with HEAD_REVISION naming it."""
    from facedesk.storage import database

    shutil.copytree(database.migrations_dir(), folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "versions" / f"v{revision}.py").write_text(script)
    monkeypatch.setattr(database, "migrations_dir", lambda: folder)
    monkeypatch.setattr(database, "HEAD_REVISION", revision)
