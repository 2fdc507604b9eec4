"""Analysis processes die with the process that started them, SIGKILL included.

``facedesk index`` and the app are killed with SIGKILL in the middle of a batch, while
their spawned analysis processes are busy; 5 s later no process that they started may be
left. Every process of a run carries a unique environment marker (spawned children
inherit it), so processes of other test runs on this machine are never counted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from tests.support import processes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not hasattr(signal, "SIGKILL") or not processes.can_scan(),
        reason="needs SIGKILL and /proc to find the processes a run started",
    ),
]

REPO = Path(__file__).resolve().parents[2]
MARKER = "FACEDESK_ORPHAN_PROBE"
GONE_WITHIN_S = 5.0
PHOTOS = 40


def _batch_folder(testdata: Path, folder: Path) -> Path:
    """Photos that keep two cores busy for a while (distinct names, some distinct bytes)."""
    folder.mkdir()
    real = testdata / "real"
    sources = [
        real / "dlib" / "2008_002079.jpg",
        real / "dlib" / "bald_guys.jpg",
        real / "face_recognition" / "two_people.jpg",
        real / "face_recognition" / "obama.jpg",
    ]
    for i in range(PHOTOS):
        src = sources[i % len(sources)]
        shutil.copy(src, folder / f"p{i:03d}_{src.name}")
    return folder


def _start(cmd: list[str], tag: str) -> subprocess.Popen[str]:
    env = {**os.environ, MARKER: tag, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO, env=env
    )


def _kill_mid_batch(proc: subprocess.Popen[str], tag: str, started: str, lines: int) -> None:
    """Wait for ``lines`` lines starting with ``started``, SIGKILL, then count survivors."""
    assert proc.stdout is not None
    seen = 0
    try:
        while seen < lines:
            line = proc.stdout.readline()
            assert line, f"the batch ended before {lines} results (exit {proc.poll()})"
            seen += line.startswith(started)
        # Mid-batch: the analysis processes exist and are working on the next photos.
        helpers = processes.tagged(MARKER, tag)
        helpers.pop(proc.pid, None)
        assert helpers, "no analysis process was running: the test would prove nothing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        killed_at = time.monotonic()
        left = processes.wait_until_gone(MARKER, tag, GONE_WITHIN_S)
        after = time.monotonic() - killed_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    processes.kill_all(left)
    assert not left, f"still alive {after:.1f} s after the parent's SIGKILL: {left}"


def test_sigkill_of_facedesk_index_leaves_no_process(testdata: Path, tmp_path: Path) -> None:
    folder = _batch_folder(testdata, tmp_path / "photos")
    tag = uuid.uuid4().hex
    proc = _start(
        [sys.executable, "-m", "facedesk", "--database", str(tmp_path / "k.db"), "index",
         "--collection-id", "k", "--create-collection", "--no-progress", str(folder)],
        tag,
    )  # fmt: skip
    _kill_mid_batch(proc, tag, "{", lines=2)


# The app as facedesk.app.run_gui composes it (settings, client, controller, window), with
# a drop of a folder on the selected collection once the window is up; it prints a line
# per progress signal so the test can kill it mid-batch.
APP = """
import sys
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

import facedesk
from facedesk.qt.controller import MainController
from facedesk.qt.main_window import MainWindow
from facedesk.qt.settings import AppSettings

db, folder, ini = sys.argv[1:4]
app = QApplication([sys.argv[0]])
client = facedesk.client(database=db, store_thumbnails=True)
client.create_collection(CollectionId="g")
controller = MainController(client)
window = MainWindow(controller, AppSettings(QSettings(ini, QSettings.Format.IniFormat)),
                    ask_before_close=False)
controller.indexing_progressed.connect(lambda *a: print("PROGRESS", flush=True))
controller.refresh_collections(select="g")
window.show()
QTimer.singleShot(500, lambda: window.commands.index_paths([folder], "g"))
app.exec()
"""


def test_sigkill_of_the_app_mid_batch_leaves_no_process(testdata: Path, tmp_path: Path) -> None:
    folder = _batch_folder(testdata, tmp_path / "photos")
    tag = uuid.uuid4().hex
    proc = _start(
        [sys.executable, "-c", textwrap.dedent(APP), str(tmp_path / "g.db"), str(folder),
         str(tmp_path / "settings.ini")],
        tag,
    )  # fmt: skip
    _kill_mid_batch(proc, tag, "PROGRESS", lines=2)


# A middle process starts a child that arms only the portable watchdog (as on Windows and
# macOS, where there is no PR_SET_PDEATHSIG) and says so on the shared stdout.
WATCHDOG_PARENT = """
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
time.sleep(60)
"""
WATCHDOG_CHILD = """
import os, sys, time
from facedesk.service import lifeline
lifeline._set_pdeathsig = lambda: None  # the watchdog alone
lifeline.die_with_parent(int(sys.argv[1]))
print(os.getpid(), flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("guard", ["watchdog", "pdeathsig"])
def test_a_child_ends_within_2_s_of_its_parent(guard: str) -> None:
    if guard == "pdeathsig" and not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux only")
    child_code = WATCHDOG_CHILD
    if guard == "pdeathsig":  # the kernel's signal alone: the watchdog thread never starts
        child_code = child_code.replace(
            "lifeline._set_pdeathsig = lambda: None  # the watchdog alone",
            "lifeline._watch = lambda alive: None  # the kernel's signal alone",
        )
    tag = uuid.uuid4().hex
    proc = _start([sys.executable, "-c", WATCHDOG_PARENT, child_code], tag)
    assert proc.stdout is not None
    child = int(proc.stdout.readline())  # once its guard is armed
    assert child in processes.tagged(MARKER, tag)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    left = processes.wait_until_gone(MARKER, tag, 2.0)
    processes.kill_all(left)
    assert not left, f"{guard}: the child outlived its parent by 2 s: {left}"
