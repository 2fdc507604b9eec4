"""People across the window, driven through the real widgets on real photos: names on the
photo viewer's boxes and naming a face there, the Photos view filtered by person, picking
the face to search with, and dragging faces from a person's page onto another person.

Screenshots land in the test's tmp_path (people-*.png) for a look."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from facedesk.qt.models.roles import ExternalIdRole
from facedesk.qt.views.people_drag import face_ids_mime, face_ids_of
from tests.gui.conftest import make_client, wait_idle


def _settle(qtbot: Any, window: Any) -> None:
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not window.people_controller.busy, timeout=30_000)


def _open_photo(qtbot: Any, window: Any, name: str) -> None:
    proxy = window.photos_view.proxy
    rows = [
        r for r in range(proxy.rowCount()) if name in str(proxy.index(r, 0).data(ExternalIdRole))
    ]
    assert rows, name
    with qtbot.waitSignal(window.viewer.loaded, timeout=20_000):
        window.photos_view.list.activated.emit(proxy.index(rows[0], 0))


def _click_face(window: Any, index: int) -> Any:
    """A real mouse click inside the face's box (near its top-left corner, clear of the
    landmark dots)."""
    viewer = window.viewer
    box = sorted(viewer.box_items(), key=lambda b: b.rect().left())[index]
    rect = box.sceneBoundingRect()
    at = viewer.view.mapFromScene(QPointF(rect.left() + rect.width() * 0.12, rect.top() + 4))
    QTest.mouseClick(viewer.view.viewport(), Qt.MouseButton.LeftButton, pos=at)
    return box.face


def test_names_on_the_photo_and_naming_a_face_there(
    make_window: Any, qtbot: Any, copied_db: Path, tmp_path: Path
) -> None:
    window = make_window(copied_db, "gui")
    viewer, p = window.viewer, window.people_controller
    _settle(qtbot, window)
    _open_photo(qtbot, window, "two_people")
    _settle(qtbot, window)
    assert viewer.name_label_texts() == {}  # nobody is named yet
    assert not viewer.name_bar.isVisible()

    left = _click_face(window, 0)
    assert viewer.name_bar.isVisible() and viewer.name_bar.face_id == left.face_id
    assert not viewer.name_bar.open_button.isEnabled()  # unnamed: no person to open
    qtbot.keyClicks(viewer.name_bar.edit, "Ada Lovelace")
    qtbot.keyClick(viewer.name_bar.edit, Qt.Key.Key_Return)
    _settle(qtbot, window)
    qtbot.waitUntil(lambda: bool(viewer.name_label_texts()), timeout=20_000)
    assert viewer.name_label_texts() == {left.face_id: "Ada Lovelace"}
    library = window.controller.library
    ada = next(u for u in library.people.people("gui") if u.display_name == "Ada Lovelace")
    assert ada.face_count == 1

    # the other face: the name field completes over the people there are
    right = _click_face(window, 1)
    assert viewer.name_bar.face_id == right.face_id
    completer = viewer.name_bar.edit.completer()
    qtbot.keyClicks(viewer.name_bar.edit, "love")
    assert completer.completionCount() == 1 and completer.currentCompletion() == "Ada Lovelace"
    viewer.name_bar.edit.setText("Grace Hopper")
    qtbot.keyClick(viewer.name_bar.edit, Qt.Key.Key_Return)
    _settle(qtbot, window)
    qtbot.waitUntil(lambda: len(viewer.name_label_texts()) == 2, timeout=20_000)
    assert viewer.name_label_texts() == {
        left.face_id: "Ada Lovelace",
        right.face_id: "Grace Hopper",
    }
    viewer.grab().save(str(tmp_path / "people-viewer-names.png"))

    # Ctrl+Z takes the last name back, and the box loses its name
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    qtbot.waitUntil(lambda: len(viewer.name_label_texts()) == 1, timeout=20_000)
    assert viewer.name_label_texts() == {left.face_id: "Ada Lovelace"}

    # clicking a named face opens its person
    _click_face(window, 0)
    assert viewer.name_bar.open_button.isEnabled()
    assert "Ada Lovelace" in viewer.name_bar.label.text()
    with qtbot.waitSignal(p.person_loaded, timeout=30_000):
        qtbot.mouseClick(viewer.name_bar.open_button, Qt.MouseButton.LeftButton)
    assert window.current_view() == "people"
    assert p.person_id == ada.user_id
    assert [t.key for t in p.person_faces.tiles()] == [left.face_id]
    _settle(qtbot, window)


def test_photos_filtered_by_person(
    make_window: Any, qtbot: Any, copied_db: Path, tmp_path: Path
) -> None:
    client = make_client(copied_db)
    faces = client.list_faces(CollectionId="gui", MaxResults=100)["Faces"]
    obama = [f["FaceId"] for f in faces if f["ExternalImageId"] == "obama.jpg"]
    two = [f["FaceId"] for f in faces if f["ExternalImageId"] == "two_people.jpg"]
    client.people.name_faces("gui", [*obama, two[0]], "Barack Obama")
    client.close()

    window = make_window(copied_db, "gui")
    photos, p = window.photos_view, window.people_controller
    _settle(qtbot, window)
    total = photos.proxy.rowCount()
    assert total == 4
    combo = photos.person_combo
    qtbot.waitUntil(lambda: combo.findText("Barack Obama") > 0, timeout=20_000)

    # choose the person as a user does: the combo's popup, then the row
    with qtbot.waitSignal(p.person_photos_loaded, timeout=20_000):
        combo.showPopup()
        view = combo.view()
        row = combo.findText("Barack Obama")
        QTest.mouseClick(
            view.viewport(),
            Qt.MouseButton.LeftButton,
            pos=view.visualRect(view.model().index(row, 0)).center(),
        )
    shown = sorted(
        str(photos.proxy.index(r, 0).data(ExternalIdRole)) for r in range(photos.proxy.rowCount())
    )
    assert shown == ["obama.jpg", "two_people.jpg"]
    assert photos.count_label.text() == f"2 of {total} photos"
    window.show_view("photos")
    window.grab().save(str(tmp_path / "people-photos-filter.png"))

    # the name filter still works inside the person's photos
    photos.filter_edit.setText("two")
    assert photos.proxy.rowCount() == 1
    photos.filter_edit.setText("")

    # faces taken out of the person: the filtered photos follow
    p.take_out([two[0]])
    _settle(qtbot, window)
    qtbot.waitUntil(lambda: photos.proxy.rowCount() == 1, timeout=20_000)

    # clear the filter: every photo again
    with qtbot.waitSignal(p.person_photos_loaded, timeout=20_000):
        combo.activated.emit(combo.findData(""))
    assert photos.proxy.rowCount() == total and photos.person_id == ""
    _settle(qtbot, window)


def test_pick_the_face_to_search_with(
    make_window: Any, qtbot: Any, indexed_db: Path, testdata: Path, tmp_path: Path
) -> None:
    window = make_window(indexed_db, "gui")
    c, panel = window.controller, window.search_panel
    photo = str(testdata / "real/face_recognition/two_people.jpg")
    with qtbot.waitSignal(c.search_finished, timeout=60_000) as done:
        panel.search(photo)
    first = done.args[0]
    assert first.face_index == 0 and len(first.faces) == 2
    assert first.searched_box == first.faces[0]  # the largest, as SearchFacesByImage does
    assert len(panel.face_buttons) == 2 and panel.face_buttons[0].isChecked()
    assert panel.faces_strip.isVisible()
    first_best = c.matches.matches()[0]

    with qtbot.waitSignal(c.search_finished, timeout=60_000) as done:
        qtbot.mouseClick(panel.face_buttons[1], Qt.MouseButton.LeftButton)
    second = done.args[0]
    assert second.face_index == 1 and second.searched_box == first.faces[1]
    assert panel.face_buttons[1].isChecked() and not panel.face_buttons[0].isChecked()
    best = c.matches.matches()[0]
    # each face finds itself (two_people.jpg is in the collection), and they differ
    assert best.similarity > 99 and first_best.similarity > 99
    assert best.face_id != first_best.face_id
    assert best.face["ExternalImageId"] == first_best.face["ExternalImageId"] == "two_people.jpg"
    window.search_dock.show()
    window.search_dock.raise_()
    panel.grab().save(str(tmp_path / "people-search-pick.png"))

    # "Search again" keeps the face chosen
    with qtbot.waitSignal(c.search_finished, timeout=60_000) as done:
        qtbot.mouseClick(panel.again_button, Qt.MouseButton.LeftButton)
    assert done.args[0].face_index == 1
    wait_idle(qtbot, window)


def _drop(target: Any, mime: QMimeData, at: QPoint) -> bool:
    """Deliver enter, move and drop as Qt does at the end of a drag (QDrag.exec runs a
    platform loop the offscreen platform cannot drive)."""
    port = target.viewport()
    action, buttons, mods = (
        Qt.DropAction.MoveAction,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(at, action, mime, buttons, mods)
    QApplication.sendEvent(port, enter)
    move = QDragMoveEvent(at, action, mime, buttons, mods)
    QApplication.sendEvent(port, move)
    drop = QDropEvent(QPointF(at), action, mime, buttons, mods)
    QApplication.sendEvent(port, drop)
    return enter.isAccepted() and move.isAccepted() and drop.isAccepted()


def test_drag_faces_onto_another_person(
    make_window: Any, qtbot: Any, copied_db: Path, tmp_path: Path
) -> None:
    client = make_client(copied_db)
    faces = client.list_faces(CollectionId="gui", MaxResults=100)["Faces"]
    by_photo: dict[str, list[str]] = {}
    for f in faces:
        by_photo.setdefault(f["ExternalImageId"], []).append(f["FaceId"])
    # one face per photo: a person never holds two faces of one photo
    crowd = [by_photo[n][0] for n in ("2008_002079.jpg", "two_people.jpg", "biden.jpg")]
    crowd_person = client.people.name_faces("gui", crowd, "Strangers")
    obama = client.people.name_faces("gui", by_photo["obama.jpg"], "Barack Obama")
    client.close()

    window = make_window(copied_db, "gui")
    view, p = window.people_view, window.people_controller
    _settle(qtbot, window)
    window.show_view("people")
    with qtbot.waitSignal(p.person_loaded, timeout=30_000):
        view.open_person(crowd_person.user_id)
    page = view.person_list
    assert page.dragEnabled()
    # select two faces with the mouse (click, then Ctrl+click)
    rects = [page.visualRect(p.person_faces.index(r, 0)) for r in range(2)]
    QTest.mouseClick(page.viewport(), Qt.MouseButton.LeftButton, pos=rects[0].center())
    QTest.mouseClick(
        page.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        rects[1].center(),
    )
    moving = page.selected_face_ids()
    assert len(moving) == 2
    mime = face_ids_mime(moving)
    assert face_ids_of(mime) == moving

    target_row = next(i for i, t in enumerate(p.people.tiles()) if t.key == obama.user_id)
    at = view.people_list.visualRect(p.people.index(target_row, 0)).center()
    assert _drop(view.people_list, mime, at)
    _settle(qtbot, window)
    counts = {u.user_id: u.face_count for u in window.controller.library.people.people("gui")}
    assert counts[obama.user_id] == 1 + 2
    assert counts[crowd_person.user_id] == len(crowd) - 2
    assert p.actions_done == 1
    window.grab().save(str(tmp_path / "people-after-drop.png"))

    # a drop on empty space, or of something that is not faces, changes nothing
    assert not _drop(view.people_list, QMimeData(), at)
    empty = QPoint(
        view.people_list.viewport().width() - 3, view.people_list.viewport().height() - 3
    )
    assert not _drop(view.people_list, face_ids_mime(moving), empty)

    # Ctrl+Z moves them back
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    counts = {u.user_id: u.face_count for u in window.controller.library.people.people("gui")}
    assert counts[obama.user_id] == 1 and counts[crowd_person.user_id] == len(crowd)


def test_crops_beyond_the_first_screens_are_read_when_painted(
    make_window: Any, qtbot: Any, copied_db: Path, monkeypatch: Any
) -> None:
    import facedesk.qt.people_snapshot as people_snapshot

    monkeypatch.setattr(people_snapshot, "FIRST_CROPS", 0)  # every crop read lazily
    client = make_client(copied_db)
    faces = client.list_faces(CollectionId="gui", MaxResults=100)["Faces"]
    obama = [f["FaceId"] for f in faces if f["ExternalImageId"] == "obama.jpg"]
    client.people.name_faces("gui", obama, "Barack Obama")
    client.close()
    window = make_window(copied_db, "gui")
    p = window.people_controller
    snapshots: list[Any] = []
    p.loaded.connect(snapshots.append)
    window.show_view("people")
    p.load("gui")
    _settle(qtbot, window)
    assert snapshots and all(t.jpeg is None for t in snapshots[-1].people + snapshots[-1].groups)
    # painted tiles ask for their crops; one query fills them in
    qtbot.waitUntil(
        lambda: all(t.jpeg for t in p.people.tiles()) and all(t.jpeg for t in p.groups.tiles()),
        timeout=20_000,
    )
    assert [t.cover for t in p.people.tiles()] == obama
    _settle(qtbot, window)


def test_drag_a_group_onto_a_person(make_window: Any, qtbot: Any, copied_db: Path) -> None:
    """A group tile dropped on a named person gives it every face of the group, as one
    action that one Ctrl+Z takes back."""
    from facedesk.qt.views.people_drag import group_of

    client = make_client(copied_db)
    listing = client.people.groups("gui")
    group = next(g for g in listing.groups if len(g.face_ids) >= 2)
    lone = listing.ungrouped[0]  # a face of another person, named so there is a target
    ada = client.people.name_faces("gui", [lone], "Ada Lovelace")
    client.close()

    window = make_window(copied_db, "gui")
    view, p = window.people_view, window.people_controller
    window.show_view("people")
    p.load("gui")
    _settle(qtbot, window)
    row = next(i for i, t in enumerate(p.groups.tiles()) if t.key == group.group_id)
    rect = view.groups_list.visualRect(p.groups.index(row, 0))
    QTest.mouseClick(view.groups_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    mime = view.groups_list.drag_mime()
    assert mime is not None and group_of(mime) == group.group_id

    target = next(i for i, t in enumerate(p.people.tiles()) if t.key == ada.user_id)
    at = view.people_list.visualRect(p.people.index(target, 0)).center()
    assert _drop(view.people_list, mime, at)
    _settle(qtbot, window)
    people = window.controller.library.people
    assert people.person("gui", ada.user_id).face_count == 1 + len(group.face_ids)
    assert group.group_id not in {t.key for t in p.groups.tiles()}
    assert p.actions_done == 1

    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _settle(qtbot, window)
    assert people.person("gui", ada.user_id).face_count == 1
    assert group.group_id in {t.key for t in p.groups.tiles()}


def test_the_people_count_is_every_person_not_the_rows_paged_in(
    make_window: Any, copied_db: Path, monkeypatch: Any
) -> None:
    import facedesk.qt.models.people_tile_model as tile_model
    from facedesk.qt.people_snapshot import PeopleSnapshot

    monkeypatch.setattr(tile_model, "PAGE", 1)  # the view is handed one row at a time
    window = make_window(copied_db, "gui")
    window.show_view("people")
    p = window.people_controller
    people = [tile_model.PeopleTile("person", f"u{k}", f"P{k}", (), 1) for k in range(3)]
    p.people.set_tiles(people)
    p.loaded.emit(PeopleSnapshot("gui", people, []))  # as a load ends, before any scroll
    assert p.people.rowCount() == 1
    assert window.people_view.people_label.text() == "People (3)"
