"""The main window: arranges panels and docks, forwards drops and close. No logic."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from facedesk.core.types import BoundingBox
from facedesk.qt.actions import build_actions
from facedesk.qt.commands import Commands, confirm_close_while_indexing
from facedesk.qt.context_menus import ContextMenus
from facedesk.qt.controller import MainController
from facedesk.qt.documents import PhotoDocument
from facedesk.qt.errors import show_error
from facedesk.qt.face_edits import FaceEdits
from facedesk.qt.models.roles import ItemRole
from facedesk.qt.people_controller import PeopleController
from facedesk.qt.people_wiring import connect_people
from facedesk.qt.settings import AppSettings
from facedesk.qt.views.collection_panel import CollectionPanel
from facedesk.qt.views.drops import local_paths
from facedesk.qt.views.faces_view import FacesView
from facedesk.qt.views.indexing_panel import IndexingPanel
from facedesk.qt.views.inspector import Inspector
from facedesk.qt.views.people_panel import PeoplePanel
from facedesk.qt.views.people_view import PeopleView
from facedesk.qt.views.photo_viewer import PhotoViewer
from facedesk.qt.views.photos_view import PhotosView
from facedesk.qt.views.search_panel import SearchPanel
from facedesk.qt.views.welcome_view import WelcomeView

VIEWS = ("photos", "faces", "viewer", "people")


class MainWindow(QMainWindow):
    def __init__(
        self, controller: MainController, settings: AppSettings, ask_before_close: bool = True
    ) -> None:
        super().__init__()
        self.controller = controller
        self.settings = settings
        self.ask_before_close = ask_before_close
        # File ▸ Open library: the library app.run_gui reopens the app on once this closes
        self.next_library: str | None = None
        self.setWindowTitle("facedesk")
        self.setAcceptDrops(True)
        self.commands = Commands(self, controller, settings)
        c = controller

        self.welcome = WelcomeView()
        self.photos_view = PhotosView(c.photos)
        self.faces_view = FacesView(c.faces)
        self.viewer = PhotoViewer()
        self.people_controller = PeopleController(c.library, c.pool, self)
        self.people_view = PeopleView(self.people_controller)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.photos_view, "Photos")
        self.tabs.addTab(self.faces_view, "Faces")
        self.tabs.addTab(self.viewer, "Photo")
        self.tabs.addTab(self.people_view, "People")
        self.stack = QStackedWidget()
        self.stack.setObjectName("centralStack")
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)

        self.collection_panel = CollectionPanel()
        self.collection_panel.set_model(c.collections)
        self.inspector = Inspector()
        self.search_panel = SearchPanel(c.matches)
        self.people_panel = PeoplePanel(c.people)
        self.indexing_panel = IndexingPanel(c.results)
        area = Qt.DockWidgetArea
        self.collections_dock = self._dock(
            "Collections", self.collection_panel, area.LeftDockWidgetArea
        )
        self.inspector_dock = self._dock("Inspector", self.inspector, area.RightDockWidgetArea)
        self.search_dock = self._dock(
            "Search by photo", self.search_panel, area.RightDockWidgetArea
        )
        self.people_dock = self._dock("People", self.people_panel, area.RightDockWidgetArea)
        self.indexing_dock = self._dock("Indexing", self.indexing_panel, area.BottomDockWidgetArea)
        self.tabifyDockWidget(self.inspector_dock, self.search_dock)
        self.tabifyDockWidget(self.search_dock, self.people_dock)
        self.inspector_dock.raise_()
        self.indexing_dock.hide()
        self.resizeDocks(
            [self.collections_dock, self.inspector_dock], [230, 340], Qt.Orientation.Horizontal
        )

        self.action_map = build_actions(self, self.commands)
        self.undo_stack = QUndoStack(self)
        self.face_edits = FaceEdits(
            controller, self.undo_stack, lambda: self.commands.record_undoable("faces")
        )
        self.people_controller.acted.connect(lambda: self.commands.record_undoable("people"))
        self.context_menus = ContextMenus(self)
        self._list_docks_in_view_menu()
        self._connect()
        connect_people(self)
        self._restore()
        self._update_stack()
        self.statusBar().showMessage(f"Library: {c.library.database_path}")

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title.replace(" ", "_").lower())
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _list_docks_in_view_menu(self) -> None:
        """Every dock can be shown again from View (not only from a dock title's context menu)."""
        view = next(a.menu() for a in self.menuBar().actions() if a.text() == "&View")
        assert isinstance(view, QMenu)
        view.addSeparator()
        docks = (
            self.collections_dock,
            self.inspector_dock,
            self.search_dock,
            self.people_dock,
            self.indexing_dock,
        )
        for dock in docks:
            toggle = dock.toggleViewAction()
            toggle.setObjectName(f"show_dock_{dock.objectName()}")
            view.addAction(toggle)

    def _connect(self) -> None:
        c, cmd = self.controller, self.commands
        c.status_posted.connect(lambda text: self.statusBar().showMessage(text, 8000))
        c.error_occurred.connect(lambda title, msg: show_error(self, title, msg))
        c.collection_selected.connect(self.collection_panel.show_collection)
        c.collection_selected.connect(lambda _cid: self.inspector.clear())
        c.collections_changed.connect(
            lambda: self.collection_panel.show_collection(c.current_collection)
        )
        c.collection_loaded.connect(lambda _cid: self._update_stack())
        c.photo_opened.connect(self._on_controller_photo_opened)
        c.faces_deleted.connect(self._on_controller_faces_deleted)
        c.indexing_started.connect(self.indexing_panel.on_started)
        c.indexing_started.connect(self._on_controller_indexing_started)
        c.indexing_progressed.connect(self.indexing_panel.on_progressed)
        c.indexing_finished.connect(self.indexing_panel.on_finished)
        self.indexing_panel.cancel_requested.connect(c.cancel_indexing)
        c.search_finished.connect(self.search_panel.show_result)
        c.person_opened.connect(self._on_controller_person_opened)
        self.collection_panel.selected.connect(c.select_collection)
        remember = self.settings.set_ui_value
        c.collection_selected.connect(lambda cid: remember("collection", cid) if cid else None)
        self.tabs.currentChanged.connect(lambda i: remember("view", VIEWS[i]))
        self.photos_view.sort_combo.currentIndexChanged.connect(
            lambda _i: remember("sort", str(self.photos_view.sort_combo.currentData()))
        )
        self.photos_view.filter_edit.textChanged.connect(lambda text: remember("filter", text))
        self.collection_panel.create_requested.connect(cmd.new_collection)
        self.collection_panel.delete_requested.connect(cmd.delete_collection)
        self.collection_panel.list.paths_dropped.connect(cmd.index_paths)
        self.welcome.paths_dropped.connect(cmd.index_paths)
        self.welcome.add_requested.connect(cmd.add_photos)
        self.welcome.open_library_requested.connect(cmd.open_library)
        self.photos_view.photo_activated.connect(self._on_photo_activated)
        self.faces_view.face_activated.connect(self._on_face_activated)
        self.faces_view.selection_changed.connect(self._on_faces_selection_changed)
        self.faces_view.show_all_requested.connect(lambda: c.open_person(""))
        self.viewer.face_selected.connect(cmd.open_face)
        self.viewer.step_requested.connect(self.step_photo)
        self.viewer.face_drawn.connect(self._on_viewer_face_drawn)
        self.search_panel.face_search_requested.connect(c.search_by_photo_face)
        self.search_panel.browse_requested.connect(cmd.search_by_photo)
        self.search_panel.match_activated.connect(cmd.open_match)
        self.people_panel.new_person_requested.connect(cmd.new_person)
        self.people_panel.assign_requested.connect(cmd.assign_to)
        self.people_panel.person_activated.connect(c.open_person)
        p = self.people_controller
        c.collection_loaded.connect(p.load)
        p.changed.connect(lambda text: self.statusBar().showMessage(text, 8000))
        p.changed.connect(lambda _text: c.refresh_people())
        p.failed.connect(lambda title, msg: show_error(self, title, msg))
        self.people_view.person_activated.connect(c.open_person)

    # -- views ---------------------------------------------------------------------------
    def current_view(self) -> str:
        return VIEWS[self.tabs.currentIndex()] if self.stack.currentWidget() is self.tabs else ""

    def show_view(self, name: str) -> None:
        self.tabs.setCurrentIndex(VIEWS.index(name))

    def _update_stack(self) -> None:
        c = self.controller
        empty = not c.current_collection or (c.photos.rowCount() == 0 and not c.indexing)
        self.welcome.set_collection(c.current_collection)
        self.stack.setCurrentWidget(self.welcome if empty else self.tabs)

    def _on_viewer_face_drawn(self, box: BoundingBox) -> None:
        if self.viewer.document is not None:
            self.statusBar().showMessage("Measuring the face you drew…")
            self.face_edits.draw(self.viewer.document, box)

    def step_photo(self, step: int) -> None:
        """Open the photo before or after the one in the viewer, in the photo grid's order
        (its sort and filter); the grid's selection follows."""
        doc, proxy = self.viewer.document, self.photos_view.proxy
        if doc is None or proxy.rowCount() == 0:
            return
        here = (doc.summary.image_id, doc.summary.external_image_id)
        shown = [proxy.index(r, 0).data(ItemRole) for r in range(proxy.rowCount())]
        keys = [(item.image_id, item.external_image_id) for item in shown]
        row = keys.index(here) + step if here in keys else 0
        if not 0 <= row < len(keys):
            self.statusBar().showMessage("First photo" if row < 0 else "Last photo", 2000)
            return
        self.photos_view.list.setCurrentIndex(proxy.index(row, 0))
        self._on_photo_activated(keys[row][0], keys[row][1] or "")

    def _on_photo_activated(self, image_id: str, external_image_id: str) -> None:
        self.controller.open_photo(image_id, external_image_id or None)
        self.show_view("viewer")

    def open_face_photo(self, face_id: str) -> None:
        """Open the photo a face comes from, with that face selected."""
        self._on_face_activated(face_id)

    def _on_face_activated(self, face_id: str) -> None:
        self.controller.open_photo_of_face(face_id)
        self.show_view("viewer")
        self._pending_face = face_id

    _pending_face = ""

    def _on_controller_indexing_started(self, _collection_id: str) -> None:
        self.indexing_dock.show()
        self.indexing_dock.raise_()

    def _on_controller_photo_opened(self, doc: PhotoDocument) -> None:
        self.viewer.show_document(doc)
        self.stack.setCurrentWidget(self.tabs)
        self.show_view("viewer")
        face = next((f for f in doc.faces if f.face_id and f.face_id == self._pending_face), None)
        self._pending_face = ""
        if face is not None:
            self.viewer.select_face(face)
            self.inspector.show_face(face)
        else:  # another photo: the last one's face must not linger
            self.inspector.clear("Click a face on the photo to see its details.")

    def _on_controller_faces_deleted(self, face_ids: list[str]) -> None:
        if self.inspector.shown_face_id in face_ids:
            self.inspector.clear("The face shown here was deleted.")

    def _on_faces_selection_changed(self, ids: list[str]) -> None:
        self.people_panel.set_faces_selected(len(ids))
        face = self.controller.faces.face(ids[0]) if len(ids) == 1 else None
        if face is not None:
            self.inspector.show_stored_face(face.to_face_dict())
        elif ids:
            self.inspector.clear(f"{len(ids)} faces selected.")
        else:
            self.inspector.clear()
        self.statusBar().showMessage(
            f"{len(ids)} face{'s' if len(ids) != 1 else ''} selected" if ids else "", 4000
        )

    def _on_controller_person_opened(self, _user_id: str, _count: int) -> None:
        # the faces view already shows the person (its model's query); bring it forward
        self.show_view("faces")

    # -- window --------------------------------------------------------------------------
    def _restore(self) -> None:
        geometry, state = self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        if state is not None:
            self.restoreState(state)
            self.indexing_dock.hide()
        ui = self.settings.ui_state()
        sorts = self.photos_view.sort_combo
        if (i := sorts.findData(ui.sort)) >= 0:
            sorts.setCurrentIndex(i)
        self.photos_view.filter_edit.setText(ui.filter)
        if ui.view in ("photos", "faces"):  # the viewer needs a photo, which is not kept
            self.show_view(ui.view)

    def show_shared_library_notice(self) -> None:
        """Another facedesk window has this library open: say so for as long as it lasts."""
        self.shared_notice = QLabel("Also open in another facedesk window")
        self.shared_notice.setObjectName("hint")
        self.shared_notice.setToolTip(
            "Both windows can index and edit this library safely. Changes made in the "
            "other window show here when a collection is reloaded."
        )
        self.statusBar().addPermanentWidget(self.shared_notice)

    def switch_library(self, database: str) -> None:
        """Close, for app.run_gui to reopen the app on ``database``. A close the user calls
        off (indexing is running) keeps this library."""
        self.next_library = database
        if not self.close():
            self.next_library = None

    def initial_collection(self, asked: str | None) -> str | None:
        """The collection to show first: the one asked for, else the one shown last time."""
        return asked or self.settings.ui_state().collection or None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._set_dragging(True)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_dragging(False)

    def _set_dragging(self, on: bool) -> None:
        """Frame the central area while files hover over it (app.qss: [dragging="true"])."""
        self.stack.setProperty("dragging", on)
        self.stack.style().polish(self.stack)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_dragging(False)
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.commands.index_paths(paths)

    def closeEvent(self, event: QCloseEvent) -> None:
        asking = self.controller.indexing and self.ask_before_close
        if asking and not confirm_close_while_indexing(self):
            event.ignore()
            return
        self.settings.set_window_state(self.saveGeometry(), self.saveState())
        self.statusBar().showMessage("Finishing the current photo…")
        self.controller.shutdown()
        self.people_controller.shutdown()
        self.viewer.loader.shutdown()
        event.accept()
