"""File ▸ Open library: the dialog opens the library before it closes (a library that cannot
be opened is said in the dialog and the window keeps its own), and the app reopens on the
chosen library, remembers it without its password, and opens it again at the next start, or
says it is gone and opens the default library instead."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from facedesk.qt.main_window import MainWindow
from facedesk.qt.settings import AppSettings
from facedesk.qt.views.open_library_dialog import OpenLibraryDialog


def _press_open(dialog: OpenLibraryDialog) -> None:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Open)
    assert button is not None
    button.click()


def test_a_library_that_cannot_be_opened_keeps_the_dialog_open(qtbot: Any) -> None:
    asked: list[str] = []

    def check(database: str) -> str | None:
        asked.append(database)
        return None if database.endswith("good.db") else "file is not a database"

    dialog = OpenLibraryDialog("/photos/now.db", ["/photos/old.db"], check)
    qtbot.addWidget(dialog)
    assert [dialog.library.itemText(i) for i in range(dialog.library.count())] == [
        "/photos/now.db",
        "/photos/old.db",
    ]
    dialog.library.setCurrentText("/photos/junk.db")
    _press_open(dialog)
    assert dialog.result() == 0  # not accepted
    assert "file is not a database" in dialog.error.text()
    assert not dialog.error.isHidden()
    dialog.library.setCurrentText("~/good.db")
    _press_open(dialog)
    assert dialog.result() == 1
    assert dialog.chosen() == str(Path.home() / "good.db")
    assert asked == ["/photos/junk.db", str(Path.home() / "good.db")]


def _window() -> MainWindow:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.isVisible():
            return widget
    raise AssertionError("no facedesk window")


@pytest.fixture
def app_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> QSettings:
    """run_gui's QSettings() in a private folder (for the rest of the session: Qt has no
    getter to restore the old one), its library locks in another."""
    monkeypatch.delenv("FACEDESK_DATABASE", raising=False)
    monkeypatch.setenv("FACEDESK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "config"))
    return QSettings("facedesk", "facedesk")


def test_the_app_reopens_on_the_chosen_library_and_remembers_it(
    qtbot: Any, app_settings: QSettings, indexed_db: Path, tmp_path: Path
) -> None:
    from facedesk.app import gui_parser, run_gui

    first, second = tmp_path / "first.db", tmp_path / "second.db"
    shutil.copy(indexed_db, second)
    seen: list[str] = []

    def switch() -> None:
        window = _window()
        seen.append(window.statusBar().currentMessage())
        window.switch_library(str(second))

    def close() -> None:
        window = _window()
        seen.append(window.statusBar().currentMessage())
        seen.append(window.controller.current_collection or "")
        window.close()

    QTimer.singleShot(1500, switch)
    QTimer.singleShot(4000, close)
    args = gui_parser().parse_args(["--database", str(first)])
    assert run_gui(args) == 0
    assert seen == [f"Library: {first}", f"Library: {second}", "gui"]
    assert AppSettings(app_settings).library() == str(second)
    assert AppSettings(app_settings).recent_libraries() == [str(second)]

    # The next start, without --database, opens the remembered library.
    QTimer.singleShot(1500, close)
    seen.clear()
    assert run_gui(gui_parser().parse_args([])) == 0
    assert seen[0] == f"Library: {second}"


def test_a_remembered_library_that_is_gone_is_said_and_the_default_opens(
    qtbot: Any, app_settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facedesk.app import _remembered_library

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: said.append(a[2]))
    settings = AppSettings(app_settings)
    settings.set_library(str(tmp_path / "on-a-usb-disk.db"))
    assert _remembered_library(settings) is None
    assert "on-a-usb-disk.db" in said[0] and "the file is not there" in said[0]
    assert not (tmp_path / "on-a-usb-disk.db").exists()  # no empty library in its place
    # A remembered server that does not answer: said the same way, password never shown.
    settings.set_library("postgresql+psycopg://me:secret@/photos?host=/nonexistent")
    assert _remembered_library(settings) is None
    assert "/nonexistent" in said[1] and "secret" not in said[1]


def test_a_password_is_not_remembered(settings: AppSettings) -> None:
    settings.set_library("postgresql+psycopg://me:s3cr:et@nas/photos")
    settings.set_library("/photos/family.db")
    settings.set_library("postgresql+psycopg://me:other@nas/photos")
    assert settings.library() == "postgresql+psycopg://me@nas/photos"
    assert settings.recent_libraries() == [
        "postgresql+psycopg://me@nas/photos",
        "/photos/family.db",
    ]


def test_an_empty_postgresql_database_opens_as_a_new_library(pg_server: Any) -> None:
    import facedesk
    from facedesk.service.library_choice import check_library

    url = pg_server.new_database()
    try:
        assert check_library(url) is None
        with facedesk.client(database=url) as client:
            assert client.list_collections()["CollectionIds"] == []
    finally:
        pg_server.drop_database(url)


def test_the_first_screen_offers_another_library(
    make_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(OpenLibraryDialog, "exec", lambda self: shown.append(self.chosen()) or 0)
    window = make_window(tmp_path / "empty.db")
    assert window.stack.currentWidget() is window.welcome
    window.welcome.open_library.linkActivated.emit("#")
    assert shown == [str(tmp_path / "empty.db")]  # the dialog, on the library open now
    assert window.next_library is None  # cancelled: the window stays on its library
