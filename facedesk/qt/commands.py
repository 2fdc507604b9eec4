"""What menu items, shortcuts and buttons do: dialogs and confirmations, then the controller.

Kept apart from MainWindow (layout only) and from the controller (no widgets there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox

from facedesk.qt.controller import MainController, clean_collection_id
from facedesk.qt.documents import FaceOverlay
from facedesk.qt.settings import AppSettings
from facedesk.qt.views.about_dialog import show_about
from facedesk.qt.views.index_options_dialog import IndexOptionsDialog

if TYPE_CHECKING:
    from facedesk.qt.main_window import MainWindow

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.tif *.tiff *.bmp *.gif);;All files (*)"


class Commands:
    def __init__(
        self, window: MainWindow, controller: MainController, settings: AppSettings
    ) -> None:
        self.w = window
        self.c = controller
        self.settings = settings

    # -- File ----------------------------------------------------------------------------
    def add_photos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self.w, "Add photos", self._last_dir(), IMAGE_FILTER
        )
        self._index_after_options(paths)

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.w, "Add a folder of photos", self._last_dir()
        )
        self._index_after_options([folder] if folder else [])

    def _index_after_options(self, paths: list[str]) -> None:
        if not paths:
            return
        from pathlib import Path

        self.settings.set_value("last_dir", str(Path(paths[0]).parent))
        dialog = IndexOptionsDialog(self.settings.index_settings(), self.w)
        if dialog.exec():
            self.settings.set_index_settings(dialog.settings())
            self.index_paths(paths)

    def index_paths(self, paths: list[str], collection_id: str = "") -> None:
        """Drops: index with the remembered options, no questions asked."""
        options = self.settings.index_settings().to_options()
        self.c.index_paths(paths, options, collection_id or None)

    def edit_index_options(self) -> None:
        dialog = IndexOptionsDialog(self.settings.index_settings(), self.w)
        if dialog.exec():
            self.settings.set_index_settings(dialog.settings())

    def new_collection(self) -> None:
        text, ok = QInputDialog.getText(
            self.w,
            "New collection",
            "Name (letters, digits, “.”, “_” and “-”):",
            QLineEdit.EchoMode.Normal,
            "",
        )
        cid = clean_collection_id(text) if ok else ""
        if cid:
            self.c.create_collection(cid)

    def delete_collection(self, collection_id: str = "") -> None:
        cid = collection_id or self.c.current_collection
        if not cid:
            return
        info = next((c for c in self.c.collections.collections() if c.collection_id == cid), None)
        n = info.face_count if info else 0
        answer = QMessageBox.warning(
            self.w,
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
            self.w,
            "Delete faces",
            f"Delete {len(ids)} face{'s' if len(ids) != 1 else ''} "
            f"from “{self.c.current_collection}”?"
            "\n\nThey will no longer be found by searches.",
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.c.delete_faces(ids)

    def focus_filter(self) -> None:
        if self.w.current_view() == "faces":
            self.w.faces_view.focus_filter()
        else:
            self.w.show_view("photos")
            self.w.photos_view.focus_filter()

    def search_by_photo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.w, "Search by photo", self._last_dir(), IMAGE_FILTER
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
            self.w,
            "New person",
            f"Name for this person ({len(ids)} selected face{'s' if len(ids) != 1 else ''}):",
        )
        name = text.strip() if ok else ""
        if name:  # any text: the UserId is derived from it, the name is kept as typed
            self.c.create_person(name, ids)

    def undo(self) -> None:
        self.w.people_controller.undo()

    def redo(self) -> None:
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
            from facedesk.engine import MODEL_VERSION

            version = str(MODEL_VERSION)
        except ImportError:
            version = "unknown"
        show_about(self.w, version)

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


def confirm_close_while_indexing(window: MainWindow) -> bool:
    answer = QMessageBox.question(
        window,
        "Indexing is running",
        "Stop indexing and quit? Photos already indexed are kept; the photo being "
        "indexed now is finished first.",
        QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes
