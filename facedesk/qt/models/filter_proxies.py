"""Filtering proxies: views never filter lists themselves.

They filter, never sort: the photo list arrives in the chosen order from storage
(PhotoListModel.set_sort_key), since sorting 20k rows in a proxy calls Python ``data()``
~600k times on the UI thread. Faces are filtered by storage queries instead
(FaceListModel.set_query): a proxy only sees the rows loaded so far, and the face grid
loads page by page.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt

from facedesk.qt.models.roles import ExternalIdRole


class PhotoFilterProxy(QSortFilterProxyModel):
    """Filter on ExternalImageId (substring, case-insensitive), keeping the model's order."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setFilterRole(ExternalIdRole)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setDynamicSortFilter(True)
