"""File > Export/Import face regions (XMP): the service generators on the thread pool, with a
progress dialog (Cancel stops between photos) and a summary at the end.

The work is ``facedesk.service.xmp_export`` / ``xmp_import``; this module only shows it.
``summary_text`` is plain and tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.qt.controller import MainController
from facedesk.qt.workers.runner import TaskRunner

TARGET_LABELS = {
    "digikam": "Sidecars beside the photos, digiKam style (photo.jpg.xmp)",
    "lightroom": "Sidecars beside the photos, Lightroom style (photo.xmp)",
    "embed": "Inside the photos themselves (rewrites each file)",
}


def summary_text(kind: str, results: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """(one-paragraph summary, details with one line per problem)."""
    errors = [r for r in results if r.get("Status") == "error"]
    details = [f"{r['File']}: {r['Error']}" for r in errors]
    if kind == "export":
        done = [r for r in results if r.get("Status") == "exported"]
        named = sum(int(r.get("Named", 0)) for r in done)
        regions = sum(int(r.get("Regions", 0)) for r in done)
        text = (
            f"Wrote {regions} face regions ({named} named) for {len(done)} photos; "
            f"{len(results) - len(done) - len(errors)} photos had nothing to write, "
            f"{len(errors)} failed."
        )
    else:
        done = [r for r in results if r.get("Status") == "imported"]
        assigned = sum(1 for r in done for a in r["Assigned"] if not a.get("Already"))
        people = sum(len(r["CreatedUsers"]) for r in done)
        unmatched = [(r["File"], u["Name"]) for r in done for u in r["Unmatched"]]
        conflicts = [(r["File"], c) for r in done for c in r["Conflicts"]]
        text = (
            f"Named {assigned} faces in {len(done)} photos ({people} new people); "
            f"{len(unmatched)} named regions had no detected face, {len(conflicts)} faces "
            f"already belonged to someone else, {len(errors)} photos failed."
        )
        details += [f"{f}: no detected face for {name}" for f, name in unmatched]
        details += [
            f"{f}: {c['FaceId']} is {c['FaceUserId']}, not {c['Name']}" for f, c in conflicts
        ]
    return text, "\n".join(details)


class XmpTransfer(QObject):
    """Runs one export or import at a time for the window; ``done`` carries the results."""

    done = Signal(str, list)  # kind ("export"/"import"), result dicts

    def __init__(self, controller: MainController, parent: QWidget) -> None:
        super().__init__(parent)
        self._c = controller
        self._parent = parent
        self.receipt: Any = None  # the last import's ImportReceipt, for Undo
        self.progress: QProgressDialog | None = None

    def _start(self, kind: str, work: Iterator[ProgressEvent], token: CancelToken) -> TaskRunner:
        results: list[dict[str, Any]] = []
        dialog = QProgressDialog(
            "Exporting face regions…" if kind == "export" else "Importing face regions…",
            "Cancel",
            0,
            0,
            self._parent,
        )
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(token.cancel)
        self.progress = dialog

        def progressed(events: list[ProgressEvent]) -> None:
            for event in events:
                results.append(event.result)
                dialog.setMaximum(event.total or 0)
                dialog.setValue(event.done)
                dialog.setLabelText(event.item or "")

        def finished() -> None:
            dialog.reset()
            dialog.deleteLater()
            self.progress = None
            self.done.emit(kind, results)

        return self._c.run_task(  # the controller's one runner plumbing (errors become dialogs)
            lambda: work,
            progress=progressed,
            finished=finished,
            cancel=token,
            failed_title="Face regions",
        )

    def start_export(self, collection_id: str, target: str, include_unnamed: bool) -> TaskRunner:
        from facedesk.service.xmp_export import ExportOptions

        token = CancelToken()
        options = ExportOptions(target=target, include_unnamed=include_unnamed)
        work = self._c.library.iter_export_xmp(collection_id, options, token)
        return self._start("export", work, token)

    def start_import(self, collection_id: str, paths: Sequence[str]) -> TaskRunner:
        from facedesk.service.xmp_import import ImportReceipt

        token = CancelToken()
        self.receipt = ImportReceipt(collection_id)
        work = self._c.library.iter_import_xmp(collection_id, paths, self.receipt, token)
        return self._start("import", work, token)

    def undo_last_import(self) -> TaskRunner | None:
        receipt, self.receipt = self.receipt, None
        if receipt is None:
            return None
        return self._c.run_task(
            self._c.library.undo_import,
            receipt,
            done=lambda _counts: self._c.refresh_people(),
            failed_title="Undo import",
        )


def show_summary(
    parent: QWidget, transfer: XmpTransfer, kind: str, results: list[Any]
) -> QMessageBox:
    """The closing message, window-modal but not blocking (``open``, not ``exec``); an
    import's has an Undo button that reverses the whole import."""
    text, details = summary_text(kind, results)
    box = QMessageBox(parent)
    box.setObjectName("xmp_summary")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowTitle("Face regions exported" if kind == "export" else "Face regions imported")
    box.setText(text)
    if details:
        box.setDetailedText(details)
    if kind == "import" and transfer.receipt is not None and transfer.receipt.assigned:
        undo = box.addButton("Undo import", QMessageBox.ButtonRole.DestructiveRole)
        undo.clicked.connect(transfer.undo_last_import)
    box.addButton(QMessageBox.StandardButton.Ok)
    box.open()
    return box
