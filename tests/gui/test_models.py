"""Every model and proxy passes qtmodeltester with real indexed data (the face grid's
paging: test_face_paging.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facedesk.qt.controller import MainController
from facedesk.qt.models.filter_proxies import PhotoFilterProxy
from facedesk.qt.models.roles import FaceCountRole
from tests.gui.conftest import make_client


def test_models_pass_modeltester(qtbot: Any, qtmodeltester: Any, indexed_db: Path) -> None:
    client = make_client(indexed_db)
    controller = MainController(client)
    try:
        with qtbot.waitSignal(controller.collection_loaded, timeout=20_000):
            controller.refresh_collections(select="gui")
        assert controller.photos.rowCount() == 4
        assert controller.faces.rowCount() > 0
        with qtbot.waitSignal(controller.search_finished, timeout=60_000):
            controller.search_by_photo(str(Path(controller.photos.images()[0].source_path)))
        # before the checks: one tester watching a model and its proxy would see two resets
        with qtbot.waitSignal(controller.photos.modelReset, timeout=20_000):
            controller.photos.set_sort_key("faces")  # storage orders the photos
        from facedesk.core.types import UserInfo
        from facedesk.qt.models.person_list_model import PersonListModel

        people = PersonListModel()
        people.set_people([UserInfo("gui", "ann", face_count=2), UserInfo("gui", "bob")])
        for model in (
            controller.collections,
            controller.photos,
            controller.faces,
            controller.matches,
            controller.results,
            people,
        ):
            qtmodeltester.check(model, force_py=True)
        photo_proxy = PhotoFilterProxy()
        photo_proxy.setSourceModel(controller.photos)
        qtmodeltester.check(photo_proxy, force_py=True)
        counts = [photo_proxy.index(r, 0).data(FaceCountRole) for r in range(4)]
        assert counts == sorted(counts, reverse=True)
        photo_proxy.setFilterFixedString("OBAMA")
        assert [photo_proxy.index(r, 0).data() for r in range(photo_proxy.rowCount())] == [
            "obama.jpg"
        ]
    finally:
        controller.shutdown()
        client.close()
