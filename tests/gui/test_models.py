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


def test_the_latest_reload_and_query_win(qtbot: Any, indexed_db: Path) -> None:
    """Reloads and face queries asked for in a row: only the last one's rows are shown,
    the older ones are cancelled in their TaskSlot and never arrive."""
    from facedesk.qt.models.face_list_model import FaceQuery

    client = make_client(indexed_db)
    controller = MainController(client)
    try:
        with qtbot.waitSignal(controller.collection_loaded, timeout=20_000):
            controller.refresh_collections(select="gui")
        everyone = controller.faces.total()
        loaded: list[str] = []
        controller.collection_loaded.connect(loaded.append)
        for _ in range(3):  # no events run in between: the first two are superseded
            controller.reload_collection()
        qtbot.waitUntil(lambda: not controller.busy, timeout=20_000)
        qtbot.wait(50)
        assert loaded == ["gui"]
        assert controller.faces.rowCount() == everyone and controller.photos.rowCount() == 4

        shown: list[FaceQuery] = []
        controller.faces.query_loaded.connect(lambda q, _n: shown.append(q))
        controller.faces.set_name_filter("o")
        controller.faces.set_name_filter("ob")
        controller.faces.set_name_filter("obama")
        qtbot.waitUntil(lambda: not controller.faces.loading, timeout=20_000)
        qtbot.wait(50)
        assert shown == [FaceQuery(name_contains="obama")]
        assert {f.external_image_id for f in controller.faces.faces()} == {"obama.jpg"}
    finally:
        controller.shutdown()
        client.close()
