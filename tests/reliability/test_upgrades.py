"""Upgrades keep everything: a database written at schema 0001 (tests/fixtures, made by
make_fixture_db.py) opens with today's code; a database behind head is backed up before
migrating; a database newer than the code is refused with a clear error.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import facedesk
from facedesk import cli
from facedesk.storage import database as database_module
from facedesk.storage.database import Database, DatabaseVersionError, migrations_dir
from tests.reliability.consistency import check_database
from tests.support.migrations import ship_revision, table_rows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_DB = FIXTURES / "facedesk-schema-0001.db"
PROBE = "real/face_recognition/obama2.jpg"

# A later schema revision, as a future facedesk would ship it on top of today's head: adds a
# column and an index.
NEXT_REVISION = f"""
import sqlalchemy as sa
from alembic import op

revision = "9000_test"
down_revision = "{database_module.HEAD_REVISION}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faces") as batch:
        batch.add_column(sa.Column("note", sa.String(64), nullable=True))
    op.create_index("ix_test_images_format", "images", ["format"])


def downgrade() -> None:
    op.drop_index("ix_test_images_format", table_name="images")
    with op.batch_alter_table("faces") as batch:
        batch.drop_column("note")
"""


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "facedesk-schema-0001.json").read_text())
    return data


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    target = tmp_path / "old.db"
    shutil.copyfile(FIXTURE_DB, target)
    return target


def _revision(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        conn.close()


def _assert_nothing_lost(db: Path, expected: dict[str, Any], testdata: Path) -> None:
    probe = {"Bytes": (testdata / PROBE).read_bytes()}
    with facedesk.client(database=str(db)) as c:
        for cid, want in expected["collections"].items():
            faces = json.loads(json.dumps(c.list_faces(CollectionId=cid)["Faces"], default=str))
            assert faces == want["faces"], cid
            assert c.describe_collection(CollectionId=cid)["FaceCount"] == want["face_count"]
            assert c.list_users(CollectionId=cid)["Users"] == want["users"]
            found = c.search_faces_by_image(CollectionId=cid, Image=probe, MaxFaces=100)
            assert (
                sorted(m["Face"]["FaceId"] for m in found["FaceMatches"])
                == (want["search_by_probe"])
            ), cid
            for face in want["faces"]:
                assert c.library.face_thumbnail(cid, face["FaceId"]), "thumbnail lost"
            assert len(c.library.list_images(cid)) == len({f["ImageId"] for f in want["faces"]})
    rows = table_rows(db)
    assert {t: rows[t] for t in expected["rows"]} == expected["rows"]
    check_database(db)


def test_fixture_is_what_it_says(expected: dict[str, Any]) -> None:
    assert expected["revision"] == "0001" == _revision(FIXTURE_DB)
    assert table_rows(FIXTURE_DB) == expected["rows"]
    assert expected["rows"]["faces"] >= 10 and expected["rows"]["users"] >= 1
    assert len(expected["collections"]) >= 2
    assert any(e["search_by_probe"] for e in expected["collections"].values())


def test_old_database_opens_with_todays_code(
    old_db: Path, expected: dict[str, Any], testdata: Path
) -> None:
    before = table_rows(old_db)
    _assert_nothing_lost(old_db, expected, testdata)
    after = table_rows(old_db)  # later revisions may add tables; the old ones keep every row
    assert {t: after[t] for t in before} == before
    # Today's head: whatever revision that is, the file now carries it.
    db = Database(old_db)
    try:
        assert db.current_revision() == _head()
    finally:
        db.dispose()


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_database_behind_head_is_backed_up_then_migrated(
    old_db: Path,
    expected: dict[str, Any],
    testdata: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ship_revision(monkeypatch, tmp_path / "migrations", NEXT_REVISION, "9000_test")
    before = table_rows(old_db)

    _assert_nothing_lost(old_db, expected, testdata)  # opening it runs the migration

    assert _revision(old_db) == "9000_test"
    backup = old_db.with_name(f"{old_db.name}.bak-{expected['revision']}")
    assert backup.exists(), sorted(p.name for p in tmp_path.iterdir())
    assert _revision(backup) == expected["revision"]
    assert table_rows(backup) == before
    check_database(backup)
    conn = sqlite3.connect(old_db)
    try:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(faces)")}
    finally:
        conn.close()
    assert "note" in columns

    # Opening again: at head, nothing to migrate, no second backup.
    backups = sorted(tmp_path.glob("old.db.bak-*"))
    _assert_nothing_lost(old_db, expected, testdata)
    assert sorted(tmp_path.glob("old.db.bak-*")) == backups


def test_database_newer_than_the_code_is_refused(
    old_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = sqlite3.connect(old_db)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.close()
    before = table_rows(old_db)

    with facedesk.client(database=str(old_db)) as c, pytest.raises(DatabaseVersionError) as info:
        c.list_collections()
    message = str(info.value)
    assert "9999_future" in message and "newer" in message and str(old_db) in message

    code = cli.main(["--database", str(old_db), "list-collections"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_ERROR
    assert "newer" in err and "Traceback" not in err
    # Refused without changing its data (opening it only switched the journal to WAL).
    assert table_rows(old_db) == before and _revision(old_db) == "9999_future"
    assert not list(old_db.parent.glob("old.db.bak-*"))


def test_head_revision_is_the_scripts_head() -> None:
    assert _head() == database_module.HEAD_REVISION


def test_database_at_head_opens_without_alembic(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = tmp_path / "at-head.db"
    Database(str(db)).dispose()  # created and migrated here
    probe = (
        "import sys; from facedesk.storage.database import Database; "
        f"Database({str(db)!r}).dispose(); print('alembic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
