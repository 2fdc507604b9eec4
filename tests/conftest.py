"""Shared fixtures. Qt must be told to render offscreen before anything imports it."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.support import processes

# Every process this test session starts inherits this marker, so the check at the end
# finds leftovers of this run only (other suites run side by side on the same machine).
SESSION_MARKER = "FACEDESK_TEST_SESSION"
os.environ.setdefault(SESSION_MARKER, uuid.uuid4().hex)
LEFTOVER_GRACE_S = 5.0

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


@pytest.fixture(scope="session")
def testdata() -> Path:
    if not TESTDATA.is_dir():
        pytest.fail(f"test photos not found at {TESTDATA} (shared/ must sit beside the repo)")
    return TESTDATA


@pytest.fixture(scope="session")
def labelled_db(
    tmp_path_factory: pytest.TempPathFactory, testdata: Path
) -> tuple[Path, dict[str, str]]:
    """bald_guys (cut into its 24 photos) and obama/biden in collection ``LABELLED_CID``,
    indexed once for the whole session: the people tests copy it per test, never write it;
    FaceId -> label."""
    from tests.support.labelled_faces import LABELLED_CID, labelled_library

    path = tmp_path_factory.mktemp("labelled") / "lab.db"
    return path, labelled_library(path, LABELLED_CID, testdata)


@pytest.fixture(scope="session")
def manifest(testdata: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((testdata / "manifest.json").read_text())
    return {entry["path"]: entry for entry in data["files"]}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "facedesk.db"


@pytest.fixture
def client(database_url: str) -> Any:
    import facedesk
    from tests.support.rekognition_check import CheckedClient

    c = facedesk.client(database=database_url)
    yield CheckedClient(c)
    c.close()


@pytest.fixture(scope="session")
def shared_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One database for read-mostly tests that need many indexed photos (faster)."""
    import facedesk
    from tests.support.rekognition_check import CheckedClient

    c = facedesk.client(database=str(tmp_path_factory.mktemp("shared") / "shared.db"))
    yield CheckedClient(c)
    c.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a process it started is still alive (after a grace period)."""
    if not processes.can_scan():
        return
    left = processes.leftovers(SESSION_MARKER, os.environ[SESSION_MARKER], LEFTOVER_GRACE_S)
    if not left:
        return
    processes.kill_all(left)  # do not leave the load behind for others either
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"  {pid}: {cmd[:200]}" for pid, cmd in sorted(left.items())]
    message = "processes started by this test run were still alive at its end (killed now):"
    if reporter is not None:
        reporter.write("\n")
        reporter.write_sep("=", "leftover processes", red=True)
        reporter.write_line("\n".join([message, *lines]), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- Backends: the storage and API tests run on SQLite and on a real PostgreSQL ------------
# A test module opts in with ``BACKENDS = ALL_BACKENDS``; every other module stays on SQLite.
ALL_BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = getattr(metafunc.module, "BACKENDS", None)
        if backends:
            metafunc.parametrize("backend", backends)


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """One private PostgreSQL server (pgserver) for the session, stopped at its end."""
    from tests.support.postgres import postgres_server

    yield from postgres_server()


@pytest.fixture
def pg_db(pg_server: Any) -> Any:
    """A Database on a new empty PostgreSQL database, disposed and dropped after the test."""
    from facedesk.storage.database import Database

    url = pg_server.new_database()
    db = Database(url)
    yield db
    db.dispose()
    pg_server.drop_database(url)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """A new empty database on ``backend``: a SQLite file, or a PostgreSQL database."""
    if backend == "sqlite":
        yield str(tmp_path / "facedesk.db")
        return
    server = request.getfixturevalue("pg_server")
    url = server.new_database()
    yield url
    server.drop_database(url)
