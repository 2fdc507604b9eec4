"""The composition root: CLI dispatch and the screenshot mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from facedesk.app import is_cli_invocation

REPO = Path(__file__).resolve().parents[2]


def test_subcommands_and_unknown_options_go_to_the_cli() -> None:
    assert is_cli_invocation(["list-collections"])
    assert is_cli_invocation(["--database", "x.db", "list-collections"])
    assert is_cli_invocation(["--help"])
    assert not is_cli_invocation([])
    assert not is_cli_invocation(["--database", "x.db"])
    assert not is_cli_invocation(["--database", "x.db", "--screenshot", "o.png", "--view", "faces"])


def test_existing_paths_open_in_the_app_and_subcommand_names_stay_commands(tmp_path: Path) -> None:
    """ "Open with facedesk": a desktop runs ``facedesk %F`` with the chosen files."""
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"")
    assert not is_cli_invocation([str(photo)])
    assert not is_cli_invocation(["--database", "x.db", str(photo), str(tmp_path)])
    assert is_cli_invocation([str(photo), str(tmp_path / "missing.jpg")])
    (tmp_path / "list-collections").write_text("a file named like a subcommand")
    os.chdir(tmp_path)
    try:
        assert is_cli_invocation(["list-collections"])
        assert not is_cli_invocation([str(tmp_path / "list-collections")])
    finally:
        os.chdir(REPO)


def _screenshot(db: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run ``main.py --screenshot`` as a user would, offscreen."""
    return subprocess.run(
        [
            sys.executable,
            str(REPO / "main.py"),
            "--database",
            str(db),
            "--screenshot",
            str(out),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def test_screenshot_mode_renders_the_viewer(indexed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "viewer.png"
    proc = _screenshot(indexed_db, out, "--collection", "gui", "--image", "2008_002079.jpg")
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)


def test_photo_paths_on_the_command_line_are_indexed(tmp_path: Path, testdata: Path) -> None:
    import facedesk

    db, out = tmp_path / "opened.db", tmp_path / "opened.png"
    photo = testdata / "real" / "face_recognition" / "obama.jpg"
    proc = _screenshot(db, out, str(photo))
    assert proc.returncode == 0, proc.stderr
    client = facedesk.client(database=str(db))
    try:
        (collection,) = client.list_collections()["CollectionIds"]
        faces = client.list_faces(CollectionId=collection)["Faces"]
    finally:
        client.close()
    assert [f["ExternalImageId"] for f in faces] == ["obama.jpg"]


def test_screenshot_mode_fails_on_unknown_collection(indexed_db: Path, tmp_path: Path) -> None:
    proc = _screenshot(indexed_db, tmp_path / "x.png", "--collection", "nope")
    assert proc.returncode == 1
    assert "nope" in proc.stderr
