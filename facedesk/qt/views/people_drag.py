"""Drag faces from a person's page, or a whole group of unnamed faces, onto a person of the
People grid (one move, undone like every other people action)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QDrag, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from facedesk.qt.models.roles import IdRole, ItemRole

FACE_IDS_MIME = "application/x-facedesk-face-ids"
GROUP_MIME = "application/x-facedesk-face-group"


def face_ids_mime(face_ids: list[str]) -> QMimeData:
    mime = QMimeData()
    mime.setData(FACE_IDS_MIME, "\n".join(face_ids).encode("ascii"))
    return mime


def group_mime(group_key: str) -> QMimeData:
    """A group tile dragged: its key only (a listed group may name its first face only; the
    faces are read when it is dropped)."""
    mime = QMimeData()
    mime.setData(GROUP_MIME, group_key.encode("ascii"))
    return mime


def group_of(mime: QMimeData) -> str:
    if not mime.hasFormat(GROUP_MIME):
        return ""
    return bytes(mime.data(GROUP_MIME).data()).decode("ascii", "replace").strip()


def face_ids_of(mime: QMimeData) -> list[str]:
    if not mime.hasFormat(FACE_IDS_MIME):
        return []
    text = bytes(mime.data(FACE_IDS_MIME).data()).decode("ascii", "replace")
    return [line for line in text.split("\n") if line]


class _DragSource(QListView):
    """A grid whose tiles can be dragged away: ``drag_mime`` says what a drag carries."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)

    def setMovement(self, movement: QListView.Movement) -> None:
        super().setMovement(movement)
        self.setDragEnabled(True)  # a static grid (tiles stay put) turns dragging off

    def drag_mime(self) -> QMimeData | None:
        raise NotImplementedError

    def startDrag(self, supported: Qt.DropAction) -> None:
        mime = self.drag_mime()
        if mime is None:
            return
        drag = QDrag(self)
        drag.setMimeData(mime)
        current = self.currentIndex()
        icon = current.data(Qt.ItemDataRole.DecorationRole) if current.isValid() else None
        if icon is not None:
            drag.setPixmap(icon.scaled(48, 48, Qt.AspectRatioMode.KeepAspectRatio))
        drag.exec(Qt.DropAction.MoveAction)


class FaceDragList(_DragSource):
    """A person's faces: the selected faces can be dragged away."""

    def selected_face_ids(self) -> list[str]:
        rows = sorted(self.selectionModel().selectedIndexes(), key=lambda i: i.row())
        return [str(i.data(IdRole)) for i in rows if i.data(IdRole)]

    def drag_mime(self) -> QMimeData | None:
        ids = self.selected_face_ids()
        return face_ids_mime(ids) if ids else None


class GroupDragList(_DragSource):
    """The groups of unnamed faces: the current group can be dragged onto a person."""

    def drag_mime(self) -> QMimeData | None:
        """What dragging the current group carries (None: no group)."""
        current = self.currentIndex()
        tile = current.data(ItemRole) if current.isValid() else None
        key = getattr(tile, "key", "")
        return group_mime(key) if key else None


class PersonDropList(QListView):
    """The named people: faces dropped on a person move to it (``faces_dropped``), a group
    dropped on a person joins it (``group_dropped``)."""

    faces_dropped = Signal(list, str)  # face ids, user id of the person dropped on
    group_dropped = Signal(str, str)  # group tile key, user id of the person dropped on

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)

    def setMovement(self, movement: QListView.Movement) -> None:
        super().setMovement(movement)
        self.viewport().setAcceptDrops(True)  # a static grid turns drops off

    def _target(self, event: QDropEvent | QDragMoveEvent) -> str:
        index = self.indexAt(event.position().toPoint())
        tile = index.data(ItemRole) if index.isValid() else None
        key = getattr(tile, "key", "")
        return key if getattr(tile, "kind", "") == "person" else ""

    @staticmethod
    def _carries(mime: QMimeData) -> bool:
        return bool(face_ids_of(mime) or group_of(mime))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._carries(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._carries(event.mimeData()) and self._target(event):
            # the person under the pointer lights up, as the drop target
            self.setCurrentIndex(self.indexAt(event.position().toPoint()))
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime, user_id = event.mimeData(), self._target(event)
        ids, group = face_ids_of(mime), group_of(mime)
        if not (ids or group) or not user_id:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        if ids:
            self.faces_dropped.emit(ids, user_id)
        else:
            self.group_dropped.emit(group, user_id)
