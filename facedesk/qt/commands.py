"""What menu items, shortcuts and buttons do: dialogs and confirmations, then the controller.

Kept apart from MainWindow (layout only) and from the controller (no widgets there). The
window is reached through ``CommandHost``, a protocol of what the commands act on, so
this module does not import the window (which imports it).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMessageBox,
    QStatusBar,
    QWidget,
)

from facedesk.qt.controller import MainController
from facedesk.qt.documents import FaceOverlay
from facedesk.qt.people_controller import PeopleController
from facedesk.qt.settings import AppSettings
from facedesk.qt.views.about_dialog import show_about
from facedesk.qt.views.collection_name_dialog import CollectionNameDialog
from facedesk.qt.views.faces_view import FacesView
from facedesk.qt.views.index_options_dialog import IndexOptionsDialog
from facedesk.qt.views.inspector import Inspector
from facedesk.qt.views.open_library_dialog import OpenLibraryDialog
from facedesk.qt.views.people_view import PeopleView
from facedesk.qt.views.photo_viewer import PhotoViewer
from facedesk.qt.views.photos_view import PhotosView
from facedesk.qt.views.search_panel import SearchPanel
from facedesk.qt.xmp_transfer import TARGET_LABELS, XmpTransfer, show_summary

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.tif *.tiff *.bmp *.gif);;All files (*)"


class CommandHost(Protocol):
    """What the commands act on in the main window: its views and docks, its two undo
    histories, the checkable actions, and the window itself (dialogs' parent, status
    bar, view switching, closing)."""

    @property
    def photos_view(self) -> PhotosView: ...
    @property
    def faces_view(self) -> FacesView: ...
    @property
    def viewer(self) -> PhotoViewer: ...
    @property
    def people_view(self) -> PeopleView: ...
    @property
    def people_controller(self) -> PeopleController: ...
    @property
    def inspector(self) -> Inspector: ...
    @property
    def inspector_dock(self) -> QDockWidget: ...
    @property
    def search_panel(self) -> SearchPanel: ...
    @property
    def search_dock(self) -> QDockWidget: ...
    @property
    def undo_stack(self) -> QUndoStack: ...
    @property
    def action_map(self) -> dict[str, QAction]: ...

    def window(self) -> QWidget: ...  # QWidget's own: the top-level widget, dialogs' parent

    def statusBar(self) -> QStatusBar: ...  # QMainWindow's own
    def close(self) -> bool: ...
    def current_view(self) -> str: ...
    def show_view(self, name: str) -> None: ...
    def step_photo(self, step: int) -> None: ...
    def switch_library(self, database: str) -> None: ...


class Commands:
    def __init__(
        self, window: CommandHost, controller: MainController, settings: AppSettings
    ) -> None:
        self.w = window
        self.c = controller
        self.settings = settings
        self._undo_kinds: list[str] = []  # "people" or "faces", the latest last
        self._redo_kinds: list[str] = []

    # -- File ----------------------------------------------------------------------------
    def open_library(self) -> None:
        """Choose another library; the window reopens on it once it has opened."""
        from facedesk.service.library_choice import check_library

        current = self.c.library.database_path
        dialog = OpenLibraryDialog(
            current, self.settings.recent_libraries(), check_library, self.w.window()
        )
        if dialog.exec() and dialog.chosen() != current:
            self.w.switch_library(dialog.chosen())

    def add_photos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self.w.window(), "Add photos", self._last_dir(), IMAGE_FILTER
        )
        self._index_after_options(paths)

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.w.window(), "Add a folder of photos", self._last_dir()
        )
        self._index_after_options([folder] if folder else [])

    def _index_after_options(self, paths: list[str]) -> None:
        if not paths:
            return
        from pathlib import Path

        self.settings.set_value("last_dir", str(Path(paths[0]).parent))
        dialog = IndexOptionsDialog(self.settings.index_settings(), self.w.window())
        if dialog.exec():
            self.settings.set_index_settings(dialog.settings())
            self.index_paths(paths)

    def index_paths(self, paths: list[str], collection_id: str = "") -> None:
        """Drops: index with the remembered options, no questions asked."""
        options = self.settings.index_settings().to_options()
        self.c.index_paths(paths, options, collection_id or None)

    def edit_index_options(self) -> None:
        dialog = IndexOptionsDialog(self.settings.index_settings(), self.w.window())
        if dialog.exec():
            self.settings.set_index_settings(dialog.settings())

    def _xmp(self) -> XmpTransfer:
        transfer = getattr(self, "_xmp_transfer", None)
        if transfer is None:
            transfer = self._xmp_transfer = XmpTransfer(self.c, self.w.window())
            transfer.done.connect(self._xmp_done)
        return transfer

    def _xmp_done(self, kind: str, results: list[dict[str, object]]) -> None:
        if kind == "import":
            self.c.refresh_people()
        show_summary(self.w.window(), self._xmp(), kind, results)

    def export_xmp(self) -> None:
        cid = self.c.current_collection
        if not cid:
            return
        labels = list(TARGET_LABELS.values())
        label, ok = QInputDialog.getItem(
            self.w.window(),
            "Export face regions",
            f"Write the faces and names of “{cid}” to:",
            labels,
            0,
            False,
        )
        if not ok:
            return
        target = next(k for k, v in TARGET_LABELS.items() if v == label)
        unnamed = QMessageBox.question(
            self.w.window(),
            "Export face regions",
            "Also write regions for faces that have no name yet?",
        )
        include = unnamed == QMessageBox.StandardButton.Yes
        self._xmp().start_export(cid, target, include_unnamed=include)

    def import_xmp(self) -> None:
        cid = self.c.current_collection
        folder = (
            QFileDialog.getExistingDirectory(
                self.w.window(), "Import face regions from a folder", self._last_dir()
            )
            if cid
            else ""
        )
        if folder:
            self._xmp().start_import(cid, [folder])

    def new_collection(self) -> None:
        taken = [c.collection_id for c in self.c.collections.collections()]
        dialog = CollectionNameDialog(taken, self.w.window(), versions=_model_choices())
        if dialog.exec() and dialog.display_name():
            self.c.create_named_collection(dialog.display_name(), dialog.model_version())

    def rename_collection(self, collection_id: str = "") -> None:
        cid = collection_id or self.c.current_collection
        info = next((c for c in self.c.collections.collections() if c.collection_id == cid), None)
        if info is None:
            return
        dialog = CollectionNameDialog(
            [], self.w.window(), title="Rename collection", name=info.shown_name, fixed_id=cid
        )
        if dialog.exec() and dialog.display_name():
            self.c.rename_collection(cid, dialog.display_name())

    def delete_collection(self, collection_id: str = "") -> None:
        cid = collection_id or self.c.current_collection
        if not cid:
            return
        info = next((c for c in self.c.collections.collections() if c.collection_id == cid), None)
        n = info.face_count if info else 0
        answer = QMessageBox.warning(
            self.w.window(),
            "Delete collection",
            f"Delete the collection “{cid}” and its {n:,} face{'s' if n != 1 else ''}?\n\n"
            "Your photo files are not touched, but the faces, people and index records "
            "are gone for good.",
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Discard,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Discard:
            self.c.delete_collection(cid)

    def quit(self) -> None:
        self.w.close()

    # -- Edit ----------------------------------------------------------------------------
    def delete_selected_faces(self) -> None:
        if self.w.current_view() != "faces":
            return
        ids = self.w.faces_view.selected_face_ids()
        if not ids:
            self.w.statusBar().showMessage("Select faces to delete first", 3000)
            return
        answer = QMessageBox.question(
            self.w.window(),
            "Delete faces",
            f"Delete {len(ids)} face{'s' if len(ids) != 1 else ''} "
            f"from “{self.c.current_collection}”?"
            "\n\nThey will no longer be found by searches.",
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.c.delete_faces(ids)

    def draw_face(self) -> None:
        """Drawing mode in the viewer: the next drag draws a face box."""
        if self.w.viewer.document is None:
            self.w.statusBar().showMessage("Open a photo to draw a face on it", 3000)
            return
        self.w.show_view("viewer")
        self.w.viewer.draw_button.setChecked(True)
        self.w.statusBar().showMessage("Drag a box around the face", 4000)

    def focus_filter(self) -> None:
        if self.w.current_view() == "faces":
            self.w.faces_view.focus_filter()
        else:
            self.w.show_view("photos")
            self.w.photos_view.focus_filter()

    def search_by_photo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.w.window(), "Search by photo", self._last_dir(), IMAGE_FILTER
        )
        if path:
            self.w.search_dock.raise_()
            self.w.search_panel.search(path)

    def new_person(self) -> None:
        ids = self.w.faces_view.selected_face_ids() if self.w.current_view() == "faces" else []
        if not ids:
            # An empty person could not be removed from here: ask for faces first.
            self.w.statusBar().showMessage("Select the faces of the new person first", 4000)
            return
        text, ok = QInputDialog.getText(
            self.w.window(),
            "New person",
            f"Name for this person ({len(ids)} selected face{'s' if len(ids) != 1 else ''}):",
        )
        name = text.strip() if ok else ""
        if name:  # any text: the UserId is derived from it, the name is kept as typed
            self.c.create_person(name, ids)

    # One Ctrl+Z for two histories: people actions (journalled in the database, so they
    # outlive a restart) and corrections of faces on photos (this session's QUndoStack).
    # Which came last is remembered here; with nothing remembered, the journal answers.
    def record_undoable(self, kind: str) -> None:
        self._undo_kinds.append(kind)
        self._redo_kinds.clear()

    def undo(self) -> None:
        kind = self._undo_kinds.pop() if self._undo_kinds else "people"
        self._redo_kinds.append(kind)
        if kind == "faces":
            self.w.undo_stack.undo()
        else:
            self.w.people_controller.undo()

    def redo(self) -> None:
        kind = self._redo_kinds.pop() if self._redo_kinds else "people"
        self._undo_kinds.append(kind)
        if kind == "faces":
            self.w.undo_stack.redo()
        else:
            self.w.people_controller.redo()

    def show_people(self) -> None:
        self.w.show_view("people")
        self.w.people_view.start_triage()

    def assign_to(self, user_id: str) -> None:
        ids = self.w.faces_view.selected_face_ids()
        if ids:
            self.c.assign_faces(user_id, ids)

    # -- View ----------------------------------------------------------------------------
    def show_photos(self) -> None:
        self.w.show_view("photos")

    def show_faces(self) -> None:
        self.w.show_view("faces")

    def show_viewer(self) -> None:
        self.w.show_view("viewer")

    def previous_photo(self) -> None:
        self.w.step_photo(-1)

    def next_photo(self) -> None:
        self.w.step_photo(1)

    def zoom_in(self) -> None:
        self.w.show_view("viewer")
        self.w.viewer.zoom_in()

    def zoom_out(self) -> None:
        self.w.show_view("viewer")
        self.w.viewer.zoom_out()

    def zoom_fit(self) -> None:
        self.w.viewer.view.fit()

    def toggle_overlays(self) -> None:
        self.w.viewer.overlays_box.setChecked(self.w.action_map["toggle_overlays"].isChecked())

    def toggle_landmarks(self) -> None:
        self.w.viewer.landmarks_box.setChecked(self.w.action_map["toggle_landmarks"].isChecked())

    def about(self) -> None:
        try:
            from facedesk.service.versions import default_model_version

            version = default_model_version()
        except ImportError:
            version = "unknown"
        show_about(self.w.window(), version)

    # -- from views ----------------------------------------------------------------------
    def open_face(self, face: FaceOverlay) -> None:
        self.w.inspector.show_face(face)
        self.w.inspector_dock.raise_()

    def open_match(self, face_id: str) -> None:
        match = next((m for m in self.c.matches.matches() if m.face_id == face_id), None)
        if match is None:
            return
        self.c.open_photo(match.face["ImageId"], match.face.get("ExternalImageId"))
        self.w.show_view("viewer")

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", "") or "")


def _model_choices() -> list[tuple[str, str]]:
    """The face models a new collection can be created on, the newest (default) first."""
    from facedesk.service.versions import CNN_VERSION, HOG_VERSION, default_model_version

    if default_model_version() == HOG_VERSION:
        return []  # no CNN wheel on this platform: nothing to choose
    return [
        (CNN_VERSION, "CNN, finds turned, tilted, small and rotated faces"),
        (HOG_VERSION, "HOG, the first engine (frontal faces)"),
    ]


def confirm_close_while_indexing(window: QWidget) -> bool:
    answer = QMessageBox.question(
        window,
        "Indexing is running",
        "Stop indexing and quit? Photos already indexed are kept; the photo being "
        "indexed now is finished first.",
        QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes
