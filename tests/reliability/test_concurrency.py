"""Concurrent writers on one database: the GUI worker path beside ``facedesk index``, and two
``facedesk index`` processes at once. No "database is locked", both finish, state consistent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import facedesk
from facedesk.service.indexing import FileResult
from tests.reliability.consistency import check_database

REPO = Path(__file__).resolve().parents[2]
COLLECTION = "shared"


def _folder(root: Path, name: str, photos: dict[str, bytes], count: int) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    sources = sorted(photos.items())
    for i in range(count):
        src, data = sources[i % len(sources)]
        (folder / f"{name}_{i:02d}_{src}").write_bytes(data)
    return folder


def _cli(db: Path, *paths: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "facedesk", "--database", str(db), "index",
         "--collection-id", COLLECTION, "--create-collection", "--no-progress",
         *map(str, paths)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip


def _finish(proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = proc.communicate(timeout=600)
    assert "locked" not in err.lower(), err
    assert proc.returncode == 0, err[-2000:]
    return [json.loads(line) for line in out.splitlines()]


def _assert_final_state(db: Path, files: set[str]) -> None:
    faces = check_database(db)
    with facedesk.client(database=str(db)) as c:
        images = c.library.list_images(COLLECTION)
        listed = {f["FaceId"] for f in c.list_faces(CollectionId=COLLECTION)["Faces"]}
        described = c.describe_collection(CollectionId=COLLECTION)["FaceCount"]
    assert {str(i.external_image_id) for i in images} == {Path(f).name for f in files}
    assert listed == faces[COLLECTION]
    assert described == len(listed) > 0


def test_gui_worker_thread_beside_a_cli_process(
    tmp_path: Path, small_photos: dict[str, bytes]
) -> None:
    db = tmp_path / "both.db"
    gui_only = _folder(tmp_path, "gui", small_photos, 24)
    cli_only = _folder(tmp_path, "cli", small_photos, 24)
    common = _folder(tmp_path, "common", small_photos, 12)  # both index these files
    with facedesk.client(database=str(db), store_thumbnails=True) as c:
        c.create_collection(CollectionId=COLLECTION)
        proc = _cli(db, cli_only, common)
        results: list[FileResult] = []
        failures: list[BaseException] = []
        searches: list[int] = []

        def worker() -> None:  # what the GUI's indexing worker runs on its thread
            try:
                for event in c.library.iter_index_files(COLLECTION, [str(gui_only), str(common)]):
                    results.append(event.result)
                    if len(results) % 8 == 0:  # the app also searches while indexing
                        face_id = c.list_faces(CollectionId=COLLECTION, MaxResults=1)["Faces"]
                        if face_id:
                            found = c.search_faces(
                                CollectionId=COLLECTION, FaceId=face_id[0]["FaceId"]
                            )
                            searches.append(len(found["FaceMatches"]))
            except BaseException as exc:  # reported below
                failures.append(exc)

        thread = threading.Thread(target=worker)
        thread.start()
        cli_results = _finish(proc)
        thread.join(timeout=600)
        assert not thread.is_alive()
    assert not failures, failures
    assert [r for r in results if r.status == "error"] == []
    assert [r for r in cli_results if r["status"] == "error"] == []
    assert len(results) == 36 and len(cli_results) == 36
    assert searches, "the worker searched while the CLI wrote"
    files = {r.path for r in results} | {r["path"] for r in cli_results}
    assert len(files) == 60
    _assert_final_state(db, files)


def test_two_cli_processes_at_once(tmp_path: Path, small_photos: dict[str, bytes]) -> None:
    db = tmp_path / "two.db"  # does not exist yet: both create and migrate it at once
    a = _folder(tmp_path, "a", small_photos, 24)
    b = _folder(tmp_path, "b", small_photos, 24)
    common = _folder(tmp_path, "common", small_photos, 12)
    first, second = _cli(db, a, common), _cli(db, b, common)
    results = _finish(first) + _finish(second)
    assert [r for r in results if r["status"] == "error"] == []
    assert len(results) == 72
    # A common file is stored once: by whichever process got there first.
    stored = [r for r in results if r["status"] == "indexed"]
    assert len({r["path"] for r in stored}) == len(stored) == 60
    _assert_final_state(db, {r["path"] for r in results})
