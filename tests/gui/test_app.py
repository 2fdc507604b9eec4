"""The composition root: CLI dispatch and the screenshot mode."""

from __future__ import annotations

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


def test_screenshot_mode_renders_the_viewer(indexed_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "viewer.png"
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "main.py"),
            "--database",
            str(indexed_db),
            "--screenshot",
            str(out),
            "--collection",
            "gui",
            "--image",
            "2008_002079.jpg",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**_env(), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 900)


def test_screenshot_mode_fails_on_unknown_collection(indexed_db: Path, tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "main.py"),
            "--database",
            str(indexed_db),
            "--screenshot",
            str(tmp_path / "x.png"),
            "--collection",
            "nope",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**_env(), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 1
    assert "nope" in proc.stderr


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
