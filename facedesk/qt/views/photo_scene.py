"""The photo viewer's scene items: face boxes with their labels, and the zoomable view.

Overlay items ignore the view's zoom for their pens and labels.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from facedesk.qt.documents import FaceOverlay
from facedesk.qt.measurements import measure_tooltip

INDEXED = QColor("#2ecc71")
UNINDEXED = QColor("#ff9f1a")
SELECTED = QColor("#3498db")
LANDMARK = QColor("#f1c40f")
NEUTRAL = QColor("#3a3f44")
NAMED = QColor("#ffffff")


class FaceBoxItem(QGraphicsRectItem):
    """A face's box; knows its overlay so a click can select it."""

    def __init__(self, face: FaceOverlay, rect: QRectF) -> None:
        super().__init__(rect)
        self.face = face
        self.colour = INDEXED if face.indexed else UNINDEXED
        self.set_selected(False)
        self.setToolTip(measure_tooltip(face.measurement, face.reasons))
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_selected(self, selected: bool) -> None:
        pen = QPen(SELECTED if selected else self.colour, 3 if selected else 2)
        pen.setCosmetic(True)
        if not self.face.indexed and not selected:
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setZValue(2 if selected else 1)

    def hoverEnterEvent(self, event: object) -> None:
        # a label hidden for lack of room shows while the pointer is on its face
        for label in self.labels():
            label.setVisible(True)
            label.setZValue(3)

    def hoverLeaveEvent(self, event: object) -> None:
        for label in self.labels():
            label.setVisible(not label.crowded)
            label.setZValue(0)

    def labels(self) -> list[Label]:
        return [c for c in self.childItems() if isinstance(c, Label)]

    def mousePressEvent(self, event: object) -> None:
        scene = self.scene()
        if isinstance(scene, PhotoScene):
            scene.face_clicked.emit(self.face)

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:
        scene = self.scene()
        if isinstance(scene, PhotoScene):
            scene.face_menu_requested.emit(self.face, event.screenPos())
            event.accept()


class PhotoScene(QGraphicsScene):
    face_clicked = Signal(object)  # FaceOverlay
    face_menu_requested = Signal(object, QPoint)  # FaceOverlay, global position


class Label(QGraphicsSimpleTextItem):
    """A text label with a dark plate, constant size on screen."""

    crowded = False  # hidden because it would cover another label at this zoom

    def __init__(self, text: str, colour: QColor, parent: QGraphicsItem) -> None:
        super().__init__(text, parent)
        self.setBrush(QBrush(colour))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)

    def paint(self, painter: QPainter, option: object, widget: object = None) -> None:
        painter.fillRect(self.boundingRect().adjusted(-3, -1, 3, 1), QColor(0, 0, 0, 170))
        super().paint(painter, option, widget)  # type: ignore[arg-type]


class PhotoGraphicsView(QGraphicsView):
    zoom_changed = Signal(float)
    step_requested = Signal(int)  # arrows when the whole photo is in view
    rect_drawn = Signal(QRectF)  # scene rectangle dragged out in drawing mode

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setBackgroundBrush(QColor("#1e2124"))
        self.fit_mode = True
        self._band = QRectF()  # the rubber band while a face is being drawn
        self.rubberBandChanged.connect(self._on_rubber_band_changed)

    def set_drawing(self, on: bool) -> None:
        """Drawing mode: a drag draws a box instead of moving the photo."""
        mode = QGraphicsView.DragMode
        self.setDragMode(mode.RubberBandDrag if on else mode.ScrollHandDrag)
        self.viewport().setCursor(
            Qt.CursorShape.CrossCursor if on else Qt.CursorShape.OpenHandCursor
        )

    def _on_rubber_band_changed(self, rect: QRect, start: QPointF, end: QPointF) -> None:
        if not rect.isNull():
            self._band = QRectF(start, end).normalized()
            return
        band, self._band = self._band, QRectF()  # Qt ends a drag with a null rectangle
        if band.width() >= 4 and band.height() >= 4:
            self.rect_drawn.emit(band)

    def fit(self) -> None:
        self.fit_mode = True
        rect = self.sceneRect()
        if not rect.isEmpty():
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        self.zoom_changed.emit(self.transform().m11())

    def zoom_by(self, factor: float) -> None:
        self.fit_mode = False
        current = self.transform().m11()
        factor = max(0.02, min(current * factor, 16.0)) / current
        self.scale(factor, factor)
        self.zoom_changed.emit(self.transform().m11())

    def actual_size(self) -> None:
        self.fit_mode = False
        self.resetTransform()
        self.zoom_changed.emit(1.0)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.25**steps)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self.fit_mode:
            self.fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Left/Right step through photos unless zoomed in, where they pan as usual.
        steps = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}
        step = steps.get(Qt.Key(event.key()))
        panning = self.horizontalScrollBar().maximum() > 0
        plain = event.modifiers() == Qt.KeyboardModifier.NoModifier
        if step is not None and plain and not panning:
            self.step_requested.emit(step)
            event.accept()
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.fit()
