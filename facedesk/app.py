"""Composition root: arguments -> settings -> database client -> QApplication -> MainWindow.

``facedesk`` with no subcommand opens the app; ``facedesk <subcommand> ...`` (the AWS CLI's
names) is handed to ``facedesk.cli``. GUI options: ``--database``, and the screenshot mode
``--screenshot OUT.png [--collection C] [--view photos|faces|people] [--image EXTERNAL_IMAGE_ID]``.
``facedesk PHOTO...`` (what a desktop's "Open with facedesk" runs) opens the app and indexes
those photos or folders as a drop would; in screenshot mode the grab waits for that run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from facedesk.qt.settings import AppSettings


def gui_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="facedesk", add_help=False, description="facedesk desktop app")
    p.add_argument("--database", help="library file or SQLAlchemy URL")
    p.add_argument(
        "--screenshot",
        metavar="OUT.png",
        help="render the window offscreen at 1400x900, save it, exit",
    )
    p.add_argument("--collection", help="collection to select (screenshot mode)")
    p.add_argument("--view", choices=("photos", "faces", "people"), default="photos")
    p.add_argument("--image", metavar="EXTERNAL_IMAGE_ID", help="photo to open in the viewer")
    p.add_argument("paths", nargs="*", metavar="PHOTO", help="photos or folders to index")
    return p


def _cli_commands() -> frozenset[str]:
    from facedesk.cli import build_parser

    parser = build_parser()
    return frozenset(
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    )


def _is_path(arg: str, commands: frozenset[str]) -> bool:
    # A subcommand's name wins over a file of that name in the working directory (a
    # desktop's %F passes absolute paths, which never collide).
    return arg not in commands and os.path.exists(arg)


def is_cli_invocation(argv: Sequence[str]) -> bool:
    """True when argv holds a subcommand or an option the GUI does not know (--help too).

    Positional arguments that name existing files or folders are photos to open in the app.
    """
    if any(a in ("-h", "--help", "--version") for a in argv):
        return True
    known, rest = gui_parser().parse_known_args(list(argv))
    if rest:
        return True
    commands = _cli_commands() if known.paths else frozenset()
    return not all(_is_path(p, commands) for p in known.paths)


def main(argv: Sequence[str] | None = None) -> int:
    # Indexing analyses in spawned processes; a frozen app must answer as one of them.
    multiprocessing.freeze_support()
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Face search is one matrix-vector product bound by memory bandwidth: a second BLAS
    # thread gains ~10 % when idle but stalls each search behind a descheduled worker while
    # indexing keeps both cores busy (bench/SEARCH_RESULTS.md). Must precede numpy's import.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if "--self-test" in args_list:
        from facedesk.selftest import main as self_test

        return self_test(args_list)
    if is_cli_invocation(args_list):
        from facedesk.cli import main as cli_main
        from facedesk.serve import COMMAND as SERVE

        return int(cli_main(args_list, extra=[SERVE]) or 0)
    args = gui_parser().parse_args(args_list)
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return run_gui(args)


def run_gui(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from facedesk.qt.errors import install_excepthook
    from facedesk.qt.resources import app_icon, stylesheet
    from facedesk.qt.settings import AppSettings

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "facedesk"])
    assert isinstance(app, QApplication)
    app.setOrganizationName("facedesk")
    app.setApplicationName("facedesk")
    app.setApplicationDisplayName("facedesk")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(stylesheet())
    install_excepthook()

    screenshot = bool(args.screenshot)
    with tempfile.TemporaryDirectory() as scratch:
        # screenshots must not read or overwrite the user's window layout
        qsettings = (
            QSettings(os.path.join(scratch, "s.ini"), QSettings.Format.IniFormat)
            if screenshot
            else QSettings()
        )
        settings = AppSettings(qsettings)
        database: str | None = args.database or _remembered_library(settings)
        try:
            while True:
                code, chosen = _run_window(app, args, settings, database, scratch)
                if chosen is None:
                    return code
                # File ▸ Open library: the same app, a new window on the chosen library
                settings.set_library(chosen)
                database, args.paths, args.collection = chosen, [], None
        finally:
            # Write pending settings now: QSettings syncs again when it is destroyed, after
            # the scratch folder is gone, and would create it anew (a stray s.ini in TMPDIR).
            qsettings.sync()


def _remembered_library(settings: AppSettings) -> str | None:
    """The library File ▸ Open library chose last, unless $FACEDESK_DATABASE names one. A
    remembered library that is gone (a file on a disk not plugged in, a server that does
    not answer) is said, and the default library opens: never an empty new file in its
    place."""
    from facedesk.config import DATABASE_ENV

    remembered = settings.library()
    if os.environ.get(DATABASE_ENV) or not remembered:
        return None
    from facedesk.service.library_choice import check_library, is_url

    if is_url(remembered):
        problem = check_library(remembered)
    else:  # a file: no database open before the first screen (storage/people_quick.py)
        problem = None if os.path.isfile(remembered) else "the file is not there"
    if problem is None:
        return remembered
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.warning(
        None,
        "facedesk",
        f"The library you opened last, {remembered}, cannot be opened: {problem}\n\n"
        "facedesk opens its default library instead. File ▸ Open library chooses another.",
    )
    return None


def _run_window(
    app: QApplication,
    args: argparse.Namespace,
    settings: AppSettings,
    database: str | None,
    scratch: str,
) -> tuple[int, str | None]:
    """One window on ``database`` until it closes: the exit code, and the library File ▸
    Open library chose (None if the app is closing)."""
    import facedesk
    from facedesk.config import cache_dir
    from facedesk.qt.controller import MainController
    from facedesk.qt.instance import LibraryLock
    from facedesk.qt.main_window import MainWindow

    screenshot = bool(args.screenshot)
    client = facedesk.client(database=database, store_thumbnails=True)
    controller = MainController(client)
    window = MainWindow(controller, settings, ask_before_close=not screenshot)
    # a screenshot is no window a person works in: it neither marks nor sees the library
    locks = Path(scratch if screenshot else cache_dir()) / "open-libraries"
    lock = LibraryLock(str(client.library.database_path), locks)
    if lock.shared and not screenshot:
        window.show_shared_library_notice()
    controller.refresh_collections(select=window.initial_collection(args.collection))
    try:
        if args.paths:
            # the same path as a drop onto the window: remembered options, current
            # collection (a default one is created when there is none)
            window.commands.index_paths([os.path.abspath(p) for p in args.paths])
        if screenshot:
            return _take_screenshot(app, window, args), None
        window.show()
        code = int(app.exec())
        return code, window.next_library
    finally:
        controller.shutdown()
        window.viewer.loader.shutdown()
        client.close()
        lock.release()
        window.deleteLater()


def _take_screenshot(app: object, window: object, args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from facedesk.qt.screenshot import ScreenshotRequest, ScreenshotTaker

    assert isinstance(app, QApplication)
    request = ScreenshotRequest(
        path=args.screenshot, collection=args.collection, view=args.view, image=args.image
    )
    taker = ScreenshotTaker(window, request)  # type: ignore[arg-type]
    taker.start()
    app.exec()
    if not taker.ok:
        sys.stderr.write(f"facedesk: screenshot failed: {taker.error}\n")
        return 1
    return 0
