"""Every face of the collection as a grid of crops; multi-select, delete, open a person."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from facedesk.qt.delegates.face_tile_delegate import FaceTileDelegate
from facedesk.qt.models.face_list_model import FaceListModel
from facedesk.qt.models.filter_proxies import FaceFilterProxy
from facedesk.qt.models.roles import IdRole
from facedesk.qt.views.photos_view import icon_grid


class FacesView(QWidget):
    selection_changed = Signal(list)  # face ids
    face_activated = Signal(str)  # face id (double-click: open its photo)
    show_all_requested = Signal()

    def __init__(self, model: FaceListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = FaceFilterProxy(self)
        self.proxy.setSourceModel(model)
        self.filter_edit = QLineEdit(placeholderText="Filter by ExternalImageId")
        self.filter_edit.setClearButtonEnabled(True)
        self.person_label = QLabel()
        self.person_label.setObjectName("banner")
        self.show_all_button = QPushButton("Show all faces")
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        self.list = QListView()
        icon_grid(self.list)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setItemDelegate(FaceTileDelegate(parent=self.list))
        self.list.setModel(self.proxy)
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.person_label)
        bar.addWidget(self.show_all_button)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.list)
        self.set_person("", 0)
        self.filter_edit.textChanged.connect(self._on_filter_changed)
        self.show_all_button.clicked.connect(self.show_all_requested)
        self.list.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.list.activated.connect(self._on_list_activated)
        for sig in (
            self.proxy.modelReset,
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.layoutChanged,
        ):
            sig.connect(self._update_count)

    def selected_face_ids(self) -> list[str]:
        rows = self.list.selectionModel().selectedIndexes()
        return [str(i.data(IdRole)) for i in sorted(rows, key=lambda i: i.row())]

    def select_face(self, face_id: str) -> None:
        self.model.fetch_all()
        for row in range(self.proxy.rowCount()):
            idx = self.proxy.index(row, 0)
            if idx.data(IdRole) == face_id:
                self.list.setCurrentIndex(idx)
                self.list.scrollTo(idx)
                return

    def set_person(self, user_id: str, count: int) -> None:
        if user_id:
            self.model.fetch_all()  # a filter must see every face, not the first batch
            self.person_label.setText(f"  {user_id}: {count} faces  ")
        self.person_label.setVisible(bool(user_id))
        self.show_all_button.setVisible(bool(user_id))

    def _on_filter_changed(self, text: str) -> None:
        if text:
            self.model.fetch_all()
        self.proxy.setFilterFixedString(text)

    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.total()
        filtered = self.proxy.face_ids is not None or bool(self.filter_edit.text())
        self.count_label.setText(f"{shown} of {total} faces" if filtered else f"{total} faces")

    def _on_selection_changed(self, _s: QItemSelection, _d: QItemSelection) -> None:
        self.selection_changed.emit(self.selected_face_ids())

    def _on_list_activated(self, index: QModelIndex) -> None:
        self.face_activated.emit(str(index.data(IdRole)))

    def keyPressEvent(self, event: object) -> None:
        super().keyPressEvent(event)  # type: ignore[arg-type]

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
