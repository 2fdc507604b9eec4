"""The name bar of the photo viewer: a clicked face's person, a name field that completes
over the collection's people, and a button that opens the person's page."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget


class FaceNameBar(QWidget):
    name_entered = Signal(str, str)  # face id, name typed (a new or an existing person)
    person_requested = Signal(str)  # user id: open the person's page

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.face_id = ""
        self.user_id = ""
        self.label = QLabel()
        self.edit = QLineEdit(placeholderText="Who is this? Type a name and press Enter")
        self.names = QStringListModel(self)
        completer = QCompleter(self.names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # "love" finds "Ada Lovelace": people are remembered by any part of their name
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(completer)
        self.open_button = QPushButton("Open person")
        self.open_button.setToolTip("Show this person's page in People")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.open_button)
        self.edit.returnPressed.connect(self._on_return)
        self.open_button.clicked.connect(lambda: self.person_requested.emit(self.user_id))
        self.hide()

    def set_people(self, names: Sequence[str]) -> None:
        self.names.setStringList(sorted(set(names), key=str.casefold))

    def show_face(self, face_id: str, person: tuple[str, str] | None) -> None:
        """Show the bar for an indexed face (``person``: its UserId and name, if named)."""
        self.face_id = face_id
        self.user_id = person[0] if person else ""
        self.label.setText(f"<b>{person[1]}</b>" if person else "Unnamed face")
        self.edit.setText("")
        self.edit.setPlaceholderText(
            "Another name for this face (Enter)" if person else "Who is this? Type a name (Enter)"
        )
        self.open_button.setEnabled(bool(person))
        self.show()

    def _on_return(self) -> None:
        name = self.edit.text().strip()
        if name and self.face_id:
            self.edit.clear()
            self.name_entered.emit(self.face_id, name)
