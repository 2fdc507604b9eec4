"""Every face of the collection as a grid of crops; multi-select, delete, open a person.

The grid pages through storage (FaceListModel); the ExternalImageId filter and the person
filter are storage queries too, so they see every face, not only the rows loaded so far.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QTimer, Signal
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
from facedesk.qt.models.face_list_model import FaceListModel, FaceQuery
from facedesk.qt.models.roles import IdRole
from facedesk.qt.views.photos_view import icon_grid

FILTER_DELAY_MS = 200  # one query per pause in typing, not per key


class FacesView(QWidget):
    selection_changed = Signal(list)  # face ids
    face_activated = Signal(str)  # face id (double-click: open its photo)
    show_all_requested = Signal()

    def __init__(self, model: FaceListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._pending_select = ""
        self._filter_timer = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
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
        self.list.setModel(model)
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.person_label)
        bar.addWidget(self.show_all_button)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.list)
        self._show_person("", 0)
        self.filter_edit.textChanged.connect(self._on_filter_changed)
        self._filter_timer.timeout.connect(self._on_filter_timer_timeout)
        self.show_all_button.clicked.connect(self.show_all_requested)
        self.list.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.list.activated.connect(self._on_list_activated)
        model.query_loaded.connect(self._on_model_query_loaded)
        model.modelReset.connect(self._on_model_reset)
        model.rowsInserted.connect(self._on_model_rows_inserted)
        for sig in (model.modelReset, model.rowsRemoved, model.counts_changed):
            sig.connect(self._update_count)

    def selected_face_ids(self) -> list[str]:
        rows = self.list.selectionModel().selectedIndexes()
        return [str(i.data(IdRole)) for i in sorted(rows, key=lambda i: i.row())]

    def select_face(self, face_id: str) -> None:
        """Select and show a face; pages further in (in the background) until it is loaded."""
        row = self.model.row_of(face_id)
        if row >= 0:
            self._pending_select = ""
            idx = self.model.index(row, 0)
            self.list.setCurrentIndex(idx)
            self.list.scrollTo(idx)
            return
        self._pending_select = face_id if self.model.canFetchMore(QModelIndex()) else ""
        if self._pending_select:
            self.model.fetchMore(QModelIndex())

    def _on_model_rows_inserted(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        if self._pending_select:
            self.select_face(self._pending_select)

    def _on_model_reset(self) -> None:
        self._pending_select = ""

    def _on_model_query_loaded(self, query: FaceQuery, count: int) -> None:
        self._show_person(query.user_id or "", count)
        self._update_count()

    def _show_person(self, user_id: str, count: int) -> None:
        if user_id:
            self.person_label.setText(f"  {user_id}: {count} faces  ")
        self.person_label.setVisible(bool(user_id))
        self.show_all_button.setVisible(bool(user_id))

    def _on_filter_changed(self, _text: str) -> None:
        self._filter_timer.start()

    def _on_filter_timer_timeout(self) -> None:
        self.model.set_name_filter(self.filter_edit.text())

    def _update_count(self) -> None:
        total = self.model.total()
        if self.model.query.filtered:
            self.count_label.setText(f"{self.model.match_count()} of {total} faces")
        else:
            self.count_label.setText(f"{total} faces")

    def _on_selection_changed(self, _s: QItemSelection, _d: QItemSelection) -> None:
        self.selection_changed.emit(self.selected_face_ids())

    def _on_list_activated(self, index: QModelIndex) -> None:
        self.face_activated.emit(str(index.data(IdRole)))

    def keyPressEvent(self, event: object) -> None:
        super().keyPressEvent(event)  # type: ignore[arg-type]

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
