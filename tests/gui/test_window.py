"""The main window on real photos: drop to index, viewer overlays, search, people, delete."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from facedesk.qt.models.roles import ExternalIdRole, IdRole
from tests.gui.conftest import make_client, wait_idle


def drop_on(widget: Any, pos: QPointF, paths: list[Path]) -> None:
    """The event sequence a real drag delivers: enter, move, drop."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    for kind in (QDragEnterEvent, QDragMoveEvent, QDropEvent):
        try:  # Qt >= 6.12 takes QPointF for every drag event; older ones QPoint for enter/move
            event = kind(pos, *args)
        except TypeError:
            event = kind(pos.toPoint(), *args)
        QApplication.sendEvent(widget, event)
        assert event.isAccepted(), kind.__name__


def new_library(tmp_path: Path, *collections: str) -> Path:
    db = tmp_path / "lib.db"
    client = make_client(db)
    for cid in collections:
        client.create_collection(CollectionId=cid)
    client.close()
    return db


def test_first_run_shows_drop_screen(make_window: Any, tmp_path: Path) -> None:
    window = make_window(new_library(tmp_path))
    assert window.stack.currentWidget() is window.welcome
    assert "Drop photos here" in window.welcome.drop.text()


def test_drop_two_photos_on_a_collection_indexes_them(
    make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path
) -> None:
    db = new_library(tmp_path, "aaa", "family")
    window = make_window(db, "aaa")
    c = window.controller
    view = window.collection_panel.list
    family = c.collections.index(c.collections.row_of("family"))
    pos = QPointF(view.visualRect(family).center())
    photos = [
        testdata / "real/face_recognition/obama.jpg",
        testdata / "real/face_recognition/two_people.jpg",
    ]
    with qtbot.waitSignal(c.indexing_finished, timeout=120_000) as finished:
        drop_on(view.viewport(), pos, photos)
    outcome = finished.args[0]
    assert outcome.collection_id == "family" and not outcome.cancelled
    results = c.results.results()
    # Analysis runs in parallel: results arrive in completion order.
    assert sorted(Path(r.path).name for r in results) == ["obama.jpg", "two_people.jpg"]
    assert all(r.status == "indexed" for r in results)
    # dropped on "family" while "aaa" was shown: now show family and check its models
    with qtbot.waitSignal(c.collection_loaded, timeout=20_000):
        window.collection_panel.show_collection("family")
    wait_idle(qtbot, window)
    names = sorted(c.photos.index(r).data(ExternalIdRole) for r in range(c.photos.rowCount()))
    assert names == ["obama.jpg", "two_people.jpg"]
    assert c.faces.total() == sum(r.indexed for r in results) >= 3
    by_image = {i.external_image_id: i.face_count for i in c.photos.images()}
    assert by_image == {Path(r.path).name: r.indexed for r in results}
    assert {f.external_image_id for f in c.faces.faces()} == {"obama.jpg", "two_people.jpg"}
    info = c.collections.collections()[c.collections.row_of("family")]
    assert info.face_count == c.faces.total()
    assert window.stack.currentWidget() is window.tabs
    # the faces grid loads every visible crop off the UI thread
    window.show_view("faces")
    qtbot.waitUntil(
        lambda: all(
            c.thumbnails.peek(f"face:family:{f.face_id}") is not None for f in c.faces.faces()
        ),
        timeout=20_000,
    )


@pytest.fixture(scope="module")
def bald_db(tmp_path_factory: pytest.TempPathFactory, testdata: Path) -> Path:
    from facedesk.service.indexing import IndexOptions

    db = tmp_path_factory.mktemp("bald") / "bald.db"
    client = make_client(db)
    client.create_collection(CollectionId="bald")
    events = list(
        client.library.iter_index_files(
            "bald", [testdata / "real/dlib/bald_guys.jpg"], IndexOptions(quality_filter="NONE")
        )
    )
    assert events[-1].result.status == "indexed"
    client.close()
    return db


def test_viewer_draws_every_face_of_the_record(make_window: Any, qtbot: Any, bald_db: Path) -> None:
    window = make_window(bald_db, "bald")
    c = window.controller
    summary = c.photos.images()[0]
    record = c.library.index_record("bald", summary.image_id, summary.external_image_id)
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.photos_view.list.activated.emit(window.photos_view.proxy.index(0, 0))
    boxes = window.viewer.box_items()
    assert len(boxes) == record.face_count + record.unindexed_count
    assert len(boxes) >= 20  # the photo holds 24 faces; NONE keeps every one found
    assert sum(b.face.indexed for b in boxes) == record.face_count
    n_landmarks = sum(
        len(r["FaceDetail"].get("Landmarks", [])) for r in record.response["FaceRecords"]
    )
    n_landmarks += sum(
        len(u["FaceDetail"].get("Landmarks", [])) for u in record.response.get("UnindexedFaces", [])
    )
    assert len(window.viewer.landmark_items()) == n_landmarks == 30 * len(boxes)
    assert window.viewer._pixmap_item is not None and window.viewer.message.isHidden()
    # Space toggles the overlays
    window.show_view("viewer")
    window.action_map["toggle_overlays"].trigger()
    assert not any(b.isVisible() for b in boxes)
    window.action_map["toggle_overlays"].trigger()
    assert all(b.isVisible() for b in boxes)
    # clicking a box fills the inspector with that face
    window.viewer.scene.face_clicked.emit(boxes[0].face)
    assert boxes[0].face.face_id in window.inspector.json_view.toPlainText()
    assert window.inspector.quality.topLevelItemCount() >= 6


