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


# The client behind each window made by make_window: the GUI has only its Library, tests
# set data up through the boto3-shaped client on the same service context.
_CLIENTS: dict[int, Any] = {}


def client_of(window: Any) -> Any:
    return _CLIENTS[id(window)]


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
        _CLIENTS[id(window)] = client
        with qtbot.waitSignal(controller.collection_loaded, timeout=20_000):
            controller.refresh_collections(select=collection)
        return window

    yield make
    for window, client in made:
        window.controller.shutdown()
        window.viewer.loader.shutdown()
        client.close()
        _CLIENTS.pop(id(window), None)


def wait_idle(qtbot: Any, window: Any, timeout: int = 30_000) -> None:
    c = window.controller
    qtbot.waitUntil(
        lambda: not c.busy and c.thumbnails.pending == 0 and not window.viewer.loading,
        timeout=timeout,
    )


MANY_FACES = 1061  # two full pages of the face grid (512) and a partial third
FACES_PER_PHOTO = 5


def fill_collection(path: Path, collection: str, n_faces: int, per_photo: int) -> None:
    """A collection of synthetic rows written through the storage repositories: photos of
    ``per_photo`` faces with index records, no thumbnails and no source files (the grid
    shows placeholders). Indexing real photos would take minutes for a thousand faces."""
    from datetime import UTC, datetime

    import numpy as np

    import facedesk
    from facedesk.core.types import BoundingBox, ImageInfo, IndexRecord, StoredFace
    from facedesk.storage.database import Database

    with facedesk.client(database=str(path)) as client:
        client.create_collection(CollectionId=collection)
        version = client.describe_collection(CollectionId=collection)["FaceModelVersion"]
    rng = np.random.default_rng(7)
    now = datetime.now(UTC)
    db = Database(path)
    try:
        with db.unit_of_work() as uow:
            for k in range(-(-n_faces // per_photo)):
                # ImageIds out of ExternalImageId order: the grid follows ImageId
                image_id = f"{(k * 7919) % 100_003:08x}-0000-4000-8000-{k:012x}"
                eid = f"photo_{k:04d}.jpg"
                uow.images.upsert(ImageInfo(image_id, f"{k:064x}", 1000, 800, 600, "JPEG"))
                faces = []
                for j in range(min(per_photo, n_faces - k * per_photo)):
                    w = float(rng.uniform(0.05, 0.2))
                    faces.append(
                        StoredFace(
                            face_id=f"{k:08x}-{j:04x}-4000-8000-{k * per_photo + j:012x}",
                            collection_id=collection,
                            image_id=image_id,
                            external_image_id=eid,
                            bounding_box=BoundingBox(0.05 + 0.18 * j, 0.3, w, w * 1.3),
                            confidence=99.0,
                            model_version=version,
                            embedding=rng.standard_normal(128).astype(np.float32),
                            indexed_at=now,
                        )
                    )
                uow.faces.add_many(faces)
                uow.index_records.add(
                    IndexRecord(
                        collection_id=collection,
                        image_id=image_id,
                        external_image_id=eid,
                        response={"FaceRecords": [{"Face": f.to_face_dict()} for f in faces]},
                        settings={"QualityFilter": "AUTO"},
                        measurements=(),
                        indexed_at=now,
                        face_count=len(faces),
                        unindexed_count=0,
                    )
                )
            uow.collections.bump_generation(collection)
            uow.commit()
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def many_faces_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Collection 'many': MANY_FACES faces, FACES_PER_PHOTO per photo (read-only use)."""
    path = tmp_path_factory.mktemp("many") / "many.db"
    fill_collection(path, "many", MANY_FACES, FACES_PER_PHOTO)
    return path


@pytest.fixture
def many_faces_copy(many_faces_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "many.db"
    shutil.copy(many_faces_db, target)
    return target
