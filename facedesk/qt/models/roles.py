"""Custom item roles shared by models, proxies and delegates."""

from PySide6.QtCore import Qt

_U = Qt.ItemDataRole.UserRole
ItemRole = _U + 1  # the dataclass behind the row
IdRole = _U + 2  # collection_id / image_id / face_id / user_id
ThumbnailRole = _U + 3  # QPixmap | None (None while loading)
ExternalIdRole = _U + 4
FaceCountRole = _U + 5
UnindexedCountRole = _U + 6
IndexedAtRole = _U + 7
SubtitleRole = _U + 8
SimilarityRole = _U + 9
LoadFailedRole = _U + 10
