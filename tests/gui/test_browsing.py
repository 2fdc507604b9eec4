"""Browsing as people expect: docks reachable from View, honest status, state kept across runs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from facedesk.qt.models.file_result_model import summary_text
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
        "skipped": 0,
    }
    assert summary_text(totals, False) == "4 files indexed, 5 failed (7 faces indexed, 1 not)"
    totals |= {"files": 3, "indexed_files": 1, "indexed": 1, "unindexed": 0, "errors": 0}
    totals["skipped"] = 2
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
