"""The Database: engine, SQLite tuning, Alembic migrations on open, and UnitOfWork factory."""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from facedesk.storage.locking import retry_locked
from facedesk.storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from facedesk.core.events import Event
    from facedesk.storage.claims import WorkClaims
    from facedesk.storage.postgres_check import IndexChecks

BUSY_TIMEOUT_MS = 30_000
# The newest migration's revision. A database already there opens without Alembic, whose
# import and script scan cost about 0.4 s: most of the app's wait for its first faces.
# tests/reliability/test_upgrades.py checks it equals the migration scripts' head.
HEAD_REVISION = "0006"
_BEGIN_OPTION = "facedesk_begin"
# PostgreSQL: processes creating or migrating one database at once queue on this advisory
# lock (SQLite's BEGIN IMMEDIATE does the same there). Any constant; "fdsk" in ASCII.
_SCHEMA_LOCK_KEY = 0x6664736B
_VERSION_QUERY = "SELECT version_num FROM alembic_version"
# Alembic's own version table, as its migration context creates it.
_ALEMBIC_VERSION = Table(
    "alembic_version",
    MetaData(),
    Column("version_num", String(32), nullable=False),
    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"),
)


class DatabaseVersionError(RuntimeError):
    """The database was written by a newer facedesk (its revision is unknown here)."""


def migrations_dir() -> Path:
    """The Alembic script folder, shipped inside the package (also when frozen)."""
    resource = importlib.resources.files("facedesk.storage") / "migrations"
    if isinstance(resource, Path):
        return resource
    return Path(__file__).resolve().parent / "migrations"


def _to_url(url_or_path: str | os.PathLike[str]) -> URL:
    if isinstance(url_or_path, str) and "://" in url_or_path:
        return make_url(url_or_path)
    text = os.fspath(url_or_path)
    if text == ":memory:":
        return make_url("sqlite://")
    return URL.create("sqlite", database=str(Path(text).expanduser().resolve()))


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite":
        return None
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


