"""Long indexing runs from the GUI: cancel, close while running, event loop stays alive."""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from tests.gui.conftest import make_client
from tests.gui.test_window import new_library


def copies(testdata: Path, folder: Path, n: int = 30) -> list[Path]:
    folder.mkdir()
    src = testdata / "real/face_recognition/obama_small.jpg"
    out = []
    for i in range(n):
        p = folder / f"copy_{i:02d}.jpg"
        shutil.copy(src, p)
        out.append(p)
    return out


def assert_nothing_half_written(db: Path, collection: str) -> int:
    """Every stored image has its index record and exactly the faces the record lists."""
    client = make_client(db)
    try:
        lib = client.library
        faces = lib.faces(collection)
        images = lib.list_images(collection)
        for img in images:
            record = lib.index_record(collection, img.image_id, img.external_image_id)
            assert record is not None, img
            listed = {r["Face"]["FaceId"] for r in record.response["FaceRecords"]}
            stored = {
                f.face_id
                for f in faces
                if f.image_id == img.image_id and f.external_image_id == img.external_image_id
            }
            assert stored == listed, img.external_image_id
        assert {(f.image_id, f.external_image_id) for f in faces} <= {
            (i.image_id, i.external_image_id) for i in images
        }
        return len(images)
    finally:
        client.close()


def test_cancel_stops_cleanly(make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path) -> None:
    db = new_library(tmp_path, "c")
    window = make_window(db, "c")
    c = window.controller
    paths = copies(testdata, tmp_path / "photos")
    with qtbot.waitSignal(c.indexing_progressed, timeout=60_000):
        window.commands.index_paths([str(tmp_path / "photos")])
    assert window.indexing_panel.cancel_button.isEnabled()
    with qtbot.waitSignal(c.indexing_finished, timeout=60_000) as done:
        window.indexing_panel.cancel_button.click()
    outcome = done.args[0]
    assert outcome.cancelled
    indexed = [r for r in c.results.results() if r.status == "indexed"]
    assert 0 < len(indexed) < len(paths)
    qtbot.waitUntil(lambda: not c.busy, timeout=20_000)
    assert assert_nothing_half_written(db, "c") == len(indexed)


@pytest.mark.slow
def test_closing_during_indexing_asks_then_cancels_and_waits(
    make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = new_library(tmp_path, "c")
    window = make_window(db, "c")
    window.ask_before_close = True
    c = window.controller
    copies(testdata, tmp_path / "photos")
    asked: list[bool] = []
    monkeypatch.setattr(
        "facedesk.qt.main_window.confirm_close_while_indexing",
        lambda _w: asked.append(True) or True,
    )
    with qtbot.waitSignal(c.indexing_progressed, timeout=60_000):
        window.commands.index_paths([str(tmp_path / "photos")])
    assert window.close()
    assert asked == [True]
    assert not c.busy or c.pool.activeThreadCount() == 0
    assert_nothing_half_written(db, "c")


@pytest.mark.slow
def test_event_loop_keeps_running_while_30_photos_index(
    make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path
) -> None:
    """The loop ran throughout and every photo was reported."""
    db = new_library(tmp_path, "c")
    window = make_window(db, "c")
    c = window.controller
    copies(testdata, tmp_path / "photos")
    beats = {"during": 0}
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: beats.__setitem__("during", beats["during"] + 1))
    progress_batches: list[int] = []
    c.indexing_progressed.connect(lambda p: progress_batches.append(p.done))
    timer.start()
    with qtbot.waitSignal(c.indexing_finished, timeout=300_000) as done:
        window.commands.index_paths([str(tmp_path / "photos")])
    timer.stop()
    assert not done.args[0].cancelled
    assert done.args[0].totals["files"] == 30
    assert beats["during"] > 0
    assert progress_batches[-1] == 30
    qtbot.waitUntil(lambda: not c.busy, timeout=20_000)


@contextmanager
def _machine_control(stop: Path) -> Iterator[Callable[[], float]]:
    """A bare process ticking every 10 ms until ``stop`` exists; yields its longest gap (ms)."""
    script = (
        "import sys, time, pathlib\n"
        "stop, worst, last, end = pathlib.Path(sys.argv[1]), 0.0, time.perf_counter(), "
        "time.perf_counter() + 300\n"
        "while not stop.exists() and last < end:\n"
        "    time.sleep(0.01)\n"
        "    now = time.perf_counter(); worst = max(worst, now - last); last = now\n"
        "print(worst * 1000)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(stop)], stdout=subprocess.PIPE, text=True
    )
    out: list[float] = []
    try:
        yield lambda: out[0]
    finally:
        stop.touch()
        stdout, _ = proc.communicate(timeout=60)
    out.append(float(stdout))


# A generous bound for a shared, loaded machine: bench/ui_heartbeat.py keeps the 50 ms target
# (measured there: 646-766 ms stalls with the analysis in the UI's process).
MAX_UI_GAP_MS = 250.0


@pytest.mark.slow
def test_indexing_never_blocks_the_ui_thread_longer_than_250_ms(
    make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path
) -> None:
    """A 10 ms timer on the UI thread keeps ticking while photos with two faces index.

    two_people.jpg takes a few hundred ms of dlib (which holds the GIL) per copy: run in the
    app's own process (qt/settings.py local_analysis=True) that shows as a gap of that size.
    """
    db = new_library(tmp_path, "c")
    window = make_window(db, "c")
    c = window.controller
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(8):
        shutil.copy(testdata / "real/face_recognition/two_people.jpg", folder / f"p{i}.jpg")
    ticks: list[float] = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    stop = tmp_path / "stop"
    # Late in a full pytest run the heap holds every earlier test's objects, and a full garbage
    # collection of it can stall this thread for hundreds of ms (a 403 ms gap was seen only in
    # the full run; alone the gap is 34-59 ms). Freezing what exists keeps the measure on
    # indexing; new garbage is still collected.
    gc.collect()
    gc.freeze()
    try:
        with _machine_control(stop) as control:
            timer.start()
            qtbot.wait(100)  # the timer is running before the work starts
            with qtbot.waitSignal(c.indexing_finished, timeout=300_000) as done:
                window.commands.index_paths([str(folder)])
            timer.stop()
            stop.touch()
    finally:
        gc.unfreeze()
    assert not done.args[0].cancelled
    assert [r.status for r in c.results.results()] == ["indexed"] * 8
    gaps = [(b - a) * 1000 for a, b in pairwise(ticks)]
    assert len(gaps) > 10
    machine = control()
    print(f"UI max gap {max(gaps):.0f} ms over {len(gaps)} ticks; control process {machine:.0f} ms")
    # The bound is on the app's own stalls: a loaded machine delays every process (at load
    # 20-28 on 2 cores a bare sleeping process here waited up to ~0.4 s), so the control's
    # longest wait is added. Analysis in the UI's process stalls 0.3-1.4 s per photo idle,
    # 5.5 s at load 28.
    assert max(gaps) < MAX_UI_GAP_MS + machine, f"UI thread blocked {max(gaps):.0f} ms"
    qtbot.waitUntil(lambda: not c.busy, timeout=20_000)
