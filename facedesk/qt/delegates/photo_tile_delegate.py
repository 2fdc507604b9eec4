"""Paints a photo thumbnail with its indexed / unindexed face counts."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from facedesk.qt.delegates.tile_painter import (
    INDEXED_COLOUR,
    UNINDEXED_COLOUR,
    paint_background,
    paint_badge,
    paint_caption,
    paint_picture,
)
from facedesk.qt.models.roles import (
    FaceCountRole,
    LoadFailedRole,
    ThumbnailRole,
    UnindexedCountRole,
)

_Index = QModelIndex | QPersistentModelIndex


class PhotoTileDelegate(QStyledItemDelegate):
    def __init__(self, picture_px: int = 180, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.picture_px = picture_px

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(self.picture_px + 16, self.picture_px + 16 + option.fontMetrics.height() + 6)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        painter.save()
        paint_background(painter, option)
        r, p = option.rect, self.picture_px
        area = QRect(r.left() + (r.width() - p) // 2, r.top() + 8, p, p)
        pixmap = index.data(ThumbnailRole)
        # "failed" only matters for the placeholder: one model call less per loaded tile
        failed = pixmap is None and bool(index.data(LoadFailedRole))
        drawn = paint_picture(painter, area, pixmap, failed)
        x = drawn.right() - 4
        unindexed = int(index.data(UnindexedCountRole) or 0)
        if unindexed:
            x = paint_badge(painter, (x, drawn.top() + 4), f"✕ {unindexed}", UNINDEXED_COLOUR) - 4
        paint_badge(
            painter,
            (x, drawn.top() + 4),
            f"☺ {int(index.data(FaceCountRole) or 0)}",
            INDEXED_COLOUR,
        )
        line = option.fontMetrics.height()
        paint_caption(
            painter,
            option,
            QRect(r.left() + 4, area.bottom() + 4, r.width() - 8, line),
            str(index.data() or ""),
        )
        painter.restore()
