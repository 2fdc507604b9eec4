"""Sidebar: collections with face count and model version; drop photos on one to index."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from facedesk.qt.delegates.collection_delegate import CollectionDelegate
from facedesk.qt.models.roles import IdRole
from facedesk.qt.views.drops import local_paths


def _tool_button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    return button


DROP_ACCENT = QColor(52, 152, 219)  # the drop area's colour in app.qss
DROP_FILL = QColor(52, 152, 219, 40)


class CollectionListView(QListView):
    paths_dropped = Signal(list, str)  # paths, collection_id ("" = dropped on empty space)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setMouseTracking(True)

    # The collection row the files hover over (-1: none, the empty space means "new").
    drop_row = -1

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._set_drop_row(self.indexAt(event.position().toPoint()).row())

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()
            self._set_drop_row(self.indexAt(event.position().toPoint()).row())

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_drop_row(-1)
        super().dragLeaveEvent(event)

    def _set_drop_row(self, row: int) -> None:
        if row != self.drop_row:
            self.drop_row = row
            self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.drop_row < 0:
            return
        # the row that will receive the files, framed in the accent colour
        rect = self.visualRect(self.model().index(self.drop_row, 0)).adjusted(1, 1, -1, -1)
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(DROP_ACCENT, 2))
        painter.setBrush(DROP_FILL)
        painter.drawRoundedRect(rect, 6, 6)
        painter.end()

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drop_row(-1)
        paths = local_paths(event.mimeData())
        if not paths:
            return
        index = self.indexAt(event.position().toPoint())
        self.paths_dropped.emit(paths, str(index.data(IdRole)) if index.isValid() else "")
        event.acceptProposedAction()


class CollectionPanel(QWidget):
    create_requested = Signal()
    delete_requested = Signal(str)
    selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = CollectionListView(self)
        self.list.setItemDelegate(CollectionDelegate(self.list))
        self.list.setObjectName("collectionList")
        self.add_button = _tool_button("+", "New collection…")
        self.remove_button = _tool_button("−", "Delete the selected collection…")
        header = QHBoxLayout()
        title = QLabel("Drop photos on a collection to index them.")
        title.setObjectName("hint")
        title.setWordWrap(True)
        header.addWidget(title, 1)
        header.addWidget(self.add_button)
        header.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(header)
        layout.addWidget(self.list)
        self.add_button.clicked.connect(self.create_requested)
        self.remove_button.clicked.connect(self._on_remove_clicked)

    def set_model(self, model: object) -> None:
        self.list.setModel(model)  # type: ignore[arg-type]
        self.list.selectionModel().currentChanged.connect(self._on_list_current_changed)

    def current_collection(self) -> str:
        idx = self.list.currentIndex()
        return str(idx.data(IdRole)) if idx.isValid() else ""

    def show_collection(self, collection_id: str) -> None:
        model = self.list.model()
        for row in range(model.rowCount()):
            idx = model.index(row, 0)
            if idx.data(IdRole) == collection_id:
                if self.list.currentIndex() != idx:
                    self.list.setCurrentIndex(idx)
                return
        self.list.clearSelection()

    def _on_remove_clicked(self) -> None:
        cid = self.current_collection()
        if cid:
            self.delete_requested.emit(cid)

    def _on_list_current_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if current.isValid():
            self.selected.emit(str(current.data(IdRole)))

    def keyPressEvent(self, event: object) -> None:  # Delete key in the sidebar
        from PySide6.QtGui import QKeyEvent

        if isinstance(event, QKeyEvent) and event.key() in (
            Qt.Key.Key_Delete,
            Qt.Key.Key_Backspace,
        ):
            self._on_remove_clicked()
            return
        super().keyPressEvent(event)  # type: ignore[arg-type]
