"""UI responsiveness while indexing: max gap between 10 ms timer ticks on the UI thread.

Usage: python bench/ui_heartbeat.py [N_COPIES]   (prints the max and 99th-percentile gap)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
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


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    app = QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for i in range(n):
            shutil.copy(TESTDATA / "real/face_recognition/two_people.jpg", folder / f"p{i:03d}.jpg")
        client = facedesk.client(database=str(Path(tmp) / "lib.db"), store_thumbnails=True)
        client.create_collection(CollectionId="bench")
        controller = MainController(client)
        window = MainWindow(
            controller,
            AppSettings(QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)),
            ask_before_close=False,
        )
        window.resize(1400, 900)
        window.show()
        ticks: list[float] = []
        timer = QTimer(interval=10)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        started = time.perf_counter()
        controller.indexing_finished.connect(lambda _o: app.quit())
        controller.refresh_collections(select="bench")
        QTimer.singleShot(500, lambda: window.commands.index_paths([str(folder)]))
        timer.start()
        app.exec()
        timer.stop()
        elapsed = time.perf_counter() - started
        gaps = sorted((b - a) * 1000 for a, b in pairwise(ticks))
        controller.shutdown()
        window.viewer.loader.shutdown()
        client.close()
    p99 = gaps[int(len(gaps) * 0.99)] if gaps else float("nan")
    print(
        f"{n} photos in {elapsed:.1f} s; {len(ticks)} ticks; max gap {gaps[-1]:.1f} ms; "
        f"p99 {p99:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
