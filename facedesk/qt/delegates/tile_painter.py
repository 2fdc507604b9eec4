"""Shared painting of a thumbnail tile (picture, placeholder, caption, badges)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

INDEXED_COLOUR = QColor("#2ecc71")
UNINDEXED_COLOUR = QColor("#f39c12")
PLACEHOLDER = QColor(128, 128, 128, 60)


def paint_background(painter: QPainter, option: QStyleOptionViewItem) -> None:
    if option.state & QStyle.StateFlag.State_Selected:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(option.palette.color(QPalette.ColorRole.Highlight))
        painter.drawRoundedRect(QRectF(option.rect).adjusted(2, 2, -2, -2), 6, 6)
    elif option.state & QStyle.StateFlag.State_MouseOver:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(128, 128, 128, 40))
        painter.drawRoundedRect(QRectF(option.rect).adjusted(2, 2, -2, -2), 6, 6)


def paint_picture(painter: QPainter, area: QRect, pixmap: QPixmap | None, failed: bool) -> QRect:
    """Draws the picture centred in ``area``; returns where it went."""
    if pixmap is None or pixmap.isNull():
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PLACEHOLDER)
        painter.drawRoundedRect(QRectF(area), 4, 4)
        if failed:
            painter.setPen(QColor(128, 128, 128))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "no image")
        return area
    scaled = pixmap.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRect(0, 0, scaled.width(), scaled.height())
    target.moveCenter(area.center())
    painter.drawPixmap(target, pixmap)
    return target


def paint_caption(
    painter: QPainter,
    option: QStyleOptionViewItem,
    rect: QRect,
    text: str,
    bold: bool = False,
    dim: bool = False,
) -> None:
    selected = bool(option.state & QStyle.StateFlag.State_Selected)
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    colour = option.palette.color(role)
    if dim and not selected:
        colour.setAlpha(150)
    painter.setPen(colour)
    font = QFont(option.font)
    font.setBold(bold)
    painter.setFont(font)
    elided = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, rect.width())
    painter.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, elided)


def paint_badge(painter: QPainter, right_top: tuple[int, int], text: str, colour: QColor) -> int:
    """A rounded count badge ending at ``right_top``; returns its left x."""
    fm = painter.fontMetrics()
    w, h = fm.horizontalAdvance(text) + 10, fm.height() + 2
    rect = QRectF(right_top[0] - w, right_top[1], w, h)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(rect, h / 2, h / 2)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    return int(rect.left())
