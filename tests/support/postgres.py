"""A private PostgreSQL server with pgvector for the tests (the ``pgserver`` wheel).

pgserver bundles PostgreSQL 16 and pgvector 0.6.2, runs initdb in a temp folder and listens on
a Unix socket only (no TCP port). As root it runs postgres as a system user ``pgserver`` that it
creates with ``useradd`` (postgres refuses to run as root), which CI's root container allows.
Each test gets its own database, copied from ``template1`` where the vector extension is
already created, so databases cost ~0.1 s and never see each other's rows.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_counter = itertools.count()


class PostgresForTests:
    def __init__(self) -> None:
        import pgserver

        # Not under pytest's basetemp: pgserver opens the folder's parents to other users
        # (the postgres user must traverse them) and pytest's folder is private to root.
        self.folder = Path(tempfile.mkdtemp(prefix="facedesk-pg-"))
        self._server: Any = pgserver.get_server(self.folder, cleanup_mode="stop")
        self.socket_dir = str(self._server.get_postmaster_info().socket_dir)
        self._admin("template1", "CREATE EXTENSION IF NOT EXISTS vector")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}"

    def _admin(self, database: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            dbname=database, user="postgres", host=self.socket_dir, autocommit=True
        ) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self) -> str:
        """A new empty database (pgvector installed); returns its SQLAlchemy URL."""
        name = f"facedesk_test_{next(_counter)}"
        self._admin("postgres", f"CREATE DATABASE {name} TEMPLATE template1")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        self._admin("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        self._server.cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_server() -> Iterator[PostgresForTests]:
    server = PostgresForTests()
    try:
        yield server
    finally:
        server.stop()
