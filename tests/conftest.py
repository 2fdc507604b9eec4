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
def client(db_path: Path) -> Any:
    import facedesk
    from tests.support.rekognition_check import CheckedClient

    c = facedesk.client(database=str(db_path))
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
