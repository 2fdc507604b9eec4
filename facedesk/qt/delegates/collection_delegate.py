"""Sidebar row: collection name, and its face count and model version underneath."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from facedesk.qt.models.roles import SubtitleRole

_Index = QModelIndex | QPersistentModelIndex


class CollectionDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        return QSize(160, 2 * option.fontMetrics.height() + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected:
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.Highlight))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(option.rect, option.palette.color(QPalette.ColorRole.AlternateBase))
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        colour = option.palette.color(role)
        line = option.fontMetrics.height()
        r = option.rect.adjusted(10, 6, -8, -6)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(colour)
        painter.drawText(
            QRect(r.left(), r.top(), r.width(), line),
            Qt.AlignmentFlag.AlignLeft,
            painter.fontMetrics().elidedText(
                str(index.data()), Qt.TextElideMode.ElideRight, r.width()
            ),
        )
        painter.setFont(option.font)
        colour.setAlpha(160)
        painter.setPen(colour)
        painter.drawText(
            QRect(r.left(), r.top() + line + 2, r.width(), line),
            Qt.AlignmentFlag.AlignLeft,
            str(index.data(SubtitleRole) or ""),
        )
        painter.restore()
