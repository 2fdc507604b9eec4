"""Screenshot mode: render the window offscreen once everything has loaded, save, quit."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from facedesk.qt.main_window import MainWindow

SETTLE_TICKS = 4  # consecutive idle polls before grabbing (lets queued paints run)
POLL_MS = 50
TIMEOUT_MS = 120_000


@dataclass(frozen=True)
class ScreenshotRequest:
    path: str
    collection: str | None = None
    view: str = "photos"
    image: str | None = None  # ExternalImageId to open in the viewer
    width: int = 1400
    height: int = 900


class ScreenshotTaker(QObject):
    """Steps: collections listed -> collection loaded -> view/photo shown -> idle -> grab."""

    def __init__(self, window: MainWindow, request: ScreenshotRequest) -> None:
        super().__init__(window)
        self.window = window
        self.request = request
        self.ok = False
        self.error = ""
        self._step = "collections"
        self._idle_ticks = 0
        self._elapsed = 0
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self.window.resize(self.request.width, self.request.height)
        self.window.show()
        # Startup probe: the first turn of the event loop after show() has laid out and
        # painted the window. packaging/smoke_test.py times exec -> this line (wall clock,
        # same machine), which is "window shown" without the grab and PNG that follow.
        QTimer.singleShot(0, self._report_shown)
        self._timer.start()

    def _report_shown(self) -> None:
        sys.stderr.write(f"facedesk: window shown at {time.time():.3f}\n")
        sys.stderr.flush()

    def _idle(self) -> bool:
        c, w = self.window.controller, self.window
        return (
            not c.busy
            and c.thumbnails.pending == 0
            and not w.viewer.loading
            and not w.people_controller.busy
        )

    def _on_timer_timeout(self) -> None:
        self._elapsed += POLL_MS
        if self._elapsed > TIMEOUT_MS:
            self._finish(f"timed out at step {self._step}")
            return
        if not self._idle():
            self._idle_ticks = 0
            return
        w, c, r = self.window, self.window.controller, self.request
        if self._step == "collections":
            cid = r.collection or c.current_collection
            if r.collection and c.collections.row_of(r.collection) < 0:
                self._finish(f"no collection named {r.collection!r}")
                return
            if cid and cid != c.current_collection:
                c.select_collection(cid)
            self._step = "view"
            return
        if self._step == "view":
            if r.image is not None:
                item = next(
                    (
                        i
                        for i in c.photos.images()
                        if i.external_image_id == r.image or i.image_id == r.image
                    ),
                    None,
                )
                if item is None:
                    self._finish(f"no image {r.image!r} in the collection")
                    return
                c.open_photo(item.image_id, item.external_image_id)
                w.show_view("viewer")
            else:
                w.show_view(r.view)
                if r.view == "people":
                    w.people_view.start_triage()
            self._step = "settle"
            return
        self._idle_ticks += 1
        if self._idle_ticks == 1 and r.image is not None:
            self._select_interesting_face()
        if self._idle_ticks >= SETTLE_TICKS:
            image = w.grab()
            if image.save(r.path):
                self.ok = True
                self._finish("")
            else:
                self._finish(f"could not write {r.path}")

    def _select_interesting_face(self) -> None:
        """Fill the inspector for the picture: an unindexed face shows why it was left out."""
        boxes = self.window.viewer.box_items()
        chosen = next((b for b in boxes if not b.face.indexed), boxes[0] if boxes else None)
        if chosen is not None:
            self.window.viewer.scene.face_clicked.emit(chosen.face)
            self.window.inspector.tabs.setCurrentIndex(1)  # the measured values

    def _finish(self, error: str) -> None:
        self.error = error
        self._timer.stop()
        QApplication.instance().quit()  # type: ignore[union-attr]
