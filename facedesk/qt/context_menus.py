"""Right-click menus on photos, faces and collections: the usual verbs where the thing is.

Each menu is built when asked for, from what is under the cursor, and acts through the
Commands object, so a menu item and its menu-bar twin do the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QDockWidget, QMenu, QWidget

from facedesk.qt import reindex_action
from facedesk.qt.commands import Commands
from facedesk.qt.controller import MainController
from facedesk.qt.documents import FaceOverlay
from facedesk.qt.face_edits import FaceEdits
from facedesk.qt.models.roles import IdRole, ItemRole
from facedesk.qt.views.collection_panel import CollectionPanel
from facedesk.qt.views.faces_view import FacesView
from facedesk.qt.views.photo_viewer import PhotoViewer
from facedesk.qt.views.photos_view import PhotosView
from facedesk.qt.views.search_panel import SearchPanel


class MenuHost(Protocol):
    """What the menus reach in the main window (a protocol, so no import cycle)."""

    controller: MainController
    commands: Commands
    photos_view: PhotosView
    faces_view: FacesView
    collection_panel: CollectionPanel
    search_dock: QDockWidget
    search_panel: SearchPanel
    viewer: PhotoViewer
    face_edits: FaceEdits

    def open_face_photo(self, face_id: str) -> None: ...


Entry = tuple[str, Callable[[], Any] | None]  # (text, handler); a None handler greys it out


def copy_json(value: Mapping[str, Any]) -> None:
    QGuiApplication.clipboard().setText(json.dumps(value, indent=2, default=str))


def show_in_folder(path: str | None) -> None:
    """Open the folder that holds the file in the desktop's file manager."""
    if path:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))


def popup(view: QAbstractItemView, pos: QPoint, entries: list[Entry]) -> QMenu:
    menu = _menu(view, entries)
    menu.popup(view.viewport().mapToGlobal(pos))
    return menu


def _menu(parent: QWidget, entries: list[Entry]) -> QMenu:
    menu = QMenu(parent)
    for text, handler in entries:
        if not text:
            menu.addSeparator()
            continue
        action = menu.addAction(text)
        action.setEnabled(handler is not None)
        if handler is not None:
            action.triggered.connect(handler)
    return menu


class ContextMenus:
    """Connects each grid's customContextMenuRequested to a menu of its own."""

    def __init__(self, window: MenuHost) -> None:
        self.w = window
        self.last: QMenu | None = None  # the menu shown last (tests read it)
        for view, build in (
            (window.photos_view.list, self.photo_entries),
            (window.faces_view.list, self.face_entries),
            (window.collection_panel.list, self.collection_entries),
        ):
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            view.customContextMenuRequested.connect(
                lambda pos, v=view, b=build: self._show(v, pos, b)
            )
        window.viewer.face_menu_requested.connect(self._show_box_menu)

    def _show(
        self, view: QAbstractItemView, pos: QPoint, build: Callable[[Any], list[Entry]]
    ) -> None:
        index = view.indexAt(pos)
        if index.isValid():
            self.last = popup(view, pos, build(index))

    def _show_box_menu(self, face: FaceOverlay, pos: QPoint) -> None:
        w, c = self.w, self.w.controller
        doc = w.viewer.document
        if doc is None:
            return
        face_id = face.face_id

        def find_similar() -> None:
            w.search_dock.show()
            w.search_dock.raise_()
            if face_id:
                c.search_by_face(
                    face_id, w.search_panel.threshold.value(), w.search_panel.max_faces.value()
                )

        entries: list[Entry] = [
            ("Find similar faces", find_similar if face_id else None),
            ("Copy face JSON", lambda: copy_json({"FaceDetail": dict(face.detail)})),
            ("", None),
            ("Not a face", lambda: w.face_edits.not_a_face(doc, face)),
        ]
        self.last = _menu(w.viewer, entries)
        self.last.popup(pos)

    def photo_entries(self, index: Any) -> list[Entry]:
        w, c = self.w, self.w.controller
        item = index.data(ItemRole)
        path = item.source_path

        def open_photo() -> None:
            w.photos_view.list.setCurrentIndex(index)
            c.open_photo(item.image_id, item.external_image_id)

        def copy_record() -> None:
            record = c.library.index_record(
                c.current_collection, item.image_id, item.external_image_id
            )
            copy_json(record.response if record is not None else {})

        return [
            ("Open", open_photo),
            ("Show in folder", (lambda: show_in_folder(path)) if path else None),
            ("", None),
            ("Copy IndexFaces JSON", copy_record),
        ]

    def face_entries(self, index: Any) -> list[Entry]:
        w, c = self.w, self.w.controller
        face_id = str(index.data(IdRole))
        face = c.faces.face(face_id)
        selection = w.faces_view.list.selectionModel()
        if not selection.isSelected(index):  # right-click acts on the face under the cursor
            selection.select(index, selection.SelectionFlag.ClearAndSelect)
        path = c.source_path_of(face.image_id) if face is not None else None
        n = len(w.faces_view.selected_face_ids())

        def find_similar() -> None:
            w.search_dock.show()
            w.search_dock.raise_()
            c.search_by_face(
                face_id, w.search_panel.threshold.value(), w.search_panel.max_faces.value()
            )

        return [
            ("Open photo", lambda: w.open_face_photo(face_id)),
            ("Find similar faces", find_similar),
            ("Show in folder", (lambda: show_in_folder(path)) if path else None),
            ("", None),
            ("Copy face JSON", (lambda: copy_json(face.to_face_dict())) if face else None),
            ("", None),
            (f"Delete {n} face{'s' if n != 1 else ''}…", w.commands.delete_selected_faces),
        ]

    def collection_entries(self, index: Any) -> list[Entry]:
        w, c = self.w, self.w.controller
        cid = str(index.data(IdRole))

        def describe() -> None:
            copy_json(c.library.describe_collection(cid))

        return [
            ("Show", lambda: c.select_collection(cid)),
            ("Rename…", lambda: w.commands.rename_collection(cid)),
            ("Copy DescribeCollection JSON", describe),
            (reindex_action.MENU_TEXT, lambda: reindex_action.reindexer_for(w).ask_and_start(cid)),
            ("", None),
            ("Delete collection…", lambda: w.commands.delete_collection(cid)),
        ]
