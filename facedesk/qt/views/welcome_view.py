"""First-run / empty-collection screen: one clear thing to do."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from facedesk.qt.views.drop_label import DropLabel


class WelcomeView(QWidget):
    paths_dropped = Signal(list)
    add_requested = Signal()
    open_library_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.drop = DropLabel(
            "<div style='font-size:22pt; font-weight:600'>Drop photos here</div>"
            "<p>Photos and folders are indexed into the selected collection.<br>"
            "facedesk finds the faces, measures their quality and stores them "
            "for search, offline.</p>"
        )
        self.drop.setMinimumSize(420, 260)
        self.detail = QLabel()
        self.detail.setObjectName("hint")
        self.add_button = QPushButton("Add photos…")
        self.add_button.setDefault(True)
        # A shared library (PostgreSQL) or another file: the first run's other way in
        self.open_library = QLabel("<a href='#'>Open another library…</a>")
        self.open_library.setObjectName("hint")
        self.open_library.linkActivated.connect(lambda _: self.open_library_requested.emit())
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.drop, 3)
        layout.addWidget(self.detail)
        layout.addWidget(self.add_button)
        layout.addWidget(self.open_library)
        layout.addStretch(1)
        layout.setContentsMargins(60, 40, 60, 40)
        self.drop.paths_dropped.connect(self.paths_dropped)
        self.add_button.clicked.connect(self.add_requested)

    def set_collection(self, collection_id: str) -> None:
        self.detail.setText(
            f"Collection “{collection_id}” is empty."
            if collection_id
            else "No collection yet: one named “photos” is created for your first photos."
        )
