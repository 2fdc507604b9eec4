"""The face grid pages through storage: every face arrives in grid order as the view scrolls,
deletes keep the paging right, and the filters and the person filter see faces that are not
loaded yet. Real SQLite; the collection is 1061 synthetic rows (conftest.fill_collection)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QMessageBox

from facedesk.core.types import StoredFace
from facedesk.qt.controller import MainController
from facedesk.qt.models.face_list_model import BATCH, FaceListModel
from facedesk.qt.models.roles import ExternalIdRole
from tests.gui.conftest import FACES_PER_PHOTO, MANY_FACES, client_of, make_client, wait_idle


def fetch_everything(qtbot: Any, model: FaceListModel) -> None:
    while model.canFetchMore(QModelIndex()):
        with qtbot.waitSignal(model.rowsInserted, timeout=20_000):
            model.fetchMore(QModelIndex())


def assert_grid_order(faces: list[StoredFace]) -> None:
    """Photo by photo (each photo's faces together), largest face first within a photo."""
    photos = [(f.image_id, f.external_image_id) for f in faces]
    runs = [p for i, p in enumerate(photos) if i == 0 or photos[i - 1] != p]
    assert len(runs) == len(set(runs)), "a photo's faces are split across the grid"
    for a, b in pairwise(faces):
        if (a.image_id, a.external_image_id) == (b.image_id, b.external_image_id):
            assert a.bounding_box.area >= b.bounding_box.area


def test_grid_shows_one_page_then_every_face_in_grid_order(
    qtbot: Any, qtmodeltester: Any, many_faces_db: Path
) -> None:
    client = make_client(many_faces_db)
    controller = MainController(client)
    try:
        with qtbot.waitSignal(controller.collection_loaded, timeout=20_000):
            controller.refresh_collections(select="many")
        model = controller.faces
        assert model.rowCount() == BATCH
        assert model.total() == model.match_count() == MANY_FACES
        assert model.canFetchMore(QModelIndex())
        qtmodeltester.check(model, force_py=True)  # also watches the inserts that follow
        fetch_everything(qtbot, model)
        assert model.rowCount() == MANY_FACES
        assert not model.canFetchMore(QModelIndex())
        shown = model.faces()
        assert [f.face_id for f in shown] == [f.face_id for f in client.library.faces("many")]
        assert len({f.face_id for f in shown}) == MANY_FACES
        assert_grid_order(shown)
        assert model.row_of(shown[777].face_id) == 777
        wait_idle_controller(qtbot, controller)
    finally:
        controller.shutdown()
        client.close()


def wait_idle_controller(qtbot: Any, controller: MainController) -> None:
    qtbot.waitUntil(lambda: not controller.busy, timeout=20_000)


def test_scrolling_the_view_pages_in_the_rest(
    make_window: Any, qtbot: Any, many_faces_db: Path
) -> None:
    window = make_window(many_faces_db, "many")
    window.show_view("faces")
    c, view = window.controller, window.faces_view.list
    assert window.faces_view.count_label.text() == f"{MANY_FACES} faces"

    def scrolled_to_the_end() -> bool:
        # as a user does: scroll down again once the batched layout has grown the list
        view.scrollToBottom()
        return bool(c.faces.rowCount() == MANY_FACES)

    qtbot.waitUntil(scrolled_to_the_end, timeout=30_000)
    assert not c.faces.canFetchMore(QModelIndex())
    wait_idle(qtbot, window)


def test_name_filter_and_person_see_faces_beyond_the_first_page(
    make_window: Any, qtbot: Any, many_faces_copy: Path
) -> None:
    window = make_window(many_faces_copy, "many")
    c, fv = window.controller, window.faces_view
    everyone = c.library.faces("many")
    # a photo whose faces all sit past the first page
    late = next(f.external_image_id for f in everyone[BATCH + 100 :])
    expected = [f.face_id for f in everyone if f.external_image_id == late]
    assert all(everyone.index(f) >= BATCH for f in everyone if f.face_id in expected)
    with qtbot.waitSignal(c.faces.query_loaded, timeout=20_000):
        fv.filter_edit.setText(late.upper().removesuffix(".JPG"))  # any case, a part
    assert [f.face_id for f in c.faces.faces()] == expected
    assert fv.count_label.text() == f"{len(expected)} of {MANY_FACES} faces"
    assert all(c.faces.index(r).data(ExternalIdRole) == late for r in range(c.faces.rowCount()))
    # LIKE's wildcards are plain characters here
    with qtbot.waitSignal(c.faces.query_loaded, timeout=20_000):
        fv.filter_edit.setText("photo%0")
    assert c.faces.rowCount() == 0
    with qtbot.waitSignal(c.faces.query_loaded, timeout=20_000):
        fv.filter_edit.setText("")
    assert c.faces.rowCount() == BATCH
    assert fv.count_label.text() == f"{MANY_FACES} faces"

    picked = [everyone[i].face_id for i in (600, 900, MANY_FACES - 1)]
    client = client_of(window)
    client.create_user(CollectionId="many", UserId="ann")
    client.associate_faces(CollectionId="many", UserId="ann", FaceIds=picked)
    with qtbot.waitSignal(c.person_opened, timeout=20_000) as opened:
        c.open_person("ann")
    assert opened.args == ["ann", 3]
    assert [f.face_id for f in c.faces.faces()] == picked  # grid order
    assert all(f.user_id == "ann" for f in c.faces.faces())
    assert fv.person_label.isVisibleTo(window) and "ann: 3 faces" in fv.person_label.text()
    assert window.current_view() == "faces"
    # a name filter narrows the person's faces further
    with qtbot.waitSignal(c.faces.query_loaded, timeout=20_000):
        fv.filter_edit.setText(everyone[900].external_image_id or "")
    assert [f.face_id for f in c.faces.faces()] == [picked[1]]
    with qtbot.waitSignal(c.faces.query_loaded, timeout=20_000):
        fv.filter_edit.setText("")
    with qtbot.waitSignal(c.person_opened, timeout=20_000):
        fv.show_all_button.click()
    assert c.faces.rowCount() == BATCH and not fv.person_label.isVisibleTo(window)
    wait_idle(qtbot, window)


def test_deleting_faces_mid_way_keeps_the_rows_and_the_pages_right(
    make_window: Any, qtbot: Any, many_faces_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(many_faces_copy, "many")
    c, fv = window.controller, window.faces_view
    window.show_view("faces")
    model = c.faces
    with qtbot.waitSignal(model.rowsInserted, timeout=20_000):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * BATCH
    loaded = [f.face_id for f in model.faces()]
    # another client deletes a face the grid has not loaded yet
    not_loaded = c.library.faces("many")[2 * BATCH + 3].face_id
    with make_client(many_faces_copy) as other:
        other.delete_faces(CollectionId="many", FaceIds=[not_loaded])
    # the user deletes three loaded faces, one of them the last row loaded (the cursor)
    gone = [loaded[10], loaded[11], loaded[-1]]
    selection = fv.list.selectionModel()
    for row in (10, 11, 2 * BATCH - 1):
        selection.select(model.index(row), selection.SelectionFlag.Select)
    monkeypatch.setattr(
        "facedesk.qt.commands.QMessageBox.question",
        lambda *a, **k: QMessageBox.StandardButton.Yes,
    )
    with qtbot.waitSignal(c.faces_deleted, timeout=20_000):
        window.action_map["delete_faces"].trigger()
    assert [f.face_id for f in model.faces()] == [f for f in loaded if f not in gone]
    assert model.total() == MANY_FACES - 3  # the other client's delete is not known yet
    fetch_everything(qtbot, model)
    remaining = [f.face_id for f in c.library.faces("many")]
    assert len(remaining) == MANY_FACES - 4
    assert [f.face_id for f in model.faces()] == remaining
    wait_idle(qtbot, window)
    assert fv.count_label.text() == f"{MANY_FACES - 3} faces"
    # the photo list was reloaded with the new face counts
    assert sum(p.face_count for p in c.photos.images()) == MANY_FACES - 4


def test_select_face_pages_in_until_the_face_is_there(
    make_window: Any, qtbot: Any, many_faces_db: Path
) -> None:
    window = make_window(many_faces_db, "many")
    window.show_view("faces")
    target = window.controller.library.faces("many")[900].face_id
    window.faces_view.select_face(target)
    qtbot.waitUntil(lambda: window.faces_view.selected_face_ids() == [target], timeout=20_000)
    assert window.faces_view.list.currentIndex().row() == 900
    wait_idle(qtbot, window)


def test_photo_list_shows_a_page_then_streams_the_rest_in_order(
    make_window: Any, qtbot: Any, many_faces_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("facedesk.qt.models.photo_list_model.FIRST_PAGE", 50)
    monkeypatch.setattr("facedesk.qt.models.photo_list_model.PAGE", 30)
    window = make_window(many_faces_db, "many")
    c, pv = window.controller, window.photos_view
    n_photos = -(-MANY_FACES // FACES_PER_PHOTO)
    assert c.photos.rowCount() >= 50
    wait_idle(qtbot, window)
    assert c.photos.rowCount() == n_photos

    def shown() -> list[str]:
        return [pv.proxy.index(r, 0).data(ExternalIdRole) for r in range(pv.proxy.rowCount())]

    assert shown() == sorted(f"photo_{k:04d}.jpg" for k in range(n_photos))
    assert sum(p.face_count for p in c.photos.images()) == MANY_FACES
    assert pv.count_label.text() == f"{n_photos} photos"
    # another order comes from storage, streamed the same way
    with qtbot.waitSignal(c.photos.modelReset, timeout=20_000):
        pv.sort_combo.setCurrentIndex(pv.sort_combo.findData("faces"))
    wait_idle(qtbot, window)
    counts = [p.face_count for p in c.photos.images()]
    assert len(counts) == n_photos and counts == sorted(counts, reverse=True)
    assert counts[-1] == MANY_FACES % FACES_PER_PHOTO  # the one short photo comes last
    pv.filter_edit.setText("PHOTO_020")
    assert sorted(shown()) == [f"photo_{k:04d}.jpg" for k in range(200, 210) if k < n_photos]


def test_a_page_brings_its_thumbnails_in_one_query(
    indexed_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facedesk.qt.models.face_list_model import FaceQuery, FaceSource

    client = make_client(indexed_db)
    try:
        lib = client.library
        stored = lib.face_thumbnail
        one_by_one: list[str] = []
        monkeypatch.setattr(
            lib, "face_thumbnail", lambda cid, fid: one_by_one.append(fid) or stored(cid, fid)
        )
        source = FaceSource(lib, "gui")
        faces, _cursor = source.page(FaceQuery(), None)
        assert len(faces) >= 3
        for face in faces:
            data = source.thumbnail(face.face_id)
            assert data is not None and data == stored("gui", face.face_id)
        assert one_by_one == []  # every picture came with its page
        # Handed out once: asked again (its pixmap left the cache), it is read on its own.
        assert source.thumbnail(faces[0].face_id) == stored("gui", faces[0].face_id)
        assert one_by_one == [faces[0].face_id]
    finally:
        client.close()
