"""Privacy: the data is readable by the user only, and facedesk never touches the network."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import facedesk

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_database_and_thumbnails_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_photos: dict[str, bytes]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("FACEDESK_DATABASE", raising=False)
    old_umask = os.umask(0o022)  # a usual, permissive umask: facedesk must not rely on it
    try:
        with facedesk.client(store_thumbnails=True) as c:
            c.create_collection(CollectionId="p")
            c.index_faces(CollectionId="p", Image={"Bytes": small_photos["two_people_480.jpg"]})
            db = Path(c.library.database_path.removeprefix("sqlite:///"))
            if not db.is_absolute():
                db = Path("/" + str(db))
            data_dir = db.parent
            # While the client is open the WAL and shared-memory files exist too.
            files = sorted(p.name for p in data_dir.iterdir())
            modes = {name: _mode(data_dir / name) for name in files}
        dir_mode = _mode(data_dir)
    finally:
        os.umask(old_umask)
    assert data_dir.is_relative_to(tmp_path / "xdg")
    assert dir_mode == 0o700
    assert db.name in files and f"{db.name}-wal" in files and f"{db.name}-shm" in files
    assert set(files) <= {db.name, f"{db.name}-wal", f"{db.name}-shm"}, files
    assert modes == {name: 0o600 for name in files}
    # The face thumbnails live in that private file, not beside it.
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM face_thumbnails").fetchone()[0] >= 1
    finally:
        conn.close()
    assert _mode(db) == 0o600


def test_explicit_database_in_a_new_folder_is_private(tmp_path: Path) -> None:
    db = tmp_path / "new" / "deeper" / "f.db"
    old_umask = os.umask(0o002)
    try:
        with facedesk.client(database=str(db)) as c:
            c.create_collection(CollectionId="p")
            wal = db.with_name(db.name + "-wal")
            assert wal.exists() and _mode(wal) == 0o600
    finally:
        os.umask(old_umask)
    assert _mode(db) == 0o600
    assert _mode(db.parent) == 0o700 and _mode(db.parent.parent) == 0o700


NO_NETWORK = """
import socket, sys

calls = []

def refuse(name):
    def blocked(*args, **kwargs):
        calls.append(name)
        raise AssertionError(f"facedesk opened a network connection: {name}{args[:2]!r}")
    return blocked

socket.socket.connect = refuse("socket.connect")
socket.socket.connect_ex = refuse("socket.connect_ex")
socket.socket.sendto = refuse("socket.sendto")
socket.create_connection = refuse("socket.create_connection")
socket.getaddrinfo = refuse("socket.getaddrinfo")
socket.gethostbyname = refuse("socket.gethostbyname")

import facedesk
from facedesk import cli

photo = open(sys.argv[1], "rb").read()
probe = open(sys.argv[2], "rb").read()
db = sys.argv[3]
c = facedesk.client(database=db, store_thumbnails=True)
c.create_collection(CollectionId="n")
indexed = c.index_faces(CollectionId="n", Image={"Bytes": photo}, DetectionAttributes=["ALL"])
found = c.search_faces_by_image(CollectionId="n", Image={"Bytes": probe})
detected = c.detect_faces(Image={"Bytes": photo}, Attributes=["ALL"])
c.close()
assert indexed["FaceRecords"] and found["FaceMatches"] and detected["FaceDetails"]
assert "AgeRange" in detected["FaceDetails"][0]  # the attribute models ran too
assert cli.main(["--database", db, "index", sys.argv[1], "--collection-id", "m",
                 "--create-collection", "--no-progress", "--detection-attributes", "ALL"]) == 0
assert cli.main(["--database", db, "detect-faces", "--attributes", "ALL",
                 "--image-bytes", "fileb://" + sys.argv[1]]) == 0
assert cli.main(["--database", db, "search-faces-by-image", "--collection-id", "n",
                 "--image-bytes", "fileb://" + sys.argv[2]]) == 0
print("NETWORK CALLS", calls, file=sys.stderr)
assert not calls
"""


def test_no_network_connection_is_ever_opened(testdata: Path, tmp_path: Path) -> None:
    """In a fresh process, so the models load (and could reach out) under the guard."""
    real = testdata / "real" / "face_recognition"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(NO_NETWORK), str(real / "obama.jpg"),
         str(real / "obama2.jpg"), str(tmp_path / "n.db")],
        capture_output=True, text=True, timeout=300, cwd=REPO,
        env={**os.environ, "NO_PROXY": "", "HTTP_PROXY": "", "HTTPS_PROXY": ""},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "NETWORK CALLS []" in done.stderr
    assert '"FaceDetails"' in done.stdout and '"FaceMatches"' in done.stdout
