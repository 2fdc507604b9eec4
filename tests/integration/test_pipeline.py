"""The indexing pipeline (facedesk.service.pipeline) on real photos and real SQLite:
one event per file, errors per file, skip-unchanged, cancel, processes == threads, and
decoding large photos at the working resolution."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import facedesk
from facedesk.core.progress import CancelToken
from facedesk.engine import RELAXED_LIMITS, decode_image
from facedesk.service.indexing import FileResult, IndexOptions
from facedesk.service.pipeline import WORKING_FACE_PX

SMALL = [
    "real/face_recognition/obama_small.jpg",
    "real/face_recognition/two_people.jpg",
    "real/dlib/2009_004587.jpg",
    "real/dlib/2008_007676.jpg",
    "real/skimage/astronaut.png",
    "real/mtcnn/no-faces.jpg",
]


def _copy(testdata: Path, folder: Path, rels: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i, rel in enumerate(rels):
        dst = folder / f"{i:02d}_{Path(rel).name}"
        shutil.copyfile(testdata / rel, dst)
        out.append(dst)
    return out


def _run(client: Any, folder: Path, **opts: Any) -> list[FileResult]:
    options = IndexOptions(**opts)
    return [e.result for e in client.library.iter_index_files("c", [folder], options)]


@pytest.fixture
def fd(tmp_path: Path) -> Any:
    c = facedesk.client(database=str(tmp_path / "p.db"), store_thumbnails=True)
    c.create_collection(CollectionId="c")
    yield c
    c.close()


def _db_consistent(client: Any) -> dict[tuple[str, str | None], int]:
    """Faces per (image, ExternalImageId) in the database (the same bytes under two file
    names are two sets of faces); every index record's faces are all there."""
    lib = client.library
    per_image: dict[tuple[str, str | None], int] = {}
    for f in lib.faces("c"):
        key = (f.image_id, f.external_image_id)
        per_image[key] = per_image.get(key, 0) + 1
    for s in lib.list_images("c"):
        record = lib.index_record("c", s.image_id, s.external_image_id)
        assert record is not None
        assert per_image.get((s.image_id, s.external_image_id), 0) == record.face_count, s
    return per_image


def test_one_event_per_file_with_bad_files_in_the_batch(
    fd: Any, tmp_path: Path, testdata: Path
) -> None:
    folder = tmp_path / "in"
    good = _copy(testdata, folder, SMALL)
    shutil.copyfile(testdata / "derived/corrupt_scan.jpg", folder / "zz_corrupt.jpg")
    (folder / "zz_text.jpg").write_text("not a picture")
    (folder / "zz_folder.jpg").mkdir()
    (folder / "zz_folder.jpg" / "inner.txt").write_text("x")
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "zz_pipe.jpg")
    results = _run(fd, folder, workers=2)
    paths = [r.path for r in results]
    assert len(paths) == len(set(paths)), "a file reported twice"
    by_name = {Path(r.path).name: r for r in results}
    assert {p.name for p in good} <= set(by_name)
    for p in good:
        assert by_name[p.name].status == "indexed", by_name[p.name]
    assert by_name["zz_corrupt.jpg"].error_code == "InvalidImageFormatException"
    assert by_name["zz_text.jpg"].error_code == "InvalidImageFormatException"
    if hasattr(os, "mkfifo"):
        assert by_name["zz_pipe.jpg"].status == "error"
        assert by_name["zz_pipe.jpg"].error_code == "NotARegularFileError"
    assert by_name["02_2009_004587.jpg"].indexed + by_name["02_2009_004587.jpg"].unindexed == 2
    assert by_name["05_no-faces.jpg"].indexed == 0
    per_image = _db_consistent(fd)
    assert sum(per_image.values()) == sum(r.indexed for r in results)


def test_processes_and_one_thread_find_the_same_faces(tmp_path: Path, testdata: Path) -> None:
    folder = tmp_path / "in"
    _copy(testdata, folder, SMALL)
    counts = []
    for workers in (1, 2):
        c = facedesk.client(database=str(tmp_path / f"w{workers}.db"))
        c.create_collection(CollectionId="c")
        results = _run(c, folder, workers=workers, quality_filter="NONE")
        counts.append(sorted((Path(r.path).name, r.indexed, r.unindexed) for r in results))
        c.close()
    assert counts[0] == counts[1]


