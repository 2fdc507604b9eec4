"""People (Rekognition users): name a person, assign selected faces, open a person's faces."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from facedesk.qt.models.person_list_model import PersonListModel
from facedesk.qt.models.roles import IdRole


class PeoplePanel(QWidget):
    new_person_requested = Signal()
    assign_requested = Signal(str)  # user id
    person_activated = Signal(str)

    def __init__(self, model: PersonListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListView()
        self.list.setModel(model)
        self.new_button = QPushButton("New person from selection…")
        self.assign_button = QPushButton("Assign selected faces")
        self.hint = QLabel(
            "Select faces in the Faces view, then name them here. "
            "Double-click a person to see their faces."
        )
        self.hint.setWordWrap(True)
        self.hint.setObjectName("hint")
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.assign_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.hint)
        self.new_button.clicked.connect(self.new_person_requested)
        self.assign_button.clicked.connect(self._on_assign_clicked)
        self.list.activated.connect(self._on_list_activated)
        # Enabled from either order: faces then person, or person then faces.
        self._faces_selected = 0
        self.list.selectionModel().currentChanged.connect(lambda *_: self._update_buttons())
        model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    def set_faces_selected(self, n: int) -> None:
        self._faces_selected = n
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.new_button.setEnabled(self._faces_selected > 0)
        self.assign_button.setEnabled(
            self._faces_selected > 0 and self.list.currentIndex().isValid()
        )

    def current_person(self) -> str:
        idx = self.list.currentIndex()
        return str(idx.data(IdRole)) if idx.isValid() else ""

    def _on_assign_clicked(self) -> None:
        if self.current_person():
            self.assign_requested.emit(self.current_person())

    def _on_list_activated(self, index: QModelIndex) -> None:
        self.person_activated.emit(str(index.data(IdRole)))