def test_viewer_on_missing_file_draws_boxes_on_blank_canvas(
    make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path
) -> None:
    from facedesk.service.indexing import IndexOptions

    photo = tmp_path / "gone.jpg"
    shutil.copy(testdata / "real/dlib/2008_002079.jpg", photo)
    db = new_library(tmp_path, "c")
    client = make_client(db)
    list(client.library.iter_index_files("c", [photo], IndexOptions()))
    client.close()
    photo.unlink()
    window = make_window(db, "c")
    item = window.controller.photos.images()[0]
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.controller.open_photo(item.image_id, item.external_image_id)
    assert not window.viewer.message.isHidden()
    assert "not available" in window.viewer.message.text()
    boxes = window.viewer.box_items()
    assert len(boxes) == item.face_count + item.unindexed_count > 0
    unindexed = [b for b in boxes if not b.face.indexed]
    assert unindexed and all(b.face.reasons for b in unindexed)
    assert all(b.face.measurement.get("thresholds") for b in unindexed)


def test_search_by_photo_finds_obama(
    make_window: Any, qtbot: Any, indexed_db: Path, testdata: Path
) -> None:
    window = make_window(indexed_db, "gui")
    c = window.controller
    with qtbot.waitSignal(c.search_finished, timeout=60_000) as done:
        window.search_panel.search(str(testdata / "real/face_recognition/obama2.jpg"))
    doc = done.args[0]
    assert doc.searched_box is not None
    top = c.matches.index(0)
    assert "obama" in str(top.data(ExternalIdRole))
    assert c.matches.matches()[0].similarity >= 80
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.search_panel.list.activated.emit(top)
    assert window.viewer.document is not None
    assert "obama" in str(window.viewer.document.summary.external_image_id)
    wait_idle(qtbot, window)


def test_people_name_assign_list_and_open(
    make_window: Any, qtbot: Any, copied_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(copied_db, "gui")
    c = window.controller
    window.show_view("faces")
    obama = [f.face_id for f in c.faces.faces() if f.external_image_id == "obama.jpg"]
    assert len(obama) == 1
    monkeypatch.setattr(
        "facedesk.qt.commands.QInputDialog.getText", lambda *a, **k: ("Barack Obama", True)
    )
    window.faces_view.select_face(obama[0])
    # the window's first people refresh may still land; wait for the state, not a signal
    wait_idle(qtbot, window)
    window.action_map["new_person"].trigger()
    qtbot.waitUntil(lambda: bool(c.people.people()) and not c.busy, timeout=20_000)
    people = c.people.people()
    # The name is kept as typed; the UserId is derived from it (it was "Barack-Obama").
    assert [(p.user_id, p.display_name, p.face_count) for p in people] == [
        ("Barack_Obama", "Barack Obama", 1)
    ]
    with qtbot.waitSignal(c.person_opened, timeout=20_000):
        window.people_panel.list.activated.emit(c.people.index(0))
    assert c.faces.rowCount() == 1
    assert c.faces.index(0).data(IdRole) == obama[0]
    assert next(f for f in c.faces.faces() if f.face_id == obama[0]).user_id == "Barack_Obama"
    wait_idle(qtbot, window)


def test_delete_selected_faces_after_confirmation(
    make_window: Any, qtbot: Any, copied_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(copied_db, "gui")
    c = window.controller
    window.show_view("faces")
    before = c.faces.total()
    asked: list[str] = []

    def answer(*args: Any, **kw: Any) -> QMessageBox.StandardButton:
        asked.append(args[2])
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr("facedesk.qt.commands.QMessageBox.question", answer)
    window.faces_view.list.selectAll()
    n = len(window.faces_view.selected_face_ids())
    assert n == before
    window.faces_view.list.clearSelection()
    selection = window.faces_view.list.selectionModel()
    for row in (0, 1):
        selection.select(c.faces.index(row), selection.SelectionFlag.Select)
    with qtbot.waitSignal(c.collection_loaded, timeout=20_000):
        window.action_map["delete_faces"].trigger()
    assert asked and "Delete 2 faces" in asked[0]
    assert c.faces.total() == before - 2
    wait_idle(qtbot, window)
