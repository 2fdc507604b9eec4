"""The People view driven with the keyboard on real photos of known people: naming
everyone takes one action per person plus one per stray face, and undo/redo work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import client_of, make_client, wait_idle
from tests.support.labelled_faces import index_labelled

NAMES = {
    "V": "Vin Diesel",
    "J": "Jason Statham",
    "B": "Bruce Willis",
    "D": "Dwayne Johnson",
    "obama": "Barack Obama",
    "biden": "Joe Biden",
}


@pytest.fixture(scope="module")
def people_db(
    tmp_path_factory: pytest.TempPathFactory, testdata: Path
) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("people") / "people.db"
    client = make_client(path)
    client.create_collection(CollectionId="people")
    labels = index_labelled(client, "people", testdata)
    client.close()
    return path, labels


def _wait_people(qtbot: Any, window: Any) -> None:
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: not window.people_controller.busy, timeout=30_000)


def test_naming_everyone_by_keyboard_takes_one_action_per_person(
    make_window: Any, qtbot: Any, people_db: tuple[Path, dict[str, str]], testdata: Path
) -> None:
    path, labels = people_db
    window = make_window(path, "people")
    p = window.people_controller
    _wait_people(qtbot, window)
    window.action_map["show_people"].trigger()
    assert window.current_view() == "people"
    view = window.people_view
    tiles = p.groups.tiles()
    assert [t.count for t in tiles] == [6, 6, 6, 6, 5, 2]  # the biggest group first

    named: list[str] = []
    while p.groups.rowCount():
        tile = view.current_tile()
        # A look-alike may be suggested ("Is this Bruce Willis?" for Jason Statham: the bald
        # actors are 0.61 apart at the closest); typing a name names the group all the same.
        assert tile is not None
        name = NAMES[labels[tile.face_ids[0]]]
        qtbot.keyClick(view.groups_list, name[0])  # typing starts a name ...
        assert view.name_edit.hasFocus() or view.name_edit.text() == name[0]
        qtbot.keyClicks(view.name_edit, name[1:])
        qtbot.keyClick(view.name_edit, Qt.Key.Key_Return)  # ... Enter names the group
        named.append(name)
        _wait_people(qtbot, window)
    assert sorted(named) == sorted(NAMES.values())
    assert p.actions_done == len(NAMES)  # one action per person
    client = client_of(window)
    users = {u.display_name: u.face_count for u in client.people.people("people")}
    assert users == {
        NAMES[k]: n for k, n in {"V": 6, "J": 6, "B": 6, "D": 6, "obama": 5, "biden": 2}.items()
    }

    # A new photo of a named person arrives suggested; one key accepts it.
    client.index_faces(
        CollectionId="people",
        Image={"Bytes": (testdata / "derived/obama_cmyk.jpg").read_bytes()},
        ExternalImageId="new_obama.jpg",
        MaxFaces=1,
    )
    p.load("people")
    _wait_people(qtbot, window)
    tile = view.current_tile()
    assert tile is not None and tile.count == 1 and tile.suggested_name == "Barack Obama"
    assert tile.similarity is not None and tile.similarity >= 75
    assert "Is this Barack Obama?" in tile.subtitle
    qtbot.keyClick(view.groups_list, "y")
    _wait_people(qtbot, window)
    assert p.actions_done == len(NAMES) + 1  # plus one per stray face
    assert p.groups.rowCount() == 0
    obama = next(u for u in client.people.people("people") if u.display_name == "Barack Obama")
    assert obama.face_count == 6

    # Ctrl+Z takes the accept back; Ctrl+Shift+Z does it again.
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _wait_people(qtbot, window)
    assert p.groups.rowCount() == 1
    qtbot.keyClick(
        window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    _wait_people(qtbot, window)
    assert p.groups.rowCount() == 0
    people_tiles = p.people.tiles()
    assert {t.title for t in people_tiles} == set(NAMES.values())
    assert all(t.jpeg for t in people_tiles)  # every person shows a face
    window.grab().save(str(path.parent / "people-view.png"))

    # A person's page: faces least like the person first.
    with qtbot.waitSignal(p.person_loaded, timeout=30_000):
        view.open_person(obama.user_id)
    page = [t.key for t in p.person_faces.tiles()]
    assert len(page) == 6 and view.lower_stack.currentWidget() is view.page
    assert "Barack Obama: 6 faces" in view.page_label.text()
    window.grab().save(str(path.parent / "person-page.png"))
    _wait_people(qtbot, window)


@pytest.mark.parametrize("last_view", ["people", "photos"])
def test_the_view_shown_loads_before_the_others(
    qtbot: Any, settings: Any, copied_db: Path, last_view: str
) -> None:
    """The People view, shown last time, is shown again and lists its people and groups
    before the Photos and Faces grids load (they would share the pool and the database
    with it); the suggestions follow the grids. With the Photos view shown, the grids come
    first, as before."""
    from facedesk.qt.controller import MainController
    from facedesk.qt.main_window import MainWindow

    client = make_client(copied_db)
    listing = client.people.groups("gui")  # grouped and named in an earlier session
    client.people.name_faces("gui", [listing.ungrouped[0]], "Ada Lovelace")
    sizes = sorted(len(g.face_ids) for g in client.people.groups("gui").groups)
    settings.set_ui_value("view", last_view)
    controller = MainController(client)
    window = MainWindow(controller, settings, ask_before_close=False)
    qtbot.addWidget(window)
    p = window.people_controller
    events: list[str] = []

    def people_loaded(snapshot: Any) -> None:
        on_screen = window.people_view.isVisible()
        photos = controller.photos.rowCount() > 0
        events.append(f"people {len(snapshot.people)} visible={on_screen} photos={photos}")

    p.loaded.connect(people_loaded)
    controller.collection_loaded.connect(lambda _cid: events.append("grids"))
    try:
        window.show()
        assert (window.tabs.currentWidget() is window.people_view) == (last_view == "people")
        controller.refresh_collections(select="gui")
        qtbot.waitUntil(lambda: len(events) >= 3, timeout=30_000)
        _wait_people(qtbot, window)
        if last_view == "people":
            # listed and on screen before any photo is listed; then the grids, then the
            # second phase (suggestions)
            assert events == [
                "people 1 visible=True photos=False",
                "grids",
                "people 1 visible=True photos=True",
            ]
        else:
            assert events[0] == "grids" and len(events) == 3
        assert controller.photos.rowCount() > 0 and controller.faces.rowCount() > 0
        assert sorted(t.count for t in p.groups.tiles() if t.count > 1) == sizes
    finally:
        controller.shutdown()
        p.shutdown()
        window.viewer.loader.shutdown()
        client.close()
