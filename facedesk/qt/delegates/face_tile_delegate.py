"""Paints a face crop with a caption (ExternalImageId, or Similarity for matches)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from facedesk.qt.delegates.tile_painter import paint_background, paint_caption, paint_picture
from facedesk.qt.models.roles import LoadFailedRole, SubtitleRole, ThumbnailRole

_Index = QModelIndex | QPersistentModelIndex


class FaceTileDelegate(QStyledItemDelegate):
    def __init__(self, picture_px: int = 112, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.picture_px = picture_px

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        line = option.fontMetrics.height()
        return QSize(self.picture_px + 12, self.picture_px + 12 + 2 * line + 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        painter.save()
        paint_background(painter, option)
        r, p, line = option.rect, self.picture_px, option.fontMetrics.height()
        left, top, width = r.left(), r.top(), r.width()
        area = QRect(left + (width - p) // 2, top + 6, p, p)
        pixmap = index.data(ThumbnailRole)
        # "failed" only matters for the placeholder: one model call less per loaded tile
        failed = pixmap is None and bool(index.data(LoadFailedRole))
        paint_picture(painter, area, pixmap, failed)
        text_top = top + 6 + p + 3  # area.bottom() + 4
        paint_caption(
            painter, option, QRect(left + 4, text_top, width - 8, line), str(index.data() or "")
        )
        sub = index.data(SubtitleRole)
        if sub:
            paint_caption(
                painter,
                option,
                QRect(left + 4, text_top + line, width - 8, line),
                str(sub),
                bold=True,
            )
        painter.restore()
