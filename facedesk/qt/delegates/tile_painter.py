"""Shared painting of a thumbnail tile (picture, placeholder, caption, badges).

A page scroll of a grid paints ~40 tiles in Python; every call into Qt costs a few
microseconds plus a GIL hand-off (thumbnail workers run Python too), so what a tile
needs more than once is made once: the placeholder is a cached pixmap, captions are
elided once per (font, width, text) and the fonts are kept.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

INDEXED_COLOUR = QColor("#2ecc71")
UNINDEXED_COLOUR = QColor("#f39c12")
PLACEHOLDER = QColor(128, 128, 128, 60)
HOVER = QColor(128, 128, 128, 40)

_SELECTED = QStyle.StateFlag.State_Selected.value
_HOVERED = QStyle.StateFlag.State_MouseOver.value
_CENTRED = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
_ELIDE_MIDDLE = Qt.TextElideMode.ElideMiddle
_NO_PEN = Qt.PenStyle.NoPen


def is_selected(option: QStyleOptionViewItem) -> bool:
    return bool(option.state.value & _SELECTED)


def paint_background(painter: QPainter, option: QStyleOptionViewItem) -> None:
    state = option.state.value
    if state & _SELECTED:
        painter.setPen(_NO_PEN)
        painter.setBrush(option.palette.color(QPalette.ColorRole.Highlight))
        painter.drawRoundedRect(QRectF(option.rect).adjusted(2, 2, -2, -2), 6, 6)
    elif state & _HOVERED:
        painter.setPen(_NO_PEN)
        painter.setBrush(HOVER)
        painter.drawRoundedRect(QRectF(option.rect).adjusted(2, 2, -2, -2), 6, 6)


_placeholders: dict[tuple[int, int], QPixmap] = {}


def placeholder(width: int, height: int) -> QPixmap:
    """The rounded grey square shown while a picture loads, drawn once per size (the same
    pixels as drawing it in place: no antialiasing, integer-aligned)."""
    pm = _placeholders.get((width, height))
    if pm is None:
        pm = QPixmap(width, height)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setPen(_NO_PEN)
        p.setBrush(PLACEHOLDER)
        p.drawRoundedRect(QRectF(0, 0, width, height), 4, 4)
        p.end()
        _placeholders[(width, height)] = pm
    return pm


def paint_picture(painter: QPainter, area: QRect, pixmap: QPixmap | None, failed: bool) -> QRect:
    """Draws the picture centred in ``area``; returns where it went."""
    if pixmap is None or pixmap.isNull():
        painter.drawPixmap(area.topLeft(), placeholder(area.width(), area.height()))
        if failed:
            painter.setPen(QColor(128, 128, 128))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "no image")
        return area
    scaled = pixmap.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    target = QRect(0, 0, scaled.width(), scaled.height())
    target.moveCenter(area.center())
    painter.drawPixmap(target, pixmap)
    return target


class CaptionCache:
    """Elided captions and their fonts, kept per (font, bold, width, text).

    ``QFontMetrics.elidedText`` is the costliest call of a caption; grids repeat the
    same few widths, and a tile is painted again on every hover, selection and arrival
    of its thumbnail. A different text or width is a different key, so a changed caption
    is elided afresh; the cache is dropped whole when it grows past ``max_size``.
    """

    def __init__(self, max_size: int = 20_000) -> None:
        self.max_size = max_size
        self._fonts: dict[tuple[str, bool], QFont] = {}
        self._elided: dict[tuple[str, bool, int, str], str] = {}

    def __len__(self) -> int:
        return len(self._elided)

    def font(self, base: QFont, bold: bool) -> tuple[str, QFont]:
        key = (base.key(), bold)
        font = self._fonts.get(key)
        if font is None:
            font = QFont(base)
            font.setBold(bold)
            self._fonts[key] = font
        return key[0], font

    def elided(self, painter: QPainter, base: QFont, text: str, width: int, bold: bool) -> str:
        """Sets the caption font on ``painter`` and returns ``text`` elided to ``width``."""
        font_key, font = self.font(base, bold)
        painter.setFont(font)
        key = (font_key, bold, width, text)
        out = self._elided.get(key)
        if out is None:
            if len(self._elided) >= self.max_size:
                self._elided.clear()
            out = painter.fontMetrics().elidedText(text, _ELIDE_MIDDLE, width)
            self._elided[key] = out
        return out


_captions = CaptionCache()


def paint_caption(
    painter: QPainter,
    option: QStyleOptionViewItem,
    rect: QRect,
    text: str,
    bold: bool = False,
    dim: bool = False,
    cache: CaptionCache = _captions,
) -> None:
    selected = is_selected(option)
    role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
    colour = option.palette.color(role)
    if dim and not selected:
        colour.setAlpha(150)
    painter.setPen(colour)
    elided = cache.elided(painter, option.font, text, rect.width(), bold)
    painter.drawText(rect, _CENTRED, elided)


def paint_badge(painter: QPainter, right_top: tuple[int, int], text: str, colour: QColor) -> int:
    """A rounded count badge ending at ``right_top``; returns its left x."""
    fm = painter.fontMetrics()
    w, h = fm.horizontalAdvance(text) + 10, fm.height() + 2
    rect = QRectF(right_top[0] - w, right_top[1], w, h)
    painter.setPen(_NO_PEN)
    painter.setBrush(colour)
    painter.drawRoundedRect(rect, h / 2, h / 2)
    painter.setPen(QColor("white"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    return int(rect.left())
