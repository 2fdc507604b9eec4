"""The People view: named people (cover, name, count) above, unnamed groups below (largest
first), and keyboard triage of the groups.

Triage, on the groups grid: the biggest group is selected first. When it has a suggestion
("Is this Ada? 93 %"), ``y`` accepts it, ``n`` rejects it and ``s`` skips; any other letter
(or any letter when there is no suggestion) starts typing a name, and Enter names the whole
group: one action per person, one per stray face. Space or Right skips too. Ctrl+Z undoes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from facedesk.qt.models.people_tile_model import PeopleTile
from facedesk.qt.models.roles import ItemRole
from facedesk.qt.people_controller import PeopleController
from facedesk.qt.views.people_drag import FaceDragList, GroupDragList, PersonDropList

HINT = (
    "Triage the groups: y = yes, n = no, s / Space = skip, or type a name and press Enter. "
    "Ctrl+Z undoes, Ctrl+Shift+Z redoes."
)


def _grid(view: QListView, icon: int) -> None:
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setIconSize(QSize(icon, icon))
    view.setGridSize(QSize(icon + 110, icon + 90))
    view.setWordWrap(True)
    view.setSpacing(4)
    view.setUniformItemSizes(True)
    # thousands of tiles: lay out the first screens at once, the rest between events
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(256)


class PeopleView(QWidget):
    person_activated = Signal(str)  # user id: show the person's faces

    def __init__(self, people: PeopleController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = people
        self._skipped: set[str] = set()
        self.people_label = QLabel("People")
        self.people_label.setObjectName("banner")
        self.people_list = PersonDropList()
        _grid(self.people_list, 96)
        self.people_list.setModel(people.people)
        self.people_list.setMaximumHeight(340)
        self.people_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.groups_label = QLabel("Unnamed faces, largest group first")
        self.groups_label.setObjectName("banner")
        self.groups_list = GroupDragList()
        _grid(self.groups_list, 96)
        self.groups_list.setModel(people.groups)
        self.groups_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.name_edit = QLineEdit(placeholderText="Name for the selected group (Enter)")
        self.prompt = QLabel()
        self.prompt.setObjectName("banner")
        self.page = self._person_page()
        self.lower_stack = QStackedWidget()
        self.lower_stack.addWidget(self.groups_list)
        self.lower_stack.addWidget(self.page)
        self.hint = QLabel(HINT)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.people_label)
        layout.addWidget(self.people_list)
        layout.addWidget(self.groups_label)
        layout.addWidget(self.lower_stack, 1)
        layout.addWidget(self.prompt)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.hint)
        self.groups_list.installEventFilter(self)
        self.name_edit.returnPressed.connect(self._on_name_entered)
        self.people_list.activated.connect(self._on_person_activated)
        self.people_list.customContextMenuRequested.connect(self._on_people_menu)
        self.people_list.faces_dropped.connect(self._on_faces_dropped)
        self.people_list.group_dropped.connect(self._on_group_dropped)
        people.loaded.connect(lambda _snapshot: self._after_load())
        people.person_loaded.connect(self._on_person_loaded)
        self.groups_list.selectionModel().currentChanged.connect(lambda *_: self._update_prompt())
        people.groups.modelReset.connect(self._update_prompt)

    def _update_prompt(self) -> None:
        tile = self.current_tile()
        if tile is None:
            self.prompt.setText("")
        elif tile.suggested_name is not None and tile.similarity is not None:
            self.prompt.setText(
                f"{tile.count} face{'s' if tile.count != 1 else ''}: is this "
                f"{tile.suggested_name}? {tile.similarity:.0f} %   y = yes · n = no · s = skip"
            )
        else:
            self.prompt.setText(
                f"{tile.count} face{'s' if tile.count != 1 else ''}: who is this? Type a name."
            )

    # -- a person's page ----------------------------------------------------------------------
    def _person_page(self) -> QWidget:
        page = QWidget()
        self.back_button = QPushButton("← All groups")
        self.page_label = QLabel()
        self.accept_spin = QSpinBox(minimum=75, maximum=100, value=90, suffix=" %")
        self.accept_button = QPushButton("Accept all suggestions above")
        self.person_list = FaceDragList()
        _grid(self.person_list, 96)
        self.person_list.setModel(self.controller.person_faces)
        self.person_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.person_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        bar = QHBoxLayout()
        bar.addWidget(self.back_button)
        bar.addWidget(self.page_label, 1)
        bar.addWidget(self.accept_button)
        bar.addWidget(self.accept_spin)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.person_list, 1)
        self.back_button.clicked.connect(self.close_person)
        self.accept_button.clicked.connect(self._on_accept_all)
        self.person_list.customContextMenuRequested.connect(self._on_face_menu)
        return page

    def open_person(self, user_id: str) -> None:
        self.controller.open_person(user_id)

    def close_person(self) -> None:
        self.controller.open_person("")
        self.lower_stack.setCurrentWidget(self.groups_list)
        self.groups_label.show()

    def _on_person_loaded(self, user_id: str, suggested: int) -> None:
        tile = next((t for t in self.controller.people.tiles() if t.key == user_id), None)
        name = tile.title if tile is not None else user_id
        n = self.controller.person_faces.rowCount()
        self.page_label.setText(f"{name}: {n} faces, least alike first · {suggested} suggested")
        self.accept_button.setEnabled(suggested > 0)
        self.lower_stack.setCurrentWidget(self.page)

    def selected_person_faces(self) -> list[str]:
        rows = sorted(i.row() for i in self.person_list.selectionModel().selectedIndexes())
        tiles = [self.controller.person_faces.tile(r) for r in rows]
        return [t.key for t in tiles if t is not None]

    def _on_accept_all(self) -> None:
        if self.controller.person_id:
            self.controller.accept_all(self.controller.person_id, self.accept_spin.value())

    def _on_face_menu(self, pos: QPoint) -> None:
        ids = self.selected_person_faces()
        user_id = self.controller.person_id
        if not ids or not user_id:
            return
        menu = QMenu(self)
        menu.addAction(
            f"Not this person ({len(ids)})", lambda: self.controller.reject(ids, user_id, "")
        )
        menu.addAction(f"Take out ({len(ids)})", lambda: self.controller.take_out(ids))
        menu.addAction("Move to…", lambda: self._move(ids))
        if len(ids) == 1:
            menu.addAction("Use as picture", lambda: self.controller.set_cover(user_id, ids[0]))
        menu.exec(self.person_list.viewport().mapToGlobal(pos))

    def _on_faces_dropped(self, ids: list[str], user_id: str) -> None:
        if user_id != self.controller.person_id:  # dropped back on its own person: nothing
            self.controller.assign(ids, user_id)

    def _on_group_dropped(self, key: str, user_id: str) -> None:
        tile = next((t for t in self.controller.groups.tiles() if t.key == key), None)
        if tile is not None:
            self.controller.assign_tile(tile, user_id)

    def _move(self, ids: list[str]) -> None:
        others = [t for t in self.controller.people.tiles() if t.key != self.controller.person_id]
        if not others:
            return
        labels = [f"{t.title} ({t.count})" for t in others]
        choice, ok = QInputDialog.getItem(self, "Move faces", "Move to:", labels, 0, False)
        if ok:
            self.controller.assign(ids, others[labels.index(choice)].key)

    # -- triage -------------------------------------------------------------------------------
    def current_tile(self) -> PeopleTile | None:
        index = self.groups_list.currentIndex()
        tile = index.data(ItemRole) if index.isValid() else None
        return tile if isinstance(tile, PeopleTile) else None

    def _after_load(self) -> None:
        tiles = self.controller.groups.tiles()
        n_people = len(self.controller.people.tiles())  # every person, not the rows paged in
        self.people_label.setText(f"People ({n_people})")
        faces = sum(t.count for t in tiles)
        self.groups_label.setText(
            f"Unnamed faces ({faces}), largest group first" if tiles else "Everyone is named"
        )
        row = next((i for i, t in enumerate(tiles) if t.key not in self._skipped), 0)
        if tiles:
            self.controller.groups.show_rows(row + 1)  # skipped past the first page
            self.groups_list.setCurrentIndex(self.controller.groups.index(row, 0))

    def start_triage(self) -> None:
        self._skipped.clear()
        self._after_load()
        self.groups_list.setFocus()

    def skip(self) -> None:
        tile = self.current_tile()
        if tile is None:
            return
        self._skipped.add(tile.key)
        row = self.groups_list.currentIndex().row() + 1
        self.controller.groups.show_rows(row + 1)  # the next page, at the end of this one
        if row < self.controller.groups.rowCount():
            self.groups_list.setCurrentIndex(self.controller.groups.index(row, 0))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.groups_list and event.type() == QEvent.Type.ShortcutOverride:
            # Triage keys are typed, not shortcuts: the window's single-key shortcuts
            # (Space, L, D, +, ...) must not take them while the groups list has focus.
            assert isinstance(event, QKeyEvent)
            if self._is_triage_key(event):
                event.accept()
                return True
        if watched is self.groups_list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if self._on_key(event):
                return True
        return super().eventFilter(watched, event)

    def _is_triage_key(self, event: QKeyEvent) -> bool:
        if self.current_tile() is None:
            return False
        text = event.text()
        plain = not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        return event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Right) or (
            plain and bool(text) and text.isprintable()
        )

    def _on_key(self, event: QKeyEvent) -> bool:
        tile = self.current_tile()
        if tile is None:
            return False
        key, text = event.key(), event.text()
        plain = not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        suggested = tile.suggested_user is not None
        if key in (Qt.Key.Key_Space, Qt.Key.Key_Right) or (suggested and text == "s"):
            self.skip()
            return True
        if suggested and text == "y" and tile.suggested_user:
            self.controller.accept_tile(tile, tile.suggested_user, tile.suggested_name or "")
            return True
        if suggested and text == "n" and tile.suggested_user:
            self._skipped.add(tile.key)  # still unnamed; the next suggestion comes later
            self.controller.reject_tile(tile, tile.suggested_user, tile.suggested_name or "")
            return True
        if plain and text and text.isprintable() and not text.isspace():
            self.name_edit.setText(text)
            self.name_edit.setFocus()
            return True
        return False

    def _on_name_entered(self) -> None:
        name = self.name_edit.text().strip()
        tile = self.current_tile()
        if not name or tile is None:
            return
        self.name_edit.clear()
        self.controller.name_tile(tile, name)
        self.groups_list.setFocus()

    # -- named people -------------------------------------------------------------------------
    def _person_at(self, index: QModelIndex) -> PeopleTile | None:
        tile = index.data(ItemRole) if index.isValid() else None
        return tile if isinstance(tile, PeopleTile) else None

    def _on_person_activated(self, index: QModelIndex) -> None:
        tile = self._person_at(index)
        if tile is not None:
            self.open_person(tile.key)

    def _on_people_menu(self, pos: QPoint) -> None:
        tile = self._person_at(self.people_list.indexAt(pos))
        if tile is None:
            return
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_person(tile.key))
        menu.addAction("Show in Faces", lambda: self.person_activated.emit(tile.key))
        menu.addAction("Rename…", lambda: self._rename(tile))
        menu.addAction("Merge into…", lambda: self._merge(tile))
        menu.addAction("Hide", lambda: self.controller.hide(tile.key))
        menu.addAction("Delete (keep the faces)", lambda: self.controller.delete(tile.key))
        menu.exec(self.people_list.viewport().mapToGlobal(pos))

    def _rename(self, tile: PeopleTile) -> None:
        name, ok = QInputDialog.getText(self, "Rename", "Name:", text=tile.title)
        if ok and name.strip():
            self.controller.rename(tile.key, name.strip())

    def _merge(self, tile: PeopleTile) -> None:
        others = [t for t in self.controller.people.tiles() if t.key != tile.key]
        if not others:
            return
        labels = [f"{t.title} ({t.count})" for t in others]
        choice, ok = QInputDialog.getItem(
            self, "Merge", f"Merge {tile.title} into:", labels, 0, False
        )
        if ok:
            self.controller.merge(tile.key, others[labels.index(choice)].key)
