"""Search by photo: drop a face photo, see the searched face and the matches; when the
photo has several faces, pick the one to search with (SearchFacesByImage takes the largest)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QSpinBox,
    QToolButton,
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
FACE_ICON = 40
OTHER_FACE = QColor(255, 255, 255, 200)


class SearchPanel(QWidget):
    # path, which face (largest first: 0 is SearchFacesByImage's), FaceMatchThreshold, MaxFaces
    face_search_requested = Signal(str, int, float, int)
    browse_requested = Signal()
    match_activated = Signal(str)  # face id

    def __init__(self, model: MatchListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.query_path = ""
        self.face_index = 0
        self.faces: tuple[Mapping[str, float], ...] = ()
        self.face_buttons: list[QToolButton] = []
        self.face_group = QButtonGroup(self)
        self.face_group.idClicked.connect(self.search_face)
        self.faces_label = QLabel("Search with:")
        self.faces_row = QHBoxLayout()
        self.faces_row.setContentsMargins(0, 0, 0, 0)
        self.faces_row.addWidget(self.faces_label)
        self.faces_strip = QWidget()
        self.faces_strip.setLayout(self.faces_row)
        self.faces_strip.hide()
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
        layout.addWidget(self.faces_strip)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.list, 1)
        self.query.paths_dropped.connect(lambda paths: self.search(paths[0]))
        self.browse_button.clicked.connect(self.browse_requested)
        self.again_button.clicked.connect(lambda: self.search_face(self.face_index))
        self.list.activated.connect(self._on_list_activated)

    def search(self, path: str) -> None:
        """Search a new photo with its largest face (the others are offered after)."""
        self.query_path = path
        self._set_faces(path, ())
        self.search_face(0)

    def search_face(self, index: int) -> None:
        """Search the current photo again with its ``index``-th face (largest first)."""
        if not self.query_path:
            return
        self.face_index = index
        self.again_button.setEnabled(True)
        self.summary.setText("Searching…")
        box = self.faces[index] if 0 <= index < len(self.faces) else None
        self._show_query(self.query_path, box)
        self.face_search_requested.emit(
            self.query_path, index, self.threshold.value(), self.max_faces.value()
        )

    def show_result(self, doc: SearchDocument) -> None:
        if doc.faces and doc.query_path == self.query_path:
            self.face_index = doc.face_index
            if tuple(doc.faces) != self.faces:
                self._set_faces(doc.query_path, doc.faces)
            for i, button in enumerate(self.face_buttons):
                button.setChecked(i == doc.face_index)
        self._show_query(doc.query_path, doc.searched_box)
        n = len(doc.matches)
        best = f"; best {doc.matches[0]['Similarity']:.1f} %" if n else ""
        self.summary.setText(
            f"{n} match{'es' if n != 1 else ''} at ≥ {doc.threshold:.0f} %{best}. "
            "Double-click a face to open its photo."
        )

    def show_error(self, message: str) -> None:
        self.summary.setText(message)

    def _set_faces(self, path: str, faces: Sequence[Mapping[str, float]]) -> None:
        """One button per face of the photo, with its crop, when there is a choice."""
        for button in self.face_buttons:
            self.face_group.removeButton(button)
            button.deleteLater()
        self.face_buttons = []
        self.faces = tuple(faces)
        image = read_image(path, 1024) if len(faces) > 1 else None
        for i, box in enumerate(self.faces if image is not None else ()):
            assert image is not None
            button = QToolButton()
            button.setCheckable(True)
            button.setIcon(QIcon(QPixmap.fromImage(_crop(image, box))))
            button.setIconSize(QSize(FACE_ICON, FACE_ICON))
            button.setToolTip(f"Search with face {i + 1} of {len(self.faces)}")
            self.face_group.addButton(button, i)
            self.faces_row.addWidget(button)
            self.face_buttons.append(button)
        self.faces_label.setText(f"Search with ({len(self.face_buttons)} faces):")
        self.faces_strip.setVisible(bool(self.face_buttons))

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
        p = QPainter(pixmap)
        w, h = pixmap.width(), pixmap.height()
        other = QPen(OTHER_FACE, 1, Qt.PenStyle.DashLine)
        for face in self.faces:  # the faces one could search with instead
            if face != box:
                p.setPen(other)
                p.drawRect(_scaled(face, w, h))
        if isinstance(box, Mapping):
            p.setPen(QPen(QColor("#3498db"), 3))
            p.drawRect(_scaled(box, w, h))
        p.end()
        self.query.setPixmap(pixmap)

    def _on_list_activated(self, index: QModelIndex) -> None:
        self.match_activated.emit(str(index.data(IdRole)))


def _scaled(box: Mapping[str, float], w: int, h: int) -> QRectF:
    return QRectF(box["Left"] * w, box["Top"] * h, box["Width"] * w, box["Height"] * h)


def _crop(image: QImage, box: Mapping[str, float]) -> QImage:
    rect = _scaled(box, image.width(), image.height()).toAlignedRect()
    crop = image.copy(rect.intersected(QRect(0, 0, image.width(), image.height())))
    return crop.scaled(
        FACE_ICON,
        FACE_ICON,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.SmoothTransformation,
    )