@contextlib.contextmanager
def _private_umask() -> Iterator[None]:
    # SQLite creates -wal/-shm lazily; a umask of 077 keeps them user-only even where the
    # VFS does not copy the main file's mode. The umask is process-wide, but it only makes
    # files created meanwhile stricter, never looser.
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _create_private_file(path: Path) -> None:
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to SQLAlchemy (see _on_sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        retry_locked(lambda: cursor.execute("PRAGMA journal_mode=WAL"))
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
    # writes can fail with SQLITE_BUSY at once (no busy wait) when another process wrote.
    mode = conn.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
    retry_locked(lambda: conn.exec_driver_sql(f"BEGIN {mode}"))


def _commit_with_retry(original: Callable[[Any], None], dbapi_connection: Any) -> None:
    retry_locked(lambda: original(dbapi_connection))


class Database:
    """One database: SQLite file by default (plain path), or any SQLAlchemy URL."""

    def __init__(self, url_or_path: str | os.PathLike[str]) -> None:
        sa_url = _to_url(url_or_path)
        self.url: str = sa_url.render_as_string(hide_password=False)
        self.path: Path | None = _sqlite_file(sa_url)
        self._is_sqlite = sa_url.get_backend_name() == "sqlite"
        self.dialect: str = sa_url.get_backend_name()
        with _private_umask() if self.path is not None else contextlib.nullcontext():
            if self.path is not None:
                parent = self.path.parent
                # exist_ok: another process may be creating the same folder right now.
                parent.mkdir(parents=True, mode=0o700, exist_ok=True)
                _create_private_file(self.path)
            self.engine: Engine = self._create_engine(sa_url)
            try:
                self._migrate()
            except BaseException:
                self.engine.dispose()
                raise
        self._write_sessions: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False
        )
        self._read_sessions: sessionmaker[Session] = sessionmaker(
            bind=self.engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"}),
            expire_on_commit=False,
        )
        self._handlers: list[Callable[[Event], None]] = []
        self._watch: sqlite3.Connection | None = None
        self._watch_lock = threading.Lock()
        self.index_checks: IndexChecks | None = None
        if self.is_postgresql:
            from facedesk.storage.postgres_check import IndexChecks

            # Commits that grow a collection check its HNSW index in the background.
            self.index_checks = IndexChecks(self.engine)
            self.subscribe(self.index_checks.on_event)

    def subscribe(self, handler: Callable[[Event], None]) -> None:
        """Call ``handler`` with the events of every unit of work committed from here on."""
        self._handlers.append(handler)

    def _publish(self, event: Event) -> None:
        for handler in list(self._handlers):
            handler(event)

    def data_version(self) -> int | None:
        """A number that changes whenever any connection (this process's or another's)
        commits to the database; None where there is no such cheap counter.

        SQLite: ``PRAGMA data_version`` of a connection kept for this alone, which never
        writes. It reads the WAL index in shared memory: no transaction, no disk read, so a
        search can ask it every time. PostgreSQL has no per-database change counter that
        costs less than the query it would save, so callers read what they need there.
        """
        if self.path is None:
            return None
        with self._watch_lock:
            if self._watch is None:
                # Never used to write, so it holds no lock and its own commits (none) are
                # the only ones data_version would leave out.
                self._watch = sqlite3.connect(self.path, check_same_thread=False)
            try:
                row = self._watch.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                return None  # unknown: the caller reads what it needs instead
        return int(row[0])

    @property
    def is_postgresql(self) -> bool:
        """True when searches run in the database (pgvector) instead of in process."""
        return self.dialect == "postgresql"

    def _create_engine(self, sa_url: URL) -> Engine:
        if not self._is_sqlite:
            return create_engine(sa_url, pool_pre_ping=True)
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if self.path is None:
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
        engine = create_engine(sa_url, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        dialect: Any = engine.dialect
        dialect.do_commit = functools.partial(_commit_with_retry, dialect.do_commit)
        return engine

    def _alembic_config(self) -> Any:
        from alembic.config import Config

        folder = migrations_dir()
        config = Config()
        config.set_main_option("script_location", str(folder).replace("%", "%%"))
        config.set_main_option("path_separator", "os")
        if not any((folder / "versions").glob("v*.py")):
            # A frozen build that shipped only compiled revisions.
            config.set_main_option("sourceless", "true")
        return config

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect().execution_options(**{_BEGIN_OPTION: "DEFERRED"}) as conn:
            rev: str | None = MigrationContext.configure(conn).get_current_revision()
            conn.rollback()
        return rev

    def _stored_revisions(self) -> list[str]:
        """The revisions in ``alembic_version``; none for a new database."""
        try:
            with self.engine.connect().execution_options(**{_BEGIN_OPTION: "DEFERRED"}) as conn:
                found = [str(r) for r in conn.execute(text(_VERSION_QUERY)).scalars()]
                conn.rollback()
        except DBAPIError:
            return []  # no alembic_version table yet
        return found

    def _create_if_empty(self) -> bool:
        """A new database gets the ORM's tables and Alembic's version row at once, as
        ``alembic upgrade head`` leaves them (tests compare the two schemas), without
        importing Alembic: 0.3-0.4 s off the first start. False if it has tables."""
        from facedesk.storage.orm import Base

        with self.engine.begin() as conn:  # BEGIN IMMEDIATE: one creator at a time
            self._lock_schema(conn)
            if inspect(conn).get_table_names():
                return False
            if self.is_postgresql:
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS vector")
            Base.metadata.create_all(conn)
            _ALEMBIC_VERSION.create(conn)
            conn.execute(insert(_ALEMBIC_VERSION).values(version_num=HEAD_REVISION))
        return True

    def _lock_schema(self, conn: Connection) -> None:
        """PostgreSQL: one creator/migrator at a time, until this transaction ends."""
        if self.is_postgresql:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})

    def _migrate(self) -> None:
        if self._stored_revisions() == [HEAD_REVISION] or self._create_if_empty():
            return
        from alembic import command
        from alembic.script import ScriptDirectory

        config = self._alembic_config()
        script = ScriptDirectory.from_config(config)
        head = script.get_current_head()
        current = self.current_revision()
        if current == head:
            return
        if current is not None:
            known = {rev.revision for rev in script.walk_revisions()}
            if current not in known:
                where = str(self.path) if self.path is not None else repr(self)
                raise DatabaseVersionError(
                    f"the database {where} has schema revision {current!r}, which is newer "
                    f"than this facedesk knows (its newest is {head!r}): it was written by a "
                    "newer facedesk. Upgrade facedesk to open it; it was left unchanged."
                )
            self.backup(self._backup_path(current))
        with self.engine.connect() as conn:
            self._lock_schema(conn)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()

    def _backup_path(self, revision: str) -> Path | None:
        if self.path is None:
            return None
        return self.path.with_name(f"{self.path.name}.bak-{revision}")

    def backup(self, target: Path | None) -> None:
        """Consistent copy of a SQLite file (WAL included) via SQLite's online backup API."""
        if self.path is None or target is None:
            return
        with _private_umask():
            _create_private_file(target)
            src = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                dst = sqlite3.connect(target)
                try:
                    src.backup(dst)
                finally:
                    dst.close()
            finally:
                src.close()

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A fresh UnitOfWork. ``read_only`` starts a deferred (shared) transaction on SQLite."""
        return UnitOfWork(self._read_sessions if read_only else self._write_sessions, self._publish)

    def work_claims(self, collection_id: str) -> WorkClaims:
        """Claims for one indexing batch into ``collection_id`` (see storage/claims.py);
        close them when the batch ends."""
        from facedesk.storage.claims import WorkClaims

        with self.unit_of_work(read_only=True) as uow:
            pk = uow.collections.pk(collection_id)
        return WorkClaims(self.engine, pk)

    def dispose(self) -> None:
        if self.index_checks is not None:
            self.index_checks.close()
        with self._watch_lock:
            if self._watch is not None:
                self._watch.close()
                self._watch = None
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({make_url(self.url).render_as_string(hide_password=True)!r})"
