"""The People view's tile model keeps the crops it decoded across a reload (a people
action reloads the view): a tile whose cover face stays shows it at once, unfetched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool

from facedesk.qt.models.people_tile_model import PeopleTile, PeopleTileModel


def test_decoded_crops_survive_a_reload(qtbot: Any, testdata: Path) -> None:
    obama = (testdata / "real" / "face_recognition" / "obama.jpg").read_bytes()
    biden = (testdata / "real" / "face_recognition" / "biden.jpg").read_bytes()
    asked: list[list[str]] = []
    model = PeopleTileModel()

    def fetch(ids: Any) -> dict[str, bytes]:
        asked.append(list(ids))
        return {}

    model.set_fetch(fetch, QThreadPool.globalInstance())
    first = [
        PeopleTile("person", "obama", "Obama", (), 3, jpeg=obama, cover="f-obama"),
        PeopleTile("person", "biden", "Biden", (), 1, jpeg=biden, cover="f-biden"),
    ]
    model.set_tiles(first)
    role = Qt.ItemDataRole.DecorationRole
    shown = [model.index(r, 0).data(role) for r in range(2)]
    assert all(not p.isNull() and max(p.width(), p.height()) == 96 for p in shown)
    placeholder = model._placeholder
    assert all(p.cacheKey() != placeholder.cacheKey() for p in shown)

    # the reload after an action: Biden gained faces and moved first, Obama's tile is
    # listed without its crop (beyond the first screens' crops), a new person has none
    again = [
        PeopleTile("person", "biden", "Biden", (), 4, cover="f-biden"),
        PeopleTile("person", "obama", "Obama", (), 3, cover="f-obama"),
        PeopleTile("person", "new", "New", (), 1, cover="f-new"),
    ]
    model.set_tiles(again)
    after = [model.index(r, 0).data(role) for r in range(3)]
    assert after[0].cacheKey() == shown[1].cacheKey()  # Biden's crop, not fetched again
    assert after[1].cacheKey() == shown[0].cacheKey()
    assert after[2].cacheKey() == placeholder.cacheKey()  # unknown: fetched
    assert [t.jpeg for t in model.tiles()] == [biden, obama, None]  # the crops carried over
    qtbot.waitUntil(lambda: not model.fetching, timeout=5_000)
    assert asked == [["f-new"]]
