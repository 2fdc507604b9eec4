"""The photo with its faces: indexed boxes, landmarks, unindexed faces and their reasons.

Scene coordinates are the stored (EXIF-oriented) image size in pixels, so the stored
ratio boxes map directly; the decoded pixmap is stretched onto that rectangle (it may be a
downscaled decode). Overlay items ignore the view's zoom for their pens and labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QPen, QPixmap, QTransform
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from facedesk.core.types import BoundingBox
from facedesk.qt.documents import FaceOverlay, PhotoDocument
from facedesk.qt.images import VIEWER_MAX_PX, read_image
from facedesk.qt.label_layout import uncrowded
from facedesk.qt.measurements import reasons_label
from facedesk.qt.views.face_name_bar import FaceNameBar
from facedesk.qt.views.photo_scene import (
    INDEXED,
    LANDMARK,
    NAMED,
    NEUTRAL,
    UNINDEXED,
    FaceBoxItem,
    Label,
    PhotoGraphicsView,
    PhotoScene,
)
from facedesk.qt.workers.thumbnails import ThumbnailLoader


class PhotoViewer(QWidget):
    face_selected = Signal(object)  # FaceOverlay
    loaded = Signal()  # the photo (or the neutral canvas) is on screen
    step_requested = Signal(int)  # -1 previous photo, +1 next photo
    face_drawn = Signal(object)  # BoundingBox: ratios of the photo, drawn by hand
    face_menu_requested = Signal(object, QPoint)  # FaceOverlay, global position
    name_requested = Signal(str, str)  # face id, name: name the face (new or existing person)
    person_requested = Signal(str)  # user id: open the person of a clicked face

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: PhotoDocument | None = None
        self.scene = PhotoScene(self)
        self.view = PhotoGraphicsView(self.scene, self)
        self.loader = ThumbnailLoader(max_threads=1, cache_size=4, parent=self)
        self._pixmap_item: QGraphicsPixmapItem | None = None
        self._boxes: list[FaceBoxItem] = []
        self._landmarks: list[QGraphicsItem] = []
        self._labels: list[Label] = []
        self._name_labels: list[Label] = []
        self.names: dict[str, tuple[str, str]] = {}  # face id -> (user id, name shown)
        self._photo_key = ""
        self.name_bar = FaceNameBar(self)
        self.title = QLabel("No photo open")
        self.title.setObjectName("viewerTitle")
        self.message = QLabel()
        self.message.setObjectName("inlineWarning")
        self.message.setWordWrap(True)
        self.message.hide()
        self.overlays_box = QCheckBox("Faces")
        self.overlays_box.setChecked(True)
        self.overlays_box.setToolTip("Show face boxes and reasons (Space)")
        self.landmarks_box = QCheckBox("Landmarks")
        self.landmarks_box.setChecked(True)
        self.zoom_label = QLabel()
        self.draw_button = QToolButton()
        self.draw_button.setText("Draw face")
        self.draw_button.setCheckable(True)
        self.draw_button.setToolTip("Drag a box around a face the detector missed (D)")
        self.draw_button.toggled.connect(self.view.set_drawing)
        self.previous_button, self.next_button = QToolButton(), QToolButton()
        self.previous_button.setText("◀")
        self.previous_button.setToolTip("Previous photo (←, Ctrl+←)")
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next photo (→, Ctrl+→)")
        self.previous_button.clicked.connect(lambda: self.step_requested.emit(-1))
        self.next_button.clicked.connect(lambda: self.step_requested.emit(1))
        buttons = []
        for text, tip, slot in (
            ("Fit", "Zoom to fit (0)", self.view.fit),
            ("−", "Zoom out (-)", lambda: self.view.zoom_by(1 / 1.25)),
            ("+", "Zoom in (+)", lambda: self.view.zoom_by(1.25)),
            ("1:1", "Actual pixels", self.view.actual_size),
        ):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            buttons.append(b)
        bar = QHBoxLayout()
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.title, 1)
        bar.addWidget(self.draw_button)
        bar.addWidget(self.overlays_box)
        bar.addWidget(self.landmarks_box)
        for b in buttons:
            bar.addWidget(b)
        bar.addWidget(self.zoom_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.name_bar)
        layout.addWidget(self.view, 1)
        self.name_bar.name_entered.connect(self.name_requested)
        self.name_bar.person_requested.connect(self.person_requested)
        self.scene.face_clicked.connect(self._on_scene_face_clicked)
        self.view.step_requested.connect(self.step_requested)
        self.view.rect_drawn.connect(self._on_view_rect_drawn)
        self.scene.face_menu_requested.connect(self.face_menu_requested)
        self.view.zoom_changed.connect(lambda _z: self.layout_labels())
        self.overlays_box.toggled.connect(self._apply_visibility)
        self.landmarks_box.toggled.connect(self._apply_visibility)
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f} %"))
        self.loader.thumbnail_loaded.connect(self._on_loader_thumbnail_loaded)

    # -- public --------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        return self.loader.pending > 0

    def box_items(self) -> list[FaceBoxItem]:
        return list(self._boxes)

    def landmark_items(self) -> list[QGraphicsItem]:
        return list(self._landmarks)

    def toggle_overlays(self) -> None:
        self.overlays_box.toggle()

    def zoom_in(self) -> None:
        self.view.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.view.zoom_by(1 / 1.25)

    def show_document(self, doc: PhotoDocument) -> None:
        self.document = doc
        s = doc.summary
        self.scene.clear()
        self._boxes, self._landmarks, self._labels, self._name_labels = [], [], [], []
        self.name_bar.hide()
        self._pixmap_item = None
        w, h = max(1, s.width), max(1, s.height)
        self.scene.setSceneRect(QRectF(0, 0, w, h))
        self.title.setText(
            f"<b>{s.external_image_id or s.image_id}</b>  ·  {w}×{h}  ·  "
            f"<span style='color:{INDEXED.name()}'>{doc.indexed_count} indexed</span>"
            f"  ·  <span style='color:{UNINDEXED.name()}'>"
            f"{doc.unindexed_count} not indexed</span>"
        )
        if doc.record is None:
            self._warn("No index record is stored for this photo, so its faces cannot be drawn.")
        for face in doc.faces:
            self._add_face(face, w, h)
        self._draw_names()
        self._apply_visibility()
        self.view.fit()
        self._photo_key = f"view:{s.source_path}"
        pixmap = self.loader.pixmap(self._photo_key, _photo_loader(s.source_path))
        if pixmap is not None or self.loader.is_failed(self._photo_key):
            self._show_pixmap(pixmap)

    def select_face(self, face: FaceOverlay | None) -> None:
        for box in self._boxes:
            box.set_selected(face is not None and box.face.index == face.index)

    def set_names(self, names: Mapping[str, tuple[str, str]]) -> None:
        """The people of this photo's faces (face id -> (user id, name)): drawn on the boxes."""
        self.names = dict(names)
        self._draw_names()
        self._apply_visibility()
        self.layout_labels()
        if self.name_bar.isVisible() and self.name_bar.face_id:
            self.name_bar.show_face(self.name_bar.face_id, self.names.get(self.name_bar.face_id))

    def set_people(self, names: Sequence[str]) -> None:
        """Every person's name, for the name field's completion."""
        self.name_bar.set_people(names)

    def name_label_texts(self) -> dict[str, str]:
        """Face id -> the name drawn on its box (what a test or a screenshot checks)."""
        out: dict[str, str] = {}
        for label in self._name_labels:
            box = label.parentItem()
            if isinstance(box, FaceBoxItem) and box.face.face_id:
                out[box.face.face_id] = label.text()
        return out

    # -- drawing -------------------------------------------------------------------------
    def _add_face(self, face: FaceOverlay, w: int, h: int) -> None:
        b = face.box
        rect = QRectF(b["Left"] * w, b["Top"] * h, b["Width"] * w, b["Height"] * h)
        box = FaceBoxItem(face, rect)
        self.scene.addItem(box)
        self._boxes.append(box)
        caption = None
        if face.user_drawn:
            caption = ("drawn by hand", INDEXED)
        elif not face.indexed:
            caption = (reasons_label(face.reasons) or "not indexed", UNINDEXED)
        if caption is not None:
            label = Label(*caption, box)
            label.setPos(rect.bottomLeft() + QPointF(0, 2))
            self._labels.append(label)
        for _type, x, y in face.landmarks():
            dot = QGraphicsEllipseItem(-2, -2, 4, 4, box)
            dot.setPos(x * w, y * h)
            dot.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
            dot.setPen(QPen(Qt.PenStyle.NoPen))
            dot.setBrush(LANDMARK if face.indexed else UNINDEXED.lighter(130))
            self._landmarks.append(dot)

    def _draw_names(self) -> None:
        for label in self._name_labels:
            self._labels.remove(label)
            self.scene.removeItem(label)
        self._name_labels = []
        for box in self._boxes:
            person = self.names.get(box.face.face_id or "")
            if person is None:
                continue
            label = Label(person[1], NAMED, box)
            label.setPos(box.rect().topLeft())
            # above the box, in screen pixels (the label ignores the view's zoom)
            height = label.boundingRect().height()
            label.setTransform(QTransform.fromTranslate(0, -height - 3))
            self._labels.append(label)
            self._name_labels.append(label)

    def layout_labels(self) -> None:
        """Hide the labels that would cover another at this zoom (smaller faces give way)."""
        view = self.view
        rects, sizes = [], []
        for label in self._labels:
            at = view.mapFromScene(label.scenePos())
            plate = label.boundingRect().adjusted(-3, -1, 3, 1)  # the dark plate painted
            rects.append((at.x() + plate.x(), at.y() + plate.y(), plate.width(), plate.height()))
            box = label.parentItem()
            sizes.append(box.boundingRect().width() if box is not None else 0.0)
        for label, show in zip(self._labels, uncrowded(rects, sizes), strict=True):
            label.crowded = not show
            label.setVisible(show)

    def _apply_visibility(self) -> None:
        show = self.overlays_box.isChecked()
        for box in self._boxes:
            box.setVisible(show)
        for dot in self._landmarks:
            dot.setVisible(show and self.landmarks_box.isChecked())

    def _show_pixmap(self, pixmap: QPixmap | None) -> None:
        rect = self.scene.sceneRect()
        if pixmap is None or pixmap.isNull():
            path = self.document.summary.source_path if self.document else None
            canvas = self.scene.addRect(rect, QPen(Qt.PenStyle.NoPen), QBrush(NEUTRAL))
            canvas.setZValue(-1)
            self._warn(
                f"The photo file is not available ({path or 'no path stored'}). "
                "Showing the stored faces on a blank canvas of the photo's size."
            )
        else:
            item = self.scene.addPixmap(pixmap)
            item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            item.setScale(rect.width() / max(1, pixmap.width()))
            item.setZValue(-1)
            self._pixmap_item = item
            self.message.hide()
        self.loaded.emit()

    def _warn(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _on_loader_thumbnail_loaded(self, key: str) -> None:
        if key == self._photo_key:
            self._show_pixmap(self.loader.pixmap(key, _photo_loader(None)))

    def _on_view_rect_drawn(self, rect: QRectF) -> None:
        """A box dragged out in drawing mode, as Rekognition ratios of the photo."""
        area = self.scene.sceneRect()
        if self.document is None or area.isEmpty():
            return
        rect = rect.intersected(area)
        if rect.isEmpty():
            return
        self.draw_button.setChecked(False)  # one face per drag, as digiKam does
        self.face_drawn.emit(
            BoundingBox(
                left=rect.left() / area.width(),
                top=rect.top() / area.height(),
                width=rect.width() / area.width(),
                height=rect.height() / area.height(),
            )
        )

    def _on_scene_face_clicked(self, face: FaceOverlay) -> None:
        self.select_face(face)
        self.face_selected.emit(face)
        if face.indexed and face.face_id:
            self.name_bar.show_face(face.face_id, self.names.get(face.face_id))
        else:  # an unindexed face has no FaceId to name
            self.name_bar.hide()


def _photo_loader(path: str | None):  # type: ignore[no-untyped-def]
    return lambda: read_image(path, VIEWER_MAX_PX) if path else None
