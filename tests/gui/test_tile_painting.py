"""Tile painting caches and the paced thumbnail loader (what keeps a page scroll cheap)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QListView, QStyleOptionViewItem

from facedesk.qt.delegates.face_tile_delegate import FaceTileDelegate
from facedesk.qt.delegates.tile_painter import PLACEHOLDER, CaptionCache, placeholder
from facedesk.qt.images import photo_source
from facedesk.qt.models.face_list_model import FaceListModel, FaceSource
from facedesk.qt.models.roles import ThumbnailRole
from facedesk.qt.workers.thumbnails import ThumbnailLoader
from tests.gui.conftest import GUI_PHOTOS, make_client


def _canvas() -> tuple[QImage, QPainter]:
    image = QImage(400, 40, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    return image, QPainter(image)


def test_caption_cache_elides_again_when_the_text_or_width_changes(qapp: Any) -> None:
    cache = CaptionCache()
    _image, painter = _canvas()  # the image must outlive the painter
    font = QFont(qapp.font())
    long_a = "photo_" + "a" * 80 + "_end.jpg"
    long_b = "photo_" + "b" * 80 + "_end.jpg"
    try:
        first = cache.elided(painter, font, long_a, 120, False)
        assert "…" in first and first.startswith("photo_") and first.endswith("end.jpg")
        assert cache.elided(painter, font, long_a, 120, False) == first
        assert len(cache) == 1
        other = cache.elided(painter, font, long_b, 120, False)  # the caption changed
        assert other != first and "b" in other and "a" not in other.replace("photo_", "")
        wider = cache.elided(painter, font, long_a, 300, False)
        assert len(wider) > len(first)
        bold = cache.elided(painter, font, long_a, 120, True)
        assert painter.font().bold()  # the caption's font is set on the painter
        assert len(bold) <= len(first)
        assert cache.elided(painter, font, "short.jpg", 120, False) == "short.jpg"
        assert len(cache) == 5
    finally:
        painter.end()


def test_caption_cache_stays_bounded(qapp: Any) -> None:
    cache = CaptionCache(max_size=8)
    _image, painter = _canvas()  # the image must outlive the painter
    try:
        for i in range(20):
            assert cache.elided(painter, qapp.font(), f"photo_{i}.jpg", 200, False) == (
                f"photo_{i}.jpg"
            )
            assert len(cache) <= 8
    finally:
        painter.end()


def test_placeholder_pixmap_is_the_rounded_grey_square(qapp: Any) -> None:
    pm = placeholder(112, 112)
    assert placeholder(112, 112) is pm  # drawn once per size
    img = pm.toImage()
    centre = img.pixelColor(56, 56)
    assert (centre.red(), centre.alpha()) == (PLACEHOLDER.red(), PLACEHOLDER.alpha())
    assert img.pixelColor(0, 0).alpha() == 0  # rounded corner
    assert placeholder(96, 96).width() == 96


def test_loader_hands_out_at_most_max_threads_loads_and_loads_them_all(
    qtbot: Any, testdata: Path
) -> None:
    loader = ThumbnailLoader(max_threads=2, cache_size=100)
    paths = [str(testdata / "real" / p) for p in GUI_PHOTOS]
    keys = [f"photo:{i}" for i in range(len(paths))]
    made: list[str] = []
    arrived: list[str] = []
    loader.thumbnail_loaded.connect(arrived.append)
    peak = 0

    def track(key: str) -> None:
        nonlocal peak
        peak = max(peak, loader.in_flight)

    loader.thumbnail_loaded.connect(track)
    try:
        for key, path in zip(keys, paths, strict=True):

            def make(path: str = path, key: str = key) -> Any:
                made.append(key)
                return photo_source(path)

            assert loader.pixmap_lazy(key, make) is None
            assert loader.pixmap_lazy(key, make) is None  # asked twice, queued once
        assert made == keys
        assert loader.in_flight == 0  # nothing starts inside the caller (a paint)
        with qtbot.waitSignal(loader.idled, timeout=30_000):
            pass
        assert sorted(arrived) == sorted(keys)
        assert 1 <= peak <= 2
        for key in keys:
            pm = loader.pixmap_lazy(key, lambda: pytest.fail("a cached key builds no source"))
            assert pm is not None and not pm.isNull()
    finally:
        loader.shutdown()


def test_loader_clear_drops_loads_not_yet_started(qtbot: Any, testdata: Path) -> None:
    loader = ThumbnailLoader(max_threads=1, cache_size=100)
    path = str(testdata / "real" / GUI_PHOTOS[0])
    try:
        for i in range(5):
            loader.pixmap(f"k{i}", photo_source(path))
        loader.clear()
        assert loader.pending == 0
        qtbot.wait(200)
        assert loader.in_flight == 0
        # queued-then-cleared keys load again when asked again
        with qtbot.waitSignal(loader.thumbnail_loaded, timeout=30_000) as got:
            loader.pixmap("k3", photo_source(path))
        assert got.args == ["k3"]
    finally:
        loader.shutdown()


def test_a_thumbnail_that_arrives_later_is_painted(qtbot: Any, indexed_db: Path) -> None:
    """The face grid paints the placeholder, then the crop once the loader has it."""
    client = make_client(indexed_db)
    loader = ThumbnailLoader(max_threads=2)
    model = FaceListModel(loader)
    view = QListView()
    qtbot.addWidget(view)
    delegate = FaceTileDelegate(parent=view)
    try:
        source = FaceSource(client.library, "gui")
        model.show_listing(source, source.listing(model.query))
        assert model.rowCount() > 0
        index = model.index(0)

        def paint_tile() -> QImage:
            image = QImage(124, 160, QImage.Format.Format_ARGB32_Premultiplied)
            image.fill(QColor("white"))
            painter = QPainter(image)
            option = QStyleOptionViewItem()
            option.initFrom(view)
            option.rect = QRect(0, 0, 124, 160)
            delegate.paint(painter, option, index)
            painter.end()
            return image

        changed: list[QModelIndex] = []
        model.dataChanged.connect(lambda first, _last, _roles: changed.append(first))
        before = paint_tile()  # asks for the thumbnail
        with qtbot.waitSignal(loader.thumbnail_loaded, timeout=30_000):
            pass
        qtbot.waitUntil(lambda: any(i.row() == 0 for i in changed), timeout=5_000)
        assert index.data(ThumbnailRole) is not None
        after = paint_tile()
        centre = (62, 6 + 56)
        grey = before.pixelColor(*centre)
        assert grey != QColor("white") and grey.red() == grey.green() == grey.blue()
        assert after.pixelColor(*centre) != grey  # the crop replaced the placeholder
        caption = QRect(4, 6 + 112 + 3, 116, 16)
        assert _same(before, after, caption)  # only the picture changed
    finally:
        model.shutdown()
        loader.shutdown()
        client.close()


def _same(a: QImage, b: QImage, rect: QRect) -> bool:
    return all(
        a.pixel(x, y) == b.pixel(x, y)
        for x in range(rect.left(), rect.right() + 1)
        for y in range(rect.top(), rect.bottom() + 1)
    )


def test_face_model_builds_no_thumbnail_source_for_a_cached_face(
    qtbot: Any, indexed_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(indexed_db)
    loader = ThumbnailLoader(max_threads=1)
    model = FaceListModel(loader)
    try:
        source = FaceSource(client.library, "gui")
        model.show_listing(source, source.listing(model.query))
        index = model.index(0)
        assert index.data(ThumbnailRole) is None
        qtbot.waitUntil(lambda: loader.pending == 0, timeout=30_000)
        built: list[object] = []
        original = model._thumbnail_source
        monkeypatch.setattr(model, "_thumbnail_source", lambda f: built.append(f) or original(f))
        for _ in range(3):
            assert index.data(ThumbnailRole) is not None
        assert built == []
        assert model.index(0).data(Qt.ItemDataRole.DisplayRole)  # other roles unchanged
    finally:
        model.shutdown()
        loader.shutdown()
        client.close()
