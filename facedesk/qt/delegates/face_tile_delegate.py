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
        area = QRect(r.left() + (r.width() - p) // 2, r.top() + 6, p, p)
        paint_picture(painter, area, index.data(ThumbnailRole), bool(index.data(LoadFailedRole)))
        text_top = area.bottom() + 4
        paint_caption(
            painter,
            option,
            QRect(r.left() + 4, text_top, r.width() - 8, line),
            str(index.data() or ""),
        )
        sub = index.data(SubtitleRole)
        if sub:
            paint_caption(
                painter,
                option,
                QRect(r.left() + 4, text_top + line, r.width() - 8, line),
                str(sub),
                bold=True,
            )
        painter.restore()
