"""GUI fixtures: a real client on a temporary SQLite file, isolated QSettings, leak checks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings, QThreadPool

GUI_PHOTOS = (
    "face_recognition/obama.jpg",
    "face_recognition/biden.jpg",
    "face_recognition/two_people.jpg",
    "dlib/2008_002079.jpg",
)


@pytest.fixture(autouse=True)
def no_leaked_threads(qapp: Any) -> Iterator[None]:
    """napari's _dangling_qthread_pool: a test must not leave pool work running."""
    yield
    pool = QThreadPool.globalInstance()
    # a runner emits `finished` just before its run() returns: allow that moment, no more
    settled = pool.waitForDone(2_000)
    leftovers = pool.activeThreadCount()
    pool.waitForDone(60_000)
    assert settled, f"{leftovers} runnables still active on the global pool after the test"


@pytest.fixture(scope="session")
def indexed_db(tmp_path_factory: pytest.TempPathFactory, testdata: Path) -> Path:
    """A library with a few real photos in collection 'gui' (QualityFilter AUTO)."""
    import facedesk
    from facedesk.service.indexing import IndexOptions

    path = tmp_path_factory.mktemp("gui") / "indexed.db"
    c = facedesk.client(database=str(path), store_thumbnails=True)
    c.create_collection(CollectionId="gui")
    paths = [str(testdata / "real" / p) for p in GUI_PHOTOS]
    results = [e.result for e in c.library.iter_index_files("gui", paths, IndexOptions())]
    assert all(r.status == "indexed" for r in results), results
    c.close()
    return path


@pytest.fixture
def copied_db(indexed_db: Path, tmp_path: Path) -> Path:
    """A private copy of the indexed library, for tests that change it."""
    target = tmp_path / "copy.db"
    shutil.copy(indexed_db, target)
    return target


def make_client(path: Path) -> Any:
    import facedesk

    return facedesk.client(database=str(path), store_thumbnails=True)


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    from facedesk.qt.settings import AppSettings

    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot: Any, settings: Any) -> Iterator[Any]:
    """make_window(db_path) -> MainWindow with a controller over a real client."""
    from facedesk.qt.controller import MainController
    from facedesk.qt.main_window import MainWindow

    made: list[tuple[Any, Any]] = []

    def make(db: Path, collection: str | None = None) -> Any:
        client = make_client(db)
        controller = MainController(client)
        window = MainWindow(controller, settings, ask_before_close=False)
        qtbot.addWidget(window)
        window.resize(1200, 800)
        window.show()
        made.append((window, client))
        with qtbot.waitSignal(controller.collection_loaded, timeout=20_000):
            controller.refresh_collections(select=collection)
        return window

    yield make
    for window, client in made:
        window.controller.shutdown()
        window.viewer.loader.shutdown()
        client.close()


def wait_idle(qtbot: Any, window: Any, timeout: int = 30_000) -> None:
    c = window.controller
    qtbot.waitUntil(
        lambda: not c.busy and c.thumbnails.pending == 0 and not window.viewer.loading,
        timeout=timeout,
    )
