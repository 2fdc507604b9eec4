"""Writers in parallel threads and processes queue on SQLite's lock instead of failing."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from facedesk.core.types import BoundingBox, CollectionInfo, ImageInfo, StoredFace
from facedesk.storage.database import HEAD_REVISION, Database

IMAGE = ImageInfo("img-0", "0" * 64, 10, 4, 3, "JPEG")


def _prepare(path: Path) -> None:
    db = Database(path)
    with db.unit_of_work() as uow:
        uow.collections.add(CollectionInfo("shared", "6.0", "arn", datetime.now(UTC)))
        uow.images.upsert(IMAGE)
        uow.commit()
    db.dispose()


def _face(writer: str, n: int) -> StoredFace:
    return StoredFace(
        face_id=f"{writer}-{n:05d}",
        collection_id="shared",
        image_id=IMAGE.image_id,
        external_image_id=writer,
        bounding_box=BoundingBox(0.1, 0.1, 0.2, 0.2),
        confidence=99.0,
        model_version="6.0",
        embedding=np.full(128, n, dtype=np.float32),
    )


def write_rows(path: str, writer: str, rows: int) -> None:
    """One transaction per row; each reads before it writes (the lock-upgrade pattern)."""
    db = Database(path)
    try:
        for n in range(rows):
            with db.unit_of_work() as uow:
                uow.faces.count("shared")
                uow.faces.add_many([_face(writer, n)])
                uow.commit()
    finally:
        db.dispose()


def _face_ids(path: Path) -> list[str]:
    db = Database(path)
    try:
        with db.unit_of_work(read_only=True) as uow:
            ids, matrix = uow.faces.embeddings("shared")
        assert matrix.shape == (len(ids), 128)
        return ids
    finally:
        db.dispose()


def test_two_threads_write_through_separate_units_of_work(tmp_path: Path) -> None:
    path = tmp_path / "threads.db"
    _prepare(path)
    db = Database(path)
    errors: list[BaseException] = []

    def work(writer: str) -> None:
        try:
            for n in range(100):
                with db.unit_of_work() as uow:
                    uow.faces.count("shared")
                    uow.faces.add_many([_face(writer, n)])
                    uow.commit()
                with db.unit_of_work(read_only=True) as uow:
                    uow.faces.get_many("shared", [f"{writer}-{n:05d}"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("ta", "tb")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.dispose()
    assert errors == []
    ids = _face_ids(path)
    assert len(ids) == 200 and len(set(ids)) == 200


def test_two_processes_write_200_rows_each(tmp_path: Path) -> None:
    path = tmp_path / "procs.db"
    _prepare(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=write_rows, args=(str(path), w, 200)) for w in ("pa", "pb")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    ids = _face_ids(path)
    assert ids == sorted([f"pa-{n:05d}" for n in range(200)] + [f"pb-{n:05d}" for n in range(200)])


@pytest.mark.slow
def test_processes_opening_a_new_database_at_once(tmp_path: Path) -> None:
    # Both run the baseline migration concurrently; BEGIN IMMEDIATE serialises them.
    path = tmp_path / "fresh" / "new.db"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_open_and_close, args=(str(path),)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    db = Database(path)
    try:
        assert db.current_revision() == HEAD_REVISION
    finally:
        db.dispose()


def _open_and_close(path: str) -> None:
    Database(path).dispose()
