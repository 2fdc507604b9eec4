"""Shared fixtures. Qt must be told to render offscreen before anything imports it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


@pytest.fixture(scope="session")
def testdata() -> Path:
    if not TESTDATA.is_dir():
        pytest.fail(f"test photos not found at {TESTDATA} (shared/ must sit beside the repo)")
    return TESTDATA


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
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """A new empty database on ``backend``: a SQLite file, or a PostgreSQL database."""
    if backend == "sqlite":
        yield str(tmp_path / "facedesk.db")
        return
    server = request.getfixturevalue("pg_server")
    url = server.new_database()
    yield url
    server.drop_database(url)
