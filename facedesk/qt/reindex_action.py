""" "Re-index into a new collection with the current model": the app's twin of ``facedesk
reindex``.

A collection keeps the FaceModelVersion it was made with, so a library moves forward by
indexing its photos again, from the paths the index records kept, into a new collection
(``service.reindex``). Here that runs on the thread pool (``TaskRunner``) with a
non-modal progress dialog that can cancel it; at the end a summary lists the photos that
could not be found (moved, deleted, or indexed from bytes with no path) and the collection
list selects the new collection. Qt only for the dialogs; the work is the service's
generator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QProgressDialog, QWidget

from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.qt.controller import MainController
from facedesk.qt.workers.runner import ErrorInfo, TaskRunner
from facedesk.service.indexing import FileResult
from facedesk.service.reindex import SOURCE_NOT_FOUND

MENU_TEXT = "Re-index into a new collection with the current model…"
_SHOWN_MISSING = 20  # paths listed in the summary text; all of them in its details


@dataclass
class ReindexOutcome:
    """What a run did, as plain data (the summary and tests read it)."""

    source: str
    target: str
    cancelled: bool = False
    failure: str | None = None
    results: list[FileResult] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [r.path for r in self.results if r.error_code == SOURCE_NOT_FOUND]

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "error" and r.error_code != SOURCE_NOT_FOUND]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


def default_target(source: str, version: str, taken: set[str]) -> str:
    """``<source>-<version>``, numbered when taken; valid for CollectionId's pattern."""
    base = re.sub(r"[^a-zA-Z0-9_.\-]", "_", f"{source}-{version}")[:240]
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def summary_text(outcome: ReindexOutcome) -> str:
    if outcome.failure is not None:
        return f"Re-indexing into “{outcome.target}” stopped: {outcome.failure}"
    head = "Cancelled re-indexing" if outcome.cancelled else "Re-indexed"
    lines = [
        f"{head} “{outcome.source}” into “{outcome.target}”: "
        f"{outcome.count('indexed')} photos indexed, {outcome.count('unchanged')} unchanged."
    ]
    missing = outcome.missing
    if missing:
        lines.append(f"{len(missing)} photos could not be found:")
        lines += [f"  {p}" for p in missing[:_SHOWN_MISSING]]
        if len(missing) > _SHOWN_MISSING:
            lines.append(f"  … and {len(missing) - _SHOWN_MISSING} more (see Details)")
    if outcome.failed:
        lines.append(f"{len(outcome.failed)} photos could not be indexed (see Details).")
    return "\n".join(lines)


class Reindexer(QObject):
    """Runs one re-index at a time for the window; ``finished`` carries the outcome."""

    finished = Signal(object)  # ReindexOutcome

    def __init__(self, controller: MainController, parent: QWidget) -> None:
        super().__init__(parent)
        self.controller = controller
        self.parent_widget = parent
        self.runner: TaskRunner | None = None
        self.progress: QProgressDialog | None = None
        self.summary: QMessageBox | None = None
        self.last: ReindexOutcome | None = None

    @property
    def running(self) -> bool:
        return self.runner is not None

    def current_version(self) -> str:
        from facedesk.service.versions import default_model_version

        return default_model_version()

    def ask_and_start(self, source: str) -> None:
        """Ask for the new collection's id (a suggestion filled in), then start."""
        taken = {info.collection_id for info in self.controller.library.collections()}
        target, ok = QInputDialog.getText(
            self.parent_widget,
            "Re-index with the current model",
            f"Index the photos of “{source}” again, from their files, with FaceModelVersion "
            f"{self.current_version()} into the new collection:",
            QLineEdit.EchoMode.Normal,
            default_target(source, self.current_version(), taken),
        )
        if ok and target.strip():
            self.start(source, target.strip())

    def start(self, source: str, target: str) -> TaskRunner | None:
        if self.runner is not None:
            QMessageBox.information(
                self.parent_widget, "Re-indexing is running", "Wait for it to finish first."
            )
            return None
        outcome = ReindexOutcome(source, target)
        token = CancelToken()
        lib, version = self.controller.library, self.current_version()

        def work() -> Iterator[ProgressEvent]:
            yield from lib.iter_reindex(source, target, cancel=token, model_version=version)

        runner = TaskRunner(work, cancel=token)
        dialog = QProgressDialog(
            f"Re-indexing “{source}” into “{target}”…", "Cancel", 0, 0, self.parent_widget
        )
        dialog.setWindowTitle("Re-index with the current model")
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(runner.cancel)
        dialog.show()

        def progressed(events: list[ProgressEvent]) -> None:
            outcome.results += [e.result for e in events if isinstance(e.result, FileResult)]
            last = events[-1]
            total = last.total if last.total is not None else last.done
            dialog.setMaximum(max(1, total))
            dialog.setValue(min(last.done, total))
            dialog.setLabelText(f"{last.done} of {total}: {last.item}")

        def failed(info: ErrorInfo) -> None:
            outcome.failure = f"{info.code}: {info.message}"

        def finished() -> None:
            outcome.cancelled = runner.token.cancelled
            self.runner, self.progress = None, None
            dialog.close()
            dialog.deleteLater()
            self.last = outcome
            self._show_summary(outcome)
            if outcome.failure is None:
                self.controller.refresh_collections(select=target)
            self.finished.emit(outcome)

        runner.signals.progressed.connect(progressed)
        runner.signals.failed.connect(failed)
        runner.signals.finished.connect(finished)
        self.runner, self.progress = runner, dialog
        runner.start(self.controller.pool)
        return runner

    def _show_summary(self, outcome: ReindexOutcome) -> None:
        box = QMessageBox(self.parent_widget)
        box.setWindowTitle("Re-index with the current model")
        box.setIcon(
            QMessageBox.Icon.Warning
            if outcome.failure or outcome.missing or outcome.failed
            else QMessageBox.Icon.Information
        )
        box.setText(summary_text(outcome))
        details = [f"not found: {p}" for p in outcome.missing]
        details += [f"failed: {r.path} ({r.error_code}: {r.message})" for r in outcome.failed]
        if details:
            box.setDetailedText("\n".join(details))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not modal for the run that ended; the user reads it when ready
        self.summary = box


def reindexer_for(window: Any) -> Reindexer:
    """The window's Reindexer, made on first use (kept on the window)."""
    found = getattr(window, "_reindexer", None)
    if isinstance(found, Reindexer):
        return found
    made = Reindexer(window.controller, window)
    window._reindexer = made
    return made
