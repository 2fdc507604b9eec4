"""``facedesk index`` killed with SIGKILL at random points loses nothing and keeps no half image.

200 photos (copies of small test photos under distinct names, some byte-identical, some
re-encoded) are indexed by a subprocess that is killed again and again; after every kill the
file must pass SQLite's integrity check and facedesk's own invariants, and the run that
finally completes must hold exactly the faces of an uninterrupted reference run.
"""

from __future__ import annotations

import os
import random
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.reliability.consistency import check_database

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL"),
]

REPO = Path(__file__).resolve().parents[2]
PHOTOS = 200
KILLS = 10
SEED = 20240917


def _with_comment(jpeg: bytes, text: str) -> bytes:
    """The same picture with a JPEG COM segment: new bytes (new ImageId), same faces."""
    body = text.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(body) + 2) + body + jpeg[2:]


def _make_folder(folder: Path, photos: dict[str, bytes]) -> None:
    folder.mkdir()
    sources = sorted(photos.items())
    for i in range(PHOTOS):
        name, data = sources[i % len(sources)]
        if i % 2:  # every other file: distinct bytes; the rest duplicate each other's bytes
            data = _with_comment(data, f"copy {i}")
        (folder / f"p{i:03d}_{name}").write_bytes(data)


def _command(db: Path, folder: Path) -> list[str]:
    return [
        sys.executable, "-m", "facedesk", "--database", str(db), "index",
        "--collection-id", "crash", "--create-collection", "--no-progress", str(folder),
    ]  # fmt: skip


def _run_to_completion(db: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        _command(db, folder), capture_output=True, text=True, timeout=600, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _kill_after(db: Path, folder: Path, rng: random.Random, first: bool) -> int:
    """Start the batch, SIGKILL it at a random point; returns how many results it printed."""
    proc = subprocess.Popen(
        _command(db, folder), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO
    )
    assert proc.stdout is not None
    printed = 0
    try:
        if first:  # while starting: opening, migrating, creating the collection
            time.sleep(rng.uniform(0.05, 1.5))
        else:
            wanted = rng.randint(0, 25)
            while printed < wanted and proc.stdout.readline():
                printed += 1
            time.sleep(rng.uniform(0.0, 0.3))  # anywhere inside the next image
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        proc.stdout.close()
    return printed


def test_sigkill_at_random_points_loses_nothing(
    tmp_path: Path, small_photos: dict[str, bytes]
) -> None:
    folder = tmp_path / "photos"
    _make_folder(folder, small_photos)

    # The reference runs beside the kill loop (2 cores): one clean, uninterrupted batch.
    reference_db = tmp_path / "reference.db"
    reference = subprocess.Popen(
        _command(reference_db, folder),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )

    rng = random.Random(SEED)
    db = tmp_path / "killed.db"
    progress: list[int] = []
    for run in range(KILLS):
        progress.append(_kill_after(db, folder, rng, first=run == 0))
        if db.exists():
            check_database(db)  # sound after every kill, whatever was going on

    final = _run_to_completion(db, folder)
    results = final.stdout.splitlines()
    assert len(results) == PHOTOS
    assert sum('"status": "error"' in line for line in results) == 0

    _, err = reference.communicate(timeout=600)
    assert reference.returncode == 0, err[-2000:]

    killed = check_database(db)
    clean = check_database(reference_db)
    assert clean["crash"], "the reference run found no faces"
    assert killed == clean
    # Interrupted runs got somewhere before the end (so kills really hit work in progress).
    assert sum(progress) > 0

    # Running once more changes nothing: every file is skipped as unchanged.
    again = _run_to_completion(db, folder)
    assert all('"status": "unchanged"' in line for line in again.stdout.splitlines())
    assert check_database(db) == clean
