"""Search by photo: drop a face photo, see the searched face and the matches."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from facedesk.qt.delegates.face_tile_delegate import FaceTileDelegate
from facedesk.qt.documents import SearchDocument
from facedesk.qt.images import read_image
from facedesk.qt.models.match_list_model import MatchListModel
from facedesk.qt.models.roles import IdRole
from facedesk.qt.views.drop_label import DropLabel
from facedesk.qt.views.photos_view import icon_grid

QUERY_PX = 260


class SearchPanel(QWidget):
    search_requested = Signal(str, float, int)  # path, FaceMatchThreshold, MaxFaces
    browse_requested = Signal()
    match_activated = Signal(str)  # face id

    def __init__(self, model: MatchListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.query_path = ""
        self.query = DropLabel(
            "Drop a photo here to find the same person\n(Edit ▸ Search by photo…)"
        )
        self.query.setMinimumHeight(160)
        self.threshold = QDoubleSpinBox(
            minimum=0.0, maximum=100.0, value=80.0, suffix=" %", singleStep=5.0, decimals=0
        )
        self.threshold.setToolTip("FaceMatchThreshold: the lowest Similarity to show")
        self.max_faces = QSpinBox(minimum=1, maximum=4096, value=24)
        self.max_faces.setToolTip("MaxFaces: how many matches at most")
        self.browse_button = QPushButton("Choose photo…")
        self.again_button = QPushButton("Search again")
        self.again_button.setEnabled(False)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("hint")
        self.list = QListView()
        icon_grid(self.list)
        self.list.setItemDelegate(FaceTileDelegate(96, self.list))
        self.list.setModel(model)
        form = QFormLayout()
        form.addRow("Threshold", self.threshold)
        form.addRow("Max faces", self.max_faces)
        buttons = QHBoxLayout()
        buttons.addWidget(self.browse_button)
        buttons.addWidget(self.again_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.query)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        self.query.paths_dropped.connect(lambda paths: self.search(paths[0]))
        self.browse_button.clicked.connect(self.browse_requested)
        self.again_button.clicked.connect(lambda: self.search(self.query_path))
        self.list.activated.connect(self._on_list_activated)

    def search(self, path: str) -> None:
        self.query_path = path
        self.again_button.setEnabled(True)
        self.summary.setText("Searching…")
        self._show_query(path, None)
        self.search_requested.emit(path, self.threshold.value(), self.max_faces.value())

    def show_result(self, doc: SearchDocument) -> None:
        self._show_query(doc.query_path, doc.searched_box)
        n = len(doc.matches)
        best = f"; best {doc.matches[0]['Similarity']:.1f} %" if n else ""
        self.summary.setText(
            f"{n} match{'es' if n != 1 else ''} at ≥ {doc.threshold:.0f} %{best}. "
            "Double-click a face to open its photo."
        )

    def show_error(self, message: str) -> None:
        self.summary.setText(message)

    def _show_query(self, path: str, box: object) -> None:
        image = read_image(path, 1024)
        if image is None:
            self.query.setText("Cannot read this photo.")
            return
        pixmap = QPixmap.fromImage(image).scaled(
            QUERY_PX,
            QUERY_PX,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        if isinstance(box, dict):
            p = QPainter(pixmap)
            pen = QPen(QColor("#3498db"), 3)
            p.setPen(pen)
            w, h = pixmap.width(), pixmap.height()
            p.drawRect(QRectF(box["Left"] * w, box["Top"] * h, box["Width"] * w, box["Height"] * h))
            p.end()
        self.query.setPixmap(pixmap)

    def _on_list_activated(self, index: QModelIndex) -> None:
        self.match_activated.emit(str(index.data(IdRole)))