def _records_hold_their_faces(client: Any, quality_filter: str) -> None:
    """Each record has the batch's settings and lists every face stored from its image."""
    lib = client.library
    for img in lib.list_images("c"):
        record = lib.index_record("c", img.image_id, img.external_image_id)
        assert record is not None and record.settings["QualityFilter"] == quality_filter
        listed = {r["Face"]["FaceId"] for r in record.response.get("FaceRecords", [])}
        stored = lib.faces("c")
        mine = {
            f.face_id
            for f in stored
            if (f.image_id, f.external_image_id) == (img.image_id, img.external_image_id)
        }
        assert mine <= listed and len(listed) - len(mine) <= 1, img


def test_skip_unchanged_then_reindex_after_settings_change(
    fd: Any, tmp_path: Path, testdata: Path
) -> None:
    """The batch rule (README, "Re-indexing after a settings change").

    Same file, same settings: skipped. Other settings: analysed again and the stored faces
    replaced (faces both settings keep stay, user included). The API keeps Rekognition's
    dedupe: the same bytes and ExternalImageId return the stored faces whatever the settings.
    """
    folder = tmp_path / "in"
    # 2008_007676 has faces AUTO leaves out (small, low confidence) that NONE keeps.
    _copy(testdata, folder, SMALL[:4])
    first = _run(fd, folder)
    assert [r.status for r in first] == ["indexed"] * 4
    auto_ids = {f.face_id for f in fd.library.faces("c")}
    assert len(auto_ids) == sum(r.indexed for r in first)
    again = _run(fd, folder)
    assert sorted(r.status for r in again) == ["unchanged"] * 4
    assert sorted((r.path, r.indexed) for r in again) == sorted((r.path, r.indexed) for r in first)

    kept, gone = sorted(auto_ids)[:2]
    fd.create_user(CollectionId="c", UserId="someone")
    fd.associate_faces(CollectionId="c", UserId="someone", FaceIds=[kept])
    fd.delete_faces(CollectionId="c", FaceIds=[gone])
    auto_ids.discard(gone)
    changed = _run(fd, folder, quality_filter="NONE")
    assert sorted(r.status for r in changed) == ["indexed"] * 4
    assert all(r.unindexed == 0 for r in changed)
    none_ids = {f.face_id for f in fd.library.faces("c")}
    assert len(none_ids) == sum(r.indexed for r in changed) > len(auto_ids)
    assert auto_ids < none_ids  # same bytes, box and model: same FaceIds
    assert gone not in none_ids  # a face the user deleted stays deleted
    assert [f.user_id for f in fd.library.faces("c") if f.face_id == kept] == ["someone"]
    _records_hold_their_faces(fd, "NONE")
    assert sorted(r.status for r in _run(fd, folder, quality_filter="NONE")) == ["unchanged"] * 4

    # Back to AUTO: the faces only NONE kept are deleted again, the rest untouched.
    back = _run(fd, folder)
    assert sorted(r.status for r in back) == ["indexed"] * 4
    assert {f.face_id for f in fd.library.faces("c")} == auto_ids
    _records_hold_their_faces(fd, "AUTO")

    # The API: same bytes and ExternalImageId, other QualityFilter -> the stored answer.
    data = (folder / "03_2008_007676.jpg").read_bytes()
    r = fd.index_faces(
        CollectionId="c",
        Image={"Bytes": data},
        ExternalImageId="03_2008_007676.jpg",
        QualityFilter="NONE",
    )
    assert "UnindexedFaces" in r
    assert {f["Face"]["FaceId"] for f in r["FaceRecords"]} <= auto_ids
    assert {f.face_id for f in fd.library.faces("c")} == auto_ids


def test_cancel_stops_and_leaves_every_image_whole(fd: Any, tmp_path: Path, testdata: Path) -> None:
    folder = tmp_path / "in"
    _copy(testdata, folder, SMALL * 2)  # 12 files
    token = CancelToken()
    seen: list[FileResult] = []
    for event in fd.library.iter_index_files("c", [folder], IndexOptions(workers=2), token):
        seen.append(event.result)
        token.cancel()
    assert 1 <= len(seen) < 12
    alive = [t for t in threading.enumerate() if t.name.startswith("facedesk-")]
    assert not alive, alive
    per_image = _db_consistent(fd)
    indexed = {(r.image_id, r.external_image_id) for r in seen if r.status == "indexed"}
    # Every committed image was reported, and nothing unreported was committed.
    assert set(per_image) <= indexed
    assert len(fd.library.list_images("c")) == len(indexed)


