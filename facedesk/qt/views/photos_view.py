"""Photos of the selected collection: filter, sort, a tile grid; double-click opens one."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from facedesk.qt.delegates.photo_tile_delegate import PhotoTileDelegate
from facedesk.qt.models.filter_proxies import PhotoFilterProxy
from facedesk.qt.models.photo_list_model import PhotoListModel
from facedesk.qt.models.roles import ExternalIdRole, IdRole

SORTS = (("Name", "name"), ("Date indexed", "date"), ("Face count", "faces"))  # storage orders


def icon_grid(view: QListView) -> None:
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setMovement(QListView.Movement.Static)
    view.setUniformItemSizes(True)
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(256)
    view.setSpacing(4)
    view.setMouseTracking(True)
    view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)


class PhotosView(QWidget):
    photo_activated = Signal(str, str)  # image_id, external_image_id

    def __init__(self, model: PhotoListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = PhotoFilterProxy(self)
        self.proxy.setSourceModel(model)
        self.filter_edit = QLineEdit(placeholderText="Filter by ExternalImageId  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.sort_combo = QComboBox()
        for label, key in SORTS:
            self.sort_combo.addItem(label, key)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        self.list = QListView()
        icon_grid(self.list)
        self.list.setItemDelegate(PhotoTileDelegate(parent=self.list))
        self.list.setModel(self.proxy)
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(QLabel("Sort:"))
        bar.addWidget(self.sort_combo)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.list)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.sort_combo.currentIndexChanged.connect(self._on_sort_combo_changed)
        self.list.activated.connect(self._on_list_activated)
        for sig in (
            self.proxy.modelReset,
            self.proxy.rowsInserted,
            self.proxy.rowsRemoved,
            self.proxy.layoutChanged,
        ):
            sig.connect(self._update_count)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _update_count(self) -> None:
        n, total = self.proxy.rowCount(), self.proxy.sourceModel().rowCount()
        self.count_label.setText(f"{n} of {total} photos" if n != total else f"{total} photos")

    def _on_sort_combo_changed(self, _i: int) -> None:
        self.model.set_sort_key(str(self.sort_combo.currentData()))

    def _on_list_activated(self, index: QModelIndex) -> None:
        self.photo_activated.emit(str(index.data(IdRole)), str(index.data(ExternalIdRole)))
