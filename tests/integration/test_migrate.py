"""``facedesk migrate``: a library goes SQLite -> PostgreSQL -> SQLite with every row intact
(faces, embeddings, users, index records, thumbnails), is checked by counts and a search, and
a non-empty target is refused untouched."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import facedesk
from facedesk import cli
from facedesk.storage import postgres, postgres_check
from facedesk.storage.database import Database
from facedesk.storage.transfer import TABLES, row_counts

PHOTOS = [
    "real/face_recognition/obama.jpg",
    "real/face_recognition/obama2.jpg",
    "real/face_recognition/two_people.jpg",
]


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = cli.main(list(argv), out=out)
    return code, out.getvalue()


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    finally:
        conn.close()


def test_sqlite_to_postgresql_and_back(
    pg_server: Any, tmp_path: Path, testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every collection with a face is large enough to have its index checked.
    monkeypatch.setattr(postgres_check, "CHECK_FROM", 1)
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in PHOTOS:
        (folder / Path(name).name).write_bytes((testdata / name).read_bytes())
    source = tmp_path / "source.db"
    code, _ = _run("--database", str(source), "index", "--collection-id", "fam",
                   "--create-collection", "--no-progress", str(folder))  # fmt: skip
    assert code == 0
    with facedesk.client(database=str(source)) as c:
        c.create_collection(CollectionId="empty")
        faces = [f["FaceId"] for f in c.list_faces(CollectionId="fam")["Faces"]]
        c.create_user(CollectionId="fam", UserId="barack")
        c.associate_faces(CollectionId="fam", UserId="barack", FaceIds=faces[:1])
    counts = row_counts(Database(source))
    assert counts["faces"] >= 3 and counts["face_thumbnails"] == counts["faces"]
    assert counts["index_records"] == len(PHOTOS) and counts["users"] == 1

    pg = pg_server.new_database()
    code, out = _run("migrate", "--from", str(source), "--to", pg)
    assert code == 0, out
    summary = json.loads(out)
    assert summary["Rows"] == counts and summary["SearchChecks"]["fam"] >= 0
    # The copied collection's index was checked on its faces and is searched through.
    assert list(summary["IndexChecks"]) == ["fam"]  # "empty" has no face to check
    assert summary["IndexChecks"]["fam"]["Faces"] == counts["faces"]
    assert summary["IndexChecks"]["fam"]["FirstCandidateList"] == postgres.MIN_EF_SEARCH
    assert row_counts(Database(pg)) == counts

    # A non-empty target is refused and left as it was.
    code, _ = _run("migrate", "--from", str(source), "--to", pg)
    assert code == cli.EXIT_ERROR
    assert row_counts(Database(pg)) == counts

    # New rows on the target get new keys (sequences moved past the copied ones).
    with facedesk.client(database=pg) as c:
        c.create_user(CollectionId="fam", UserId="joe")
        c.create_collection(CollectionId="later")
        r = c.search_users(CollectionId="fam", UserId="barack")
        assert r["SearchedUser"] == {"UserId": "barack"}

    back = tmp_path / "back.db"
    with facedesk.client(database=pg) as c:
        c.delete_user(CollectionId="fam", UserId="joe")
        c.delete_collection(CollectionId="later")
    code, out = _run("migrate", "--from", pg, "--to", str(back))
    assert code == 0, out
    assert json.loads(out)["IndexChecks"] == {}  # SQLite searches in process
    assert _dump(back) == _dump(source)  # every row, every byte
    pg_server.drop_database(pg)
