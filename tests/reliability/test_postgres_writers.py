"""Several writers on one PostgreSQL library (a real private server, pgserver): three
``facedesk index`` processes given the same folder at once lose nothing, duplicate nothing,
do not deadlock, and analyse each photo once (work claims in the database)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import facedesk
from facedesk.storage.claims import WorkClaims
from facedesk.storage.database import Database

REPO = Path(__file__).resolve().parents[2]
COLLECTION = "shared"


def _cli(url: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "facedesk", "--database", url, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip


def _finish(proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err and "Violation" not in err, err[-3000:]
    return [json.loads(line) for line in out.splitlines()]


def _index(url: str, folder: Path) -> subprocess.Popen[str]:
    return _cli(
        url, "index", "--collection-id", COLLECTION, "--create-collection", "--no-progress",
        str(folder),
    )  # fmt: skip


@pytest.mark.slow
def test_three_index_processes_on_one_folder(
    pg_server: Any, tmp_path: Path, small_photos: dict[str, bytes]
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for copy in range(2):  # two names per photo: two images per photo (ExternalImageId)
        for name, data in small_photos.items():
            (folder / f"c{copy}_{name}").write_bytes(data)
    files = sorted(p.name for p in folder.iterdir())
    url = pg_server.new_database()

    procs = [_index(url, folder) for _ in range(3)]
    outputs = [_finish(p) for p in procs]

    results = [r for out in outputs for r in out]
    assert all(r["status"] in ("indexed", "unchanged") for r in results), results
    assert all(len(out) == len(files) for out in outputs)  # every process answers every file
    indexed = [r for r in results if r["status"] == "indexed"]
    # Each photo was analysed and stored by exactly one process.
    assert sorted(Path(r["path"]).name for r in indexed) == files
    with facedesk.client(database=url) as c:
        faces = c.list_faces(CollectionId=COLLECTION)["Faces"]
        described = c.describe_collection(CollectionId=COLLECTION)["FaceCount"]
        images = c.library.list_images(COLLECTION)
    assert len(faces) == len({f["FaceId"] for f in faces}) == described
    assert len(faces) == sum(r["indexed"] for r in indexed)
    assert sorted(str(i.external_image_id) for i in images) == files

    # The same folder indexed by one process into a new library: the same faces.
    single_url = pg_server.new_database()
    single = _finish(_index(single_url, folder))
    assert sorted(Path(r["path"]).name for r in single if r["status"] == "indexed") == files
    with facedesk.client(database=single_url) as c:
        alone = c.list_faces(CollectionId=COLLECTION)["Faces"]
    assert sorted(f["FaceId"] for f in alone) == sorted(f["FaceId"] for f in faces)
    pg_server.drop_database(url)
    pg_server.drop_database(single_url)


_HOLD_CLAIM = """
import sys, time
from facedesk.storage.database import Database
claims = Database(sys.argv[1]).work_claims("c")
assert claims.try_claim("img", "x")
print("claimed", flush=True)
time.sleep(600)
"""


def test_claims_are_exclusive_and_die_with_their_process(pg_server: Any) -> None:
    from facedesk.core.types import CollectionInfo
    from tests.integration.test_storage_repositories import collection

    url = pg_server.new_database()
    db = Database(url)
    try:
        with db.unit_of_work() as uow:
            info: CollectionInfo = collection("c")
            uow.collections.add(info)
            uow.commit()
        a, b = db.work_claims("c"), db.work_claims("c")
        assert isinstance(a, WorkClaims)
        assert a.try_claim("img", "x") and a.try_claim("img", "x")  # held: granted again
        assert not b.try_claim("img", "x")
        assert b.try_claim("img", None)  # another ExternalImageId is another image
        a.release("img", "x")
        assert b.try_claim("img", "x")
        b.close()  # closing hands back everything it held
        assert a.try_claim("img", "x") and a.try_claim("img", None)
        a.close()

        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLD_CLAIM, url],
            stdout=subprocess.PIPE, text=True, cwd=REPO,
        )  # fmt: skip
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
            c = db.work_claims("c")
            assert not c.try_claim("img", "x")
        finally:
            holder.kill()
            holder.wait()
        deadline = time.monotonic() + 30
        while not c.try_claim("img", "x"):  # the server notices the dead connection
            assert time.monotonic() < deadline, "a killed process kept its claim"
            time.sleep(0.1)
        c.close()
    finally:
        db.dispose()
        pg_server.drop_database(url)
