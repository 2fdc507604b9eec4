"""Filtering and sorting proxies: views never filter lists themselves."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from facedesk.qt.models.roles import ExternalIdRole, FaceCountRole, IdRole, IndexedAtRole

_Index = QModelIndex | QPersistentModelIndex

PHOTO_SORT_KEYS = {"name": ExternalIdRole, "date": IndexedAtRole, "faces": FaceCountRole}


class PhotoFilterProxy(QSortFilterProxyModel):
    """Filter on ExternalImageId (substring, case-insensitive); sort by name/date/face count."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setFilterRole(ExternalIdRole)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setSortRole(ExternalIdRole)
        self.setDynamicSortFilter(True)

    def set_sort_key(self, key: str) -> None:
        self.setSortRole(PHOTO_SORT_KEYS[key])
        order = Qt.SortOrder.AscendingOrder if key == "name" else Qt.SortOrder.DescendingOrder
        self.sort(0, order)


class FaceFilterProxy(QSortFilterProxyModel):
    """Restrict to a set of FaceIds (a person's faces) and/or an ExternalImageId substring."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setFilterRole(ExternalIdRole)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._face_ids: frozenset[str] | None = None

    @property
    def face_ids(self) -> frozenset[str] | None:
        return self._face_ids

    def set_face_ids(self, face_ids: frozenset[str] | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.10 replaces invalidateFilter()
            self.beginFilterChange()
            self._face_ids = face_ids
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._face_ids = face_ids
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if self._face_ids is not None:
            face_id = self.sourceModel().index(source_row, 0, source_parent).data(IdRole)
            if face_id not in self._face_ids:
                return False
        return super().filterAcceptsRow(source_row, source_parent)
