"""Photos of the selected collection: filter (by name, by person), sort, a tile grid;
double-click opens one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
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


class PersonPhotoProxy(PhotoFilterProxy):
    """The name filter, and optionally only the photos holding one person's faces."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.image_ids: frozenset[str] | None = None  # None: every photo

    def set_image_ids(self, image_ids: Iterable[str] | None) -> None:
        if not hasattr(self, "beginFilterChange"):  # PySide6 < 6.10
            self.image_ids = None if image_ids is None else frozenset(image_ids)
            self.invalidateRowsFilter()
            return
        # Qt 6.10 deprecates invalidate*Filter for begin/endFilterChange
        self.beginFilterChange()
        self.image_ids = None if image_ids is None else frozenset(image_ids)
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        if self.image_ids is not None:
            image_id = self.sourceModel().index(source_row, 0, source_parent).data(IdRole)
            if image_id not in self.image_ids:
                return False
        return super().filterAcceptsRow(source_row, source_parent)


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
    person_chosen = Signal(str)  # user id whose photos to show ("" = everyone)

    def __init__(self, model: PhotoListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = PersonPhotoProxy(self)
        self.person_id = ""  # the person whose photos are shown ("" = everyone)
        self.proxy.setSourceModel(model)
        self.filter_edit = QLineEdit(placeholderText="Filter by ExternalImageId  (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.sort_combo = QComboBox()
        for label, key in SORTS:
            self.sort_combo.addItem(label, key)
        self.person_combo = QComboBox()
        self.person_combo.setToolTip("Show only the photos of one person")
        self.person_combo.addItem("Everyone", "")
        # the combo's rows' UserIds ("" = everyone), kept here: one addItems call for the
        # names instead of an addItem with data per person (0.06-0.27 s at 5k people)
        self._person_ids: list[str] = [""]
        self._person_rows: dict[str, int] = {"": 0}
        self.person_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.count_label = QLabel()
        self.count_label.setObjectName("hint")
        self.list = QListView()
        icon_grid(self.list)
        self.list.setItemDelegate(PhotoTileDelegate(parent=self.list))
        self.list.setModel(self.proxy)
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.person_combo)
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
        self.person_combo.activated.connect(lambda i: self.person_chosen.emit(self._person_ids[i]))
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

    def set_people(self, people: Sequence[tuple[str, str]]) -> None:
        """The people to filter by, as (user id, name); a person gone clears the filter."""
        combo = self.person_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem("Everyone", "")
        combo.addItems([name for _user_id, name in people])
        self._person_ids = ["", *(user_id for user_id, _name in people)]
        self._person_rows = {user_id: row for row, user_id in enumerate(self._person_ids)}
        row = self._person_rows.get(self.person_id, -1) if self.person_id else 0
        combo.setCurrentIndex(max(row, 0))
        combo.blockSignals(False)
        if row < 0:
            self.person_chosen.emit("")

    def show_person(self, user_id: str, image_ids: Iterable[str] | None) -> None:
        """Show only ``image_ids`` (the photos of ``user_id``); "" / None shows every photo."""
        self.person_id = user_id if image_ids is not None else ""
        self.person_combo.setCurrentIndex(self._person_rows.get(self.person_id, 0))
        self.proxy.set_image_ids(image_ids if self.person_id else None)

    def _update_count(self) -> None:
        n, total = self.proxy.rowCount(), self.proxy.sourceModel().rowCount()
        self.count_label.setText(f"{n} of {total} photos" if n != total else f"{total} photos")

    def _on_sort_combo_changed(self, _i: int) -> None:
        self.model.set_sort_key(str(self.sort_combo.currentData()))

    def _on_list_activated(self, index: QModelIndex) -> None:
        self.photo_activated.emit(str(index.data(IdRole)), str(index.data(ExternalIdRole)))
