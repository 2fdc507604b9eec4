"""UI responsiveness while indexing: gaps between 10 ms timer ticks on the UI thread.

Usage: python bench/ui_heartbeat.py [N_COPIES]

The window indexes N copies of a photo twice, in the same run: first the naive way (the
analysis on a thread of the app's own process, as IndexOptions(local_analysis=True) does
for the CLI: dlib holds the GIL while it works), then as the app does (every analysis in
a child process). Prints, for each, the max and 99th-percentile gap and the ratio.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

import facedesk
from facedesk.qt.controller import MainController
from facedesk.qt.main_window import MainWindow
from facedesk.qt.settings import AppSettings

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


def measure(n: int, app: QApplication, local_analysis: bool) -> tuple[float, float, float]:
    """(max gap ms, p99 gap ms, seconds) while indexing ``n`` copies of a photo."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for i in range(n):
            shutil.copy(TESTDATA / "real/face_recognition/two_people.jpg", folder / f"p{i:03d}.jpg")
        client = facedesk.client(database=str(Path(tmp) / "lib.db"), store_thumbnails=True)
        client.create_collection(CollectionId="bench")
        settings = AppSettings(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        controller = MainController(client)
        window = MainWindow(controller, settings, ask_before_close=False)
        window.resize(1400, 900)
        window.show()
        options = replace(settings.index_settings().to_options(), local_analysis=local_analysis)
        ticks: list[float] = []
        timer = QTimer(interval=10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        started = time.perf_counter()
        controller.indexing_finished.connect(lambda _o: app.quit())
        controller.refresh_collections(select="bench")
        QTimer.singleShot(500, lambda: controller.index_paths([str(folder)], options, "bench"))
        timer.start()
        app.exec()
        timer.stop()
        elapsed = time.perf_counter() - started
        gaps = sorted((b - a) * 1000 for a, b in pairwise(ticks))
        controller.shutdown()
        window.viewer.loader.shutdown()
        window.close()
        client.close()
    p99 = gaps[int(len(gaps) * 0.99)] if gaps else float("nan")
    return (gaps[-1] if gaps else float("nan")), p99, elapsed


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    app = QApplication([])
    print(f"load before {os.getloadavg()[0]:.2f}; {n} photos each")
    naive = measure(n, app, local_analysis=True)
    print(
        f"naive (analysis thread in the app):  max gap {naive[0]:6.1f} ms, "
        f"p99 {naive[1]:5.1f} ms, {naive[2]:.1f} s"
    )
    ours = measure(n, app, local_analysis=False)
    print(
        f"facedesk (analysis processes):        max gap {ours[0]:6.1f} ms, "
        f"p99 {ours[1]:5.1f} ms, {ours[2]:.1f} s"
    )
    print(f"max gap ratio naive/facedesk {naive[0] / ours[0]:.1f}x; target: max gap <= 50 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
