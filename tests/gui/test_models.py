"""Every model and proxy passes qtmodeltester with real indexed data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex

from facedesk.qt.controller import MainController
from facedesk.qt.models.face_list_model import BATCH
from facedesk.qt.models.filter_proxies import FaceFilterProxy, PhotoFilterProxy
from facedesk.qt.models.roles import FaceCountRole, IdRole
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
        photo_proxy.set_sort_key("faces")
        qtmodeltester.check(photo_proxy, force_py=True)
        counts = [photo_proxy.index(r, 0).data(FaceCountRole) for r in range(4)]
        assert counts == sorted(counts, reverse=True)
        face_proxy = FaceFilterProxy()
        face_proxy.setSourceModel(controller.faces)
        first = controller.faces.index(0).data(IdRole)
        face_proxy.set_face_ids(frozenset({first}))
        qtmodeltester.check(face_proxy, force_py=True)
        assert face_proxy.rowCount() == 1
    finally:
        controller.shutdown()
        client.close()


def test_face_model_fetches_in_batches(qtbot: Any, qtmodeltester: Any, indexed_db: Path) -> None:
    from dataclasses import replace

    from facedesk.qt.models.face_list_model import FaceListModel
    from facedesk.qt.workers.thumbnails import ThumbnailLoader

    client = make_client(indexed_db)
    try:
        base = client.library.faces("gui")
        many = [
            replace(base[i % len(base)], face_id=f"{i:08d}-0000-5000-8000-000000000000")
            for i in range(BATCH * 2 + 7)
        ]
        loader = ThumbnailLoader()
        model = FaceListModel(loader)
        model.set_faces(many, client.library.face_thumbnail, lambda _i: None)
        assert model.rowCount() == BATCH
        assert model.canFetchMore(QModelIndex())
        qtmodeltester.check(model, force_py=True)
        model.fetch_all()
        assert model.rowCount() == len(many)
        assert not model.canFetchMore(QModelIndex())
        loader.shutdown()
    finally:
        client.close()
