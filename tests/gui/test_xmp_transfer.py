"""File > Export/Import face regions: real photos (tmp copies), real SQLite, offscreen Qt."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from facedesk.qt.xmp_transfer import summary_text
from tests.gui.conftest import make_client, wait_idle

PHOTOS = ("real/face_recognition/obama.jpg", "derived/biden_exif_orientation6.jpg")


@pytest.fixture
def photo_library(testdata: Path, tmp_path: Path) -> tuple[Path, Path]:
    from facedesk.service.indexing import IndexOptions
    from facedesk.service.people import person_for_name

    folder = tmp_path / "photos"
    folder.mkdir()
    for rel in PHOTOS:
        shutil.copyfile(testdata / rel, folder / Path(rel).name)
    db = tmp_path / "lib.db"
    client = make_client(db)
    client.create_collection(CollectionId="C")
    events = client.library.iter_index_files("C", [folder], IndexOptions(workers=1))
    assert [e.result.status for e in events] == ["indexed", "indexed"]
    face = next(
        f
        for f in client.list_faces(CollectionId="C")["Faces"]
        if f["ExternalImageId"] == "obama.jpg"
    )
    person = person_for_name(client.context, "C", "Barack Obama")
    client.associate_faces(CollectionId="C", UserId=person.user_id, FaceIds=[face["FaceId"]])
    client.close()
    return db, folder


def test_menu_export_then_import_into_another_library_and_undo(
    qtbot: Any, make_window: Any, photo_library: tuple[Path, Path], tmp_path: Path
) -> None:
    db, folder = photo_library
    window = make_window(db, "C")
    assert {"export_xmp", "import_xmp"} <= set(window.action_map)
    transfer = window.commands._xmp()
    with qtbot.waitSignal(transfer.done, timeout=60_000) as signal:
        transfer.start_export("C", "digikam", True)
    kind, results = signal.args
    assert kind == "export" and [r["Status"] for r in results] == ["exported", "exported"]
    assert (folder / "obama.jpg.xmp").exists() and (
        folder / "biden_exif_orientation6.jpg.xmp"
    ).exists()
    text, details = summary_text(kind, results)
    assert text.startswith("Wrote 2 face regions (1 named) for 2 photos") and details == ""
    wait_idle(qtbot, window)

    # A second library of the same photos, without names: import them from the sidecars.
    other_db = tmp_path / "other.db"
    client = make_client(other_db)
    client.create_collection(CollectionId="C")
    list(client.library.iter_index_files("C", [folder]))
    client.close()
    other = make_window(other_db, "C")
    transfer = other.commands._xmp()
    with qtbot.waitSignal(transfer.done, timeout=60_000) as signal:
        transfer.start_import("C", [str(folder)])
    kind, results = signal.args
    text, _ = summary_text(kind, results)
    assert text.startswith("Named 1 faces in 2 photos (1 new people)"), text
    qtbot.waitUntil(lambda: other.controller.people.rowCount() == 1, timeout=20_000)
    box = other.findChild(QMessageBox, "xmp_summary")
    assert box is not None and box.text() == text
    (undo,) = [b for b in box.buttons() if b.text() == "Undo import"]
    undo.click()
    qtbot.waitUntil(lambda: other.controller.people.rowCount() == 0, timeout=20_000)
    wait_idle(qtbot, other)
