"""Whether a library named in File ▸ Open library opens (facedesk.service.library_choice),
on real SQLite files and a PostgreSQL address where no server listens."""

from __future__ import annotations

from pathlib import Path

import facedesk
from facedesk.service.library_choice import check_library, with_connect_timeout


def test_a_new_file_becomes_an_empty_library(tmp_path: Path) -> None:
    path = tmp_path / "family.db"
    assert check_library(str(path)) is None
    with facedesk.client(database=str(path)) as client:
        assert client.list_collections()["CollectionIds"] == []


def test_what_is_not_a_library_is_said_in_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"not a database " * 100)
    assert check_library(str(junk)) == "file is not a database"
    assert junk.read_bytes() == b"not a database " * 100  # left as it was
    assert check_library(str(tmp_path)) == "unable to open database file"  # a folder
    assert check_library("  ") == "Name a library file or a PostgreSQL URL."
    said = check_library("mysql://me@nas/photos")
    assert said == "facedesk opens SQLite files and PostgreSQL URLs, not mysql:// URLs."


def test_a_server_that_does_not_answer_is_said_without_the_password() -> None:
    said = check_library("postgresql+psycopg://me:s3cret@/photos?host=/nonexistent")
    assert said is not None
    assert "/nonexistent" in said and "s3cret" not in said
    assert "\n" not in said


def test_a_connect_timeout_is_added_unless_given() -> None:
    url = "postgresql+psycopg://me@nas/photos"
    assert with_connect_timeout(url) == url + "?connect_timeout=10"
    assert with_connect_timeout(url + "?sslmode=require", 3).endswith("&connect_timeout=3")
    assert with_connect_timeout(url + "?connect_timeout=2") == url + "?connect_timeout=2"
    assert with_connect_timeout("/photos/family.db") == "/photos/family.db"
