"""Browsing as people expect: docks reachable from View, honest status, state kept across runs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QMimeData, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from facedesk.qt.models.file_result_model import summary_text
from facedesk.qt.models.roles import IdRole, ItemRole, SubtitleRole
from tests.gui.conftest import make_client, wait_idle


def _library(tmp_path: Path, *collections: str) -> Path:
    db = tmp_path / "lib.db"
    client = make_client(db)
    for cid in collections:
        client.create_collection(CollectionId=cid)
    client.close()
    return db


def test_view_menu_brings_back_every_closed_dock(make_window: Any, tmp_path: Path) -> None:
    window = make_window(_library(tmp_path, "c"), "c")
    docks = [
        window.collections_dock,
        window.inspector_dock,
        window.search_dock,
        window.people_dock,
        window.indexing_dock,
    ]
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    listed = {a.objectName() for a in view_menu.actions()}
    for dock in docks:
        dock.close()
        assert not dock.isVisible()
        action_name = f"show_dock_{dock.objectName()}"
        assert action_name in listed
        next(a for a in view_menu.actions() if a.objectName() == action_name).trigger()
        assert dock.isVisible(), dock.windowTitle()


def test_summary_counts_files_by_outcome() -> None:
    totals = {
        "files": 9,
        "indexed_files": 4,
        "indexed": 7,
        "unindexed": 1,
        "errors": 5,
        "unchanged": 0,
    }
    assert summary_text(totals, False) == "4 files indexed, 5 failed (7 faces indexed, 1 not)"
    totals |= {"files": 3, "indexed_files": 1, "indexed": 1, "unindexed": 0, "errors": 0}
    totals["unchanged"] = 2
    assert summary_text(totals, True) == "Cancelled: 1 file indexed, 2 unchanged (1 face indexed)"


def test_status_bar_reports_failed_and_unchanged_files(
    make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path
) -> None:
    window = make_window(_library(tmp_path, "c"), "c")
    c = window.controller
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(testdata / "real/face_recognition/obama.jpg", photos / "obama.jpg")
    shutil.copy(testdata / "derived/not_an_image.jpg", photos / "broken.jpg")
    messages: list[str] = []
    c.status_posted.connect(messages.append)
    with qtbot.waitSignal(c.indexing_finished, timeout=120_000):
        window.commands.index_paths([str(photos)])
    assert messages[-1] == "1 file indexed, 1 failed (1 face indexed)"
    wait_idle(qtbot, window)
    with qtbot.waitSignal(c.indexing_finished, timeout=120_000):
        window.commands.index_paths([str(photos)])
    assert messages[-1] == "0 files indexed, 1 unchanged, 1 failed (0 faces indexed)"
    assert window.indexing_panel.label.text().startswith(messages[-1])


def test_collection_view_sort_and_filter_come_back_next_start(
    make_window: Any, qtbot: Any, tmp_path: Path, settings: Any
) -> None:
    db = _library(tmp_path, "aaa", "family")
    first = make_window(db)
    assert first.controller.current_collection == "aaa"
    with qtbot.waitSignal(first.controller.collection_loaded, timeout=20_000):
        first.collection_panel.show_collection("family")
    first.photos_view.sort_combo.setCurrentIndex(first.photos_view.sort_combo.findData("faces"))
    first.photos_view.filter_edit.setText("beach")
    first.show_view("faces")
    first.close()

    again = make_window(db, first.initial_collection(None))
    assert again.controller.current_collection == "family"
    assert again.photos_view.sort_combo.currentData() == "faces"
    assert again.controller.photos.sort_key == "faces"
    assert again.photos_view.filter_edit.text() == "beach"
    # the collection named on the command line wins over the remembered one
    assert again.initial_collection("aaa") == "aaa"


def test_previous_and_next_follow_the_grid_order(
    make_window: Any, qtbot: Any, copied_db: Path
) -> None:
    window = make_window(copied_db, "gui")
    wait_idle(qtbot, window)
    proxy = window.photos_view.proxy
    order = [proxy.index(r, 0).data(ItemRole).external_image_id for r in range(proxy.rowCount())]
    assert len(order) >= 3
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.photos_view.list.activated.emit(proxy.index(0, 0))

    def shown() -> str:
        doc = window.viewer.document
        return "" if doc is None else str(doc.summary.external_image_id)

    assert shown() == order[0]
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.action_map["next_photo"].trigger()
    assert shown() == order[1]
    assert window.photos_view.list.currentIndex().row() == 1
    # the viewer's own arrow key and button step too
    window.viewer.view.fit()
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        QTest.keyClick(window.viewer.view, Qt.Key.Key_Right)
    assert shown() == order[2]
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.viewer.previous_button.click()
    assert shown() == order[1]
    # stepping before the first photo stays put and says so
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.action_map["previous_photo"].trigger()
    window.action_map["previous_photo"].trigger()
    assert shown() == order[0]
    assert window.statusBar().currentMessage() == "First photo"
    wait_idle(qtbot, window)


def test_inspector_follows_photo_changes_and_deletes(
    make_window: Any, qtbot: Any, copied_db: Path, monkeypatch: Any
) -> None:
    window = make_window(copied_db, "gui")
    wait_idle(qtbot, window)
    proxy = window.photos_view.proxy
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.photos_view.list.activated.emit(proxy.index(0, 0))
    face = window.viewer.box_items()[0].face
    window.viewer.scene.face_clicked.emit(face)
    assert window.inspector.shown_face_id == face.face_id
    # another photo: the last photo's face is not shown any more
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.action_map["next_photo"].trigger()
    assert window.inspector.shown_face_id == ""
    assert window.inspector.json_view.toPlainText() == ""
    # a face picked in the grid, then deleted: the inspector empties
    window.show_view("faces")
    first = window.controller.faces.index(0)
    window.faces_view.list.selectionModel().select(
        first, QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    picked = str(first.data(IdRole))
    assert window.inspector.shown_face_id == picked
    monkeypatch.setattr(
        "facedesk.qt.commands.QMessageBox.question",
        lambda *a, **k: QMessageBox.StandardButton.Yes,
    )
    with qtbot.waitSignal(window.controller.faces_deleted, timeout=20_000) as deleted:
        window.action_map["delete_faces"].trigger()
    assert deleted.args[0] == [picked]
    assert window.inspector.shown_face_id == ""
    assert window.inspector.json_view.toPlainText() == ""
    wait_idle(qtbot, window)


def test_files_hovering_over_a_collection_frame_it(
    make_window: Any, tmp_path: Path, testdata: Path
) -> None:
    window = make_window(_library(tmp_path, "aaa", "family"), "aaa")
    view = window.collection_panel.list
    family = window.controller.collections.index(window.controller.collections.row_of("family"))
    rect = view.visualRect(family)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(testdata / "real/face_recognition/obama.jpg"))])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), QDragEnterEvent(rect.center(), *args))
    assert view.drop_row == family.row()
    frame = view.viewport().grab().toImage().pixelColor(rect.left() + 1, rect.center().y())
    assert (frame.red(), frame.green(), frame.blue()) == (52, 152, 219)
    QApplication.sendEvent(view.viewport(), QDragLeaveEvent())
    assert view.drop_row == -1
    # the main window frames its central area while files hover over it
    QApplication.sendEvent(window, QDragEnterEvent(window.rect().center(), *args))
    assert window.stack.property("dragging") is True
    QApplication.sendEvent(window, QDragLeaveEvent())
    assert window.stack.property("dragging") is False


def _menu_action(window: Any, text: str) -> Any:
    menu = window.context_menus.last
    assert menu is not None
    return next(a for a in menu.actions() if a.text() == text)


def test_context_menus_on_faces_photos_and_collections(
    make_window: Any, qtbot: Any, copied_db: Path, monkeypatch: Any
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(
        "facedesk.qt.context_menus.QDesktopServices.openUrl",
        lambda url: opened.append(url.toLocalFile()),
    )
    window = make_window(copied_db, "gui")
    c = window.controller
    wait_idle(qtbot, window)
    window.show_view("faces")
    faces = window.faces_view.list
    # right-click on a face: it becomes the selection and the menu acts on it
    obama = next(f for f in c.faces.faces() if f.external_image_id == "obama.jpg")
    index = c.faces.index(c.faces.row_of(obama.face_id))
    faces.customContextMenuRequested.emit(faces.visualRect(index).center())
    assert window.faces_view.selected_face_ids() == [obama.face_id]
    assert [a.text() for a in window.context_menus.last.actions() if a.text()] == [
        "Open photo",
        "Find similar faces",
        "Show in folder",
        "Copy face JSON",
        "Delete 1 face…",
    ]
    _menu_action(window, "Copy face JSON").trigger()
    assert obama.face_id in QApplication.clipboard().text()
    _menu_action(window, "Show in folder").trigger()
    assert opened and Path(opened[-1]) == Path(c.source_path_of(obama.image_id) or "").parent
    with qtbot.waitSignal(c.search_finished, timeout=30_000) as found:
        _menu_action(window, "Find similar faces").trigger()
    matches = found.args[0].matches
    assert matches and {m["Face"]["ExternalImageId"] for m in matches} == {"two_people.jpg"}
    assert obama.face_id not in {m["Face"]["FaceId"] for m in matches}
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        _menu_action(window, "Open photo").trigger()
    assert window.viewer.document.summary.external_image_id == "obama.jpg"
    # a photo's record as JSON
    window.show_view("photos")
    photos = window.photos_view.list
    first = window.photos_view.proxy.index(0, 0)
    photos.customContextMenuRequested.emit(photos.visualRect(first).center())
    _menu_action(window, "Copy IndexFaces JSON").trigger()
    assert '"FaceRecords"' in QApplication.clipboard().text()
    # a collection: DescribeCollection's answer
    panel = window.collection_panel.list
    row = c.collections.index(c.collections.row_of("gui"))
    panel.customContextMenuRequested.emit(panel.visualRect(row).center())
    _menu_action(window, "Copy DescribeCollection JSON").trigger()
    assert "CollectionARN" in QApplication.clipboard().text()
    wait_idle(qtbot, window)


def test_crowded_labels_give_way_and_show_on_hover(
    make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path
) -> None:
    from facedesk.service.indexing import IndexOptions

    db = _library(tmp_path, "solvay")
    client = make_client(db)
    photo = testdata / "real/visp/solvay_conference_1927.png"
    # MaxFaces 3: 26 of the 29 faces get an "exceeds max faces" label, side by side
    events = list(client.library.iter_index_files("solvay", [photo], IndexOptions(max_faces=3)))
    assert events[-1].result.unindexed >= 20
    client.close()
    window = make_window(db, "solvay")
    wait_idle(qtbot, window)
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.photos_view.list.activated.emit(window.photos_view.proxy.index(0, 0))
    viewer = window.viewer
    view = viewer.view

    def screen_rects(visible_only: bool) -> list[Any]:
        out = []
        for box in viewer.box_items():
            for label in box.labels():
                if label.isVisible() or not visible_only:
                    out.append(view.mapFromScene(label.sceneBoundingRect()).boundingRect())
        return out

    shown = screen_rects(True)
    assert 0 < len(shown) < len(screen_rects(False))
    assert not any(a.intersects(b) for i, a in enumerate(shown) for b in shown[i + 1 :])
    # hovering a face whose label gave way shows it; leaving hides it again
    crowded = next(b for b in viewer.box_items() if any(lb.crowded for lb in b.labels()))
    crowded.hoverEnterEvent(None)
    assert all(lb.isVisible() for lb in crowded.labels())
    crowded.hoverLeaveEvent(None)
    assert not any(lb.isVisible() for lb in crowded.labels())
    # zoomed in, there is room for more labels
    before = len(shown)
    view.zoom_by(4.0)
    assert len(screen_rects(True)) > before
    wait_idle(qtbot, window)


def test_photos_and_faces_appear_while_the_batch_runs(
    make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path
) -> None:
    window = make_window(_library(tmp_path, "live"), "live")
    c = window.controller
    folder = tmp_path / "photos"
    folder.mkdir()
    src = testdata / "real/face_recognition/obama_small.jpg"
    numbers = [1, 2, 3, 9, 10, 11, 12, 20, 21, 30, 31, 32, 40, 41, 42, 50, 51, 52, 60, 61]
    for n in numbers:
        shutil.copy(src, folder / f"img{n}.jpg")
    seen: list[tuple[bool, list[str], int, int]] = []

    def on_added(_photos: int, _faces: int) -> None:
        names = [str(i.external_image_id) for i in c.photos.images()]
        seen.append((c.indexing, names, c.faces.rowCount(), c.faces.total()))

    c.live.added.connect(on_added)
    with qtbot.waitSignal(c.indexing_finished, timeout=240_000):
        window.commands.index_paths([str(folder)])
    assert seen, "nothing appeared before the batch ended"
    during = [s for s in seen if s[0]]
    assert during, "the first photos appeared only after the batch ended"
    _, names, rows, total = during[0]
    assert 0 < len(names) < len(numbers)
    assert names == sorted(names, key=lambda n: int(n[3:-4]))  # natural order: img2 < img10
    assert rows == total == len(names)  # one face per copy, every face on screen
    # the collection's count in the side bar follows too
    qtbot.waitUntil(
        lambda: c.collections.collections()[0].face_count == len(numbers), timeout=20_000
    )
    wait_idle(qtbot, window)


def test_new_collection_by_name_shows_its_id_and_can_be_renamed(
    make_window: Any, qtbot: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from facedesk.qt.views.collection_name_dialog import CollectionNameDialog

    window = make_window(_library(tmp_path, "My_Family"), "My_Family")
    c = window.controller
    dialog = CollectionNameDialog(["My_Family"], window)
    dialog.name_edit.setText("My Family")
    assert dialog.id_label.text() == "My_Family_2"  # taken: a numbered id, said up front
    dialog.name_edit.setText("")
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()

    def typed(name: str) -> Any:
        def exec_(self: CollectionNameDialog) -> int:
            self.name_edit.setText(name)
            return 1

        return exec_

    monkeypatch.setattr(CollectionNameDialog, "exec", typed("Zoë's birthday"))
    with qtbot.waitSignal(c.collection_loaded, timeout=20_000):
        window.action_map["new_collection"].trigger()
    assert c.current_collection == "Zoes_birthday"
    row = c.collections.index(c.collections.row_of("Zoes_birthday"))
    assert row.data() == "Zoë's birthday"
    assert "id Zoes_birthday" in row.data(SubtitleRole)
    monkeypatch.setattr(CollectionNameDialog, "exec", typed("Zoë at 7"))
    with qtbot.waitSignal(c.collections_changed, timeout=20_000):
        window.action_map["rename_collection"].trigger()
    row = c.collections.index(c.collections.row_of("Zoes_birthday"))
    assert row.data() == "Zoë at 7" and c.current_collection == "Zoes_birthday"
    wait_idle(qtbot, window)
