"""A new user's first session, watched by strace: no network, no stray files.

``facedesk index`` on real photos, then DetectFaces, IndexFaces and SearchFacesByImage
through ``facedesk.client()``, in a subprocess whose HOME, XDG folders and TMPDIR are an
empty folder and whose environment holds nothing of this test process (so no telemetry
switch unless facedesk sets it itself). Afterwards:

- every file and folder in that home lies in facedesk's data or cache folder, and TMPDIR
  is empty again;
- ``strace -f`` saw no DNS query, no read of the resolver's files and no connect or send
  to anything but Unix sockets and loopback, in any thread of any process (the analysis
  processes included).

Removing the telemetry switch from ``facedesk/__init__.py`` makes both checks fail:
onnxruntime creates ``~/.cache/Microsoft/DeveloperTools/.onnxruntime`` and, about ten
seconds after it initialises, asks DNS for ``mobile.events.data.microsoft.com``; the
script therefore keeps its process alive for ``LINGER_S`` after the last call.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import syscalls

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="strace is Linux only"),
]

REPO = Path(__file__).resolve().parents[2]
LINGER_S = 15.0  # onnxruntime's uploader first ran 9-10 s after initialising (measured)

SESSION = """
import sys, time
start = time.monotonic()

import facedesk
from facedesk import cli

folder, photo, probe, linger = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
# The batch command, with its analysis processes, into the default database.
assert cli.main(["index", folder, "--collection-id", "batch", "--create-collection",
                 "--no-progress", "--detection-attributes", "ALL"]) == 0
with facedesk.client(store_thumbnails=True) as c:
    c.create_collection(CollectionId="single")
    indexed = c.index_faces(CollectionId="single", Image={"Bytes": open(photo, "rb").read()},
                            DetectionAttributes=["ALL"])
    detected = c.detect_faces(Image={"Bytes": open(photo, "rb").read()}, Attributes=["ALL"])
    found = c.search_faces_by_image(CollectionId="batch",
                                    Image={"Bytes": open(probe, "rb").read()})
    assert indexed["FaceRecords"] and detected["FaceDetails"] and found["FaceMatches"]
    assert "AgeRange" in detected["FaceDetails"][0]  # the ONNX and TFLite models ran
    print("SESSION OK", len(found["FaceMatches"]), flush=True)
    # Native threads report later than a short script lives: stay as long as an app would.
    time.sleep(max(0.0, linger - (time.monotonic() - start)))
"""


def _watched(tmp_path: Path, cmd: list[str], allowed: list[str]) -> tuple[Path, str]:
    """Run ``cmd`` under strace as a new user; returns (home, stdout). Fails on any file
    outside ``allowed`` (relative to home; TMPDIR must end empty) or any network use."""
    reason = syscalls.strace_unavailable()
    if reason is not None:
        pytest.skip(reason)
    home = tmp_path / "home"
    cwd = tmp_path / "cwd"
    for folder in (home, home / "tmp", home / "run", cwd):
        folder.mkdir(mode=0o700)
    before = syscalls.snapshot(home)
    log = tmp_path / "strace.log"
    done = subprocess.run(
        syscalls.strace_command(log, cmd),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env=syscalls.clean_environment(home, {"PYTHONPATH": str(REPO)}),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    trace = log.read_text(errors="replace")
    assert len(trace.splitlines()) > 100, "strace recorded almost nothing: not watching?"

    after = syscalls.snapshot(home)
    # TMPDIR included: the temporary files facedesk deletes must be gone.
    stray = syscalls.outside(after - before, [Path(a) for a in allowed])
    stray += [f"./{p.name} (in the working directory)" for p in cwd.iterdir()]
    violations = syscalls.network_violations(trace)
    # Both lists in one message: a regression usually shows in both.
    problems = [f"file: {s}" for s in stray] + [f"network: {v}" for v in violations[:20]]
    assert not problems, "\n".join(problems)
    return home, done.stdout


def test_first_session_stays_offline_and_in_its_folders(testdata: Path, tmp_path: Path) -> None:
    real = testdata / "real" / "face_recognition"
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("obama.jpg", "biden.jpg", "two_people.jpg"):
        (photos / name).write_bytes((real / name).read_bytes())
    photo, probe = real / "obama_and_biden.jpg", real / "obama2.jpg"
    session = [
        sys.executable, "-c", textwrap.dedent(SESSION), str(photos), str(photo), str(probe),
        str(LINGER_S),
    ]  # fmt: skip
    home, out = _watched(tmp_path, session, [".local/share/facedesk", ".cache/facedesk"])
    assert "SESSION OK" in out
    assert (home / ".local/share/facedesk/facedesk.db").is_file()  # the defaults were used


def test_the_app_window_stays_offline_and_leaves_no_temp_file(tmp_path: Path) -> None:
    """Qt (PySide6) too: the window rendered offscreen by the app's screenshot mode, which
    keeps its throwaway settings in a temporary folder (once recreated after deletion)."""
    db, shot = tmp_path / "lib.db", tmp_path / "shot.png"
    app = [sys.executable, "-m", "facedesk", "--database", str(db), "--screenshot", str(shot)]
    _watched(tmp_path, app, [".cache/facedesk", ".config/facedesk"])
    assert shot.stat().st_size > 1000