def test_closing_the_generator_early_stops_the_threads(
    fd: Any, tmp_path: Path, testdata: Path
) -> None:
    folder = tmp_path / "in"
    _copy(testdata, folder, SMALL)
    gen = fd.library.iter_index_files("c", [folder], IndexOptions(workers=2))
    next(gen)
    gen.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("facedesk-")]
    _db_consistent(fd)


def _upscaled(testdata: Path, rel: str, dst: Path, size: tuple[int, int]) -> Path:
    im = Image.open(testdata / rel).convert("RGB").resize(size, Image.Resampling.LANCZOS)
    im.save(dst, format="JPEG", quality=90)
    return dst


def test_working_resolution_decode(testdata: Path, tmp_path: Path) -> None:
    small = decode_image(
        (testdata / SMALL[1]).read_bytes(), RELAXED_LIMITS, working_face_px=WORKING_FACE_PX
    )
    assert small.scale == 1.0  # 1126x661: the minimum face is 40 px, kept at full size
    big_path = _upscaled(testdata, SMALL[1], tmp_path / "big.jpg", (4000, 3000))
    big = decode_image(big_path.read_bytes(), RELAXED_LIMITS, working_face_px=WORKING_FACE_PX)
    assert (big.width, big.height) == (4000, 3000)
    # 4000x3000: minimum face 111 px -> 80 px at 0.72 of the size.
    assert big.scale == pytest.approx(0.72, abs=0.01)
    assert big.pixels.shape[:2] == (round(3000 * big.scale), round(4000 * big.scale))


@pytest.mark.slow
def test_twelve_megapixel_photo_finds_its_faces_in_full_size_coordinates(
    fd: Any, tmp_path: Path, testdata: Path
) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    _upscaled(testdata, "real/face_recognition/two_people.jpg", folder / "a.jpg", (4000, 3000))
    _upscaled(testdata, "real/dlib/2009_004587.jpg", folder / "b.jpg", (3000, 4000))
    results = {Path(r.path).name: r for r in _run(fd, folder, quality_filter="NONE")}
    assert results["a.jpg"].indexed == 2 and results["b.jpg"].indexed == 2
    for s in fd.library.list_images("c"):
        record = fd.library.index_record("c", s.image_id, s.external_image_id)
        assert record is not None
        assert record.settings["Image"]["Scale"] < 1.0
        for face in record.response["FaceRecords"]:
            box = face["Face"]["BoundingBox"]
            assert 0.0 <= box["Left"] < 1.0 and 0.0 < box["Width"] < 0.5


def test_processes_started_early_are_taken_by_the_batch(
    fd: Any, tmp_path: Path, testdata: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``start_analysis_early`` (the index command calls it before opening the database):
    the batch takes those processes instead of starting its own, finds the same faces,
    and a pool that does not fit the batch, or that no batch takes, is shut down."""
    from facedesk.service import analysis_pool
    from facedesk.service.indexing import start_analysis_early

    folder = tmp_path / "in"
    _copy(testdata, folder, SMALL[:3])
    options = IndexOptions(workers=2, quality_filter="NONE")
    start_analysis_early(3, options, store_thumbnails=True)
    early = analysis_pool._early
    assert early is not None and early.workers == 1
    taken: list[object] = []
    real_take = analysis_pool.take_early

    def spy(workers: int, store_thumbnails: bool) -> object:
        pool = real_take(workers, store_thumbnails)
        taken.append(pool)
        return pool

    monkeypatch.setattr("facedesk.service.pipeline.take_early", spy)
    results = _run(fd, folder, workers=2, quality_filter="NONE")
    assert taken == [early] and analysis_pool._early is None
    assert sorted((Path(r.path).name, r.indexed) for r in results) == [
        ("00_obama_small.jpg", 1),
        ("01_two_people.jpg", 2),
        ("02_2009_004587.jpg", 2),
    ]

    # one file: no processes wanted at all
    start_analysis_early(1, options, store_thumbnails=True)
    assert analysis_pool._early is None
    # without thumbnails the early pool does not fit this client's batch: shut down
    start_analysis_early(3, options, store_thumbnails=False)
    unfit = analysis_pool._early
    assert unfit is not None
    assert analysis_pool.take_early(1, store_thumbnails=True) is None
    assert analysis_pool._early is None
    with pytest.raises(RuntimeError):
        unfit._pool.submit(int)  # shut down
    start_analysis_early(3, options, store_thumbnails=True)
    analysis_pool.discard_early()
    assert analysis_pool._early is None
