"""Library.faces_page / image_order on real SQLite: keyset pages in grid order, counts,
filters, cursors that stay right while faces are deleted or added between pages, and the
photo list's orders."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import facedesk
from facedesk.core.errors import ResourceNotFoundException
from facedesk.core.sorting import natural_key
from facedesk.core.types import BoundingBox, ImageInfo, IndexRecord, StoredFace
from facedesk.storage.database import Database

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
CID = "paging"


Library = tuple[Any, list[StoredFace], Path]  # client, its faces, the database file


def _image(n: int) -> ImageInfo:
    # ImageIds deliberately out of step with the names and the insertion order
    return ImageInfo(
        image_id=f"{(n * 37) % 101:08d}-0000-4000-8000-{n:012d}",
        sha256=hashlib.sha256(str(n).encode()).hexdigest(),
        byte_size=1000,
        width=640,
        height=480,
        format="JPEG",
    )


def _face(n: int, img: ImageInfo, ext: str | None, side: float) -> StoredFace:
    return StoredFace(
        face_id=f"{(n * 7919) % 10007:08d}-0000-4000-8000-{n:012d}",
        collection_id=CID,
        image_id=img.image_id,
        external_image_id=ext,
        bounding_box=BoundingBox(left=0.1, top=0.1, width=side, height=side),
        confidence=99.0,
        model_version="6.0",
        embedding=np.zeros(128, dtype=np.float32),
        indexed_at=T0,
    )


def _record(img: ImageInfo, ext: str | None, n_faces: int) -> IndexRecord:
    return IndexRecord(
        collection_id=CID,
        image_id=img.image_id,
        external_image_id=ext,
        response={"FaceRecords": []},
        settings={},
        measurements=(),
        indexed_at=T0,
        face_count=n_faces,
        unindexed_count=0,
        source_path=f"/photos/{ext}",
    )


def _expected_order(faces: list[StoredFace]) -> list[str]:
    """The documented grid order: photo (ImageId, ExternalImageId) by photo, largest first."""
    return [
        f.face_id
        for f in sorted(
            faces,
            key=lambda f: (
                f.image_id,
                f.external_image_id or "",
                -(f.bounding_box.width * f.bounding_box.height),
                f.face_id,
            ),
        )
    ]


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    """40 photos with 1..6 faces of several sizes (two of equal size), one photo under two
    ExternalImageIds and one without any: 140 faces on 41 photos."""
    path = tmp_path / "paging.db"
    client = facedesk.client(database=str(path))
    client.create_collection(CollectionId=CID)
    faces: list[StoredFace] = []
    db = Database(path)
    n = 0
    with db.unit_of_work() as uow:
        for k in range(40):
            img = _image(k)
            uow.images.upsert(img)
            names: list[str | None] = [f"Photo_{k:02d}.JPG"]
            if k == 3:
                names.append("copy_of_03.jpg")  # the same picture indexed twice
            if k == 4:
                names = [None]
            for ext in names:
                mine = []
                for j in range(1 + k % 6):
                    side = 0.05 + 0.03 * ((j * 5) % 7) if j != 2 else 0.05 + 0.03 * 0
                    mine.append(_face(n, img, ext, side))
                    n += 1
                uow.faces.add_many(mine)
                uow.index_records.add(_record(img, ext, len(mine)))
                faces.extend(mine)
        uow.commit()
    db.dispose()
    yield client, faces, path
    client.close()


def _walk(lib: Any, limit: int, **filters: Any) -> list[StoredFace]:
    out: list[StoredFace] = []
    cursor = None
    while True:
        page, cursor = lib.faces_page(CID, cursor, limit, **filters)
        assert len(page) <= limit
        out.extend(page)
        if cursor is None:
            return out
        assert len(page) == limit  # only the last page is short


def test_pages_walk_every_face_once_in_grid_order(
    library: Library,
) -> None:
    client, faces, _ = library
    lib = client.library
    expected = _expected_order(faces)
    for limit in (1, 7, 139, 140, 141, 1000):
        assert [f.face_id for f in _walk(lib, limit)] == expected, limit
    assert [f.face_id for f in lib.faces(CID)] == expected
    assert lib.face_count(CID) == len(faces) == 140
    first, cursor = lib.faces_page(CID, None, 5)
    assert cursor is not None and all(f.embedding.size == 0 for f in first)
    by_id = {f.face_id: f for f in faces}
    assert all(f == by_id[f.face_id] for f in first)  # every field but the descriptor
    # both names of photo 3 are separate photos in the grid, each in one piece
    walked = [(f.image_id, f.external_image_id) for f in lib.faces(CID)]
    runs = [p for i, p in enumerate(walked) if i == 0 or walked[i - 1] != p]
    assert len(runs) == len(set(runs)) == 41


def test_unknown_collection_is_not_found(library: Library) -> None:
    lib = library[0].library
    for name in ("faces_page", "face_count", "image_order"):
        with pytest.raises(ResourceNotFoundException):
            getattr(lib, name)("nope")


def test_deletes_and_inserts_between_pages(library: Library) -> None:
    client, faces, path = library
    lib = client.library
    order = _expected_order(faces)
    page1, cursor = lib.faces_page(CID, None, 20)
    assert [f.face_id for f in page1] == order[:20]
    # delete the cursor's own face, the first face of the next page and one far ahead
    gone = [order[19], order[20], order[100]]
    resp = client.delete_faces(CollectionId=CID, FaceIds=gone)
    assert sorted(resp["DeletedFaces"]) == sorted(gone)
    rest: list[StoredFace] = []
    while cursor is not None:
        page, cursor = lib.faces_page(CID, cursor, 20)
        rest.extend(page)
    assert [f.face_id for f in rest] == [fid for fid in order[21:] if fid not in gone]
    assert lib.face_count(CID) == len(faces) - 3
    # a face added behind the cursor is not shown again later; one ahead of it is
    page1, cursor = lib.faces_page(CID, None, 30)
    last = page1[-1]
    # bigger than every face of the cursor's photo: it sorts before the cursor
    behind = replace(_face(900, _image(0), last.external_image_id, 0.9), image_id=last.image_id)
    last_photo = max(f.image_id for f in faces)
    ahead = replace(_face(901, _image(0), "zzz.jpg", 0.01), image_id=last_photo)
    db = Database(path)
    try:
        with db.unit_of_work() as uow:
            uow.faces.add_many([behind, ahead])
            uow.commit()
    finally:
        db.dispose()
    later: list[str] = []
    while cursor is not None:
        page, cursor = lib.faces_page(CID, cursor, 30)
        later.extend(f.face_id for f in page)
    assert ahead.face_id in later and behind.face_id not in later
    assert later[-1] == ahead.face_id


def test_filters_and_their_counts(library: Library) -> None:
    client, faces, _ = library
    lib = client.library
    order = _expected_order(faces)
    # a person whose faces lie on different pages
    picked = [order[5], order[77], order[-1]]
    client.create_user(CollectionId=CID, UserId="ann")
    client.associate_faces(CollectionId=CID, UserId="ann", FaceIds=picked)
    assert [f.face_id for f in _walk(lib, 2, user_id="ann")] == picked
    assert lib.face_count(CID, user_id="ann") == 3
    assert _walk(lib, 10, user_id="nobody") == [] and lib.face_count(CID, user_id="nobody") == 0
    # ExternalImageId part, any case; None never matches a text
    want = [f for f in order if (ext := _ext(faces, f)) and "photo_1" in ext.lower()]
    got = _walk(lib, 4, name_contains="PHOTO_1")
    assert [f.face_id for f in got] == want and len(want) > 4
    assert lib.face_count(CID, name_contains="pHoTo_1") == len(want)
    # LIKE's wildcards and the escape character are literal text
    assert _walk(lib, 10, name_contains="Photo%") == []
    assert _walk(lib, 10, name_contains="_0") != []  # "Photo_0x" has an underscore
    assert _walk(lib, 10, name_contains="o_0") == _walk(lib, 10, name_contains="O_0")
    assert _walk(lib, 10, name_contains="/") == []
    # both filters at once
    both = _walk(lib, 10, user_id="ann", name_contains=_ext(faces, order[77]))
    assert [f.face_id for f in both] == [order[77]]
    assert lib.face_count(CID, user_id="ann", name_contains="zzz") == 0


def _ext(faces: list[StoredFace], face_id: str) -> str | None:
    return next(f.external_image_id for f in faces if f.face_id == face_id)


def test_image_orders_and_pages_match_list_images(library: Library) -> None:
    client, faces, _ = library
    lib = client.library
    client.delete_faces(CollectionId=CID, FaceIds=[faces[-1].face_id])
    listed = lib.list_images(CID)
    key = lambda s: (s.image_id, s.external_image_id or "")  # noqa: E731
    for sort in ("name", "date", "faces"):
        ids = lib.image_order(CID, sort)
        paged = [
            s
            for start in range(0, len(ids), 6)
            for s in lib.images_by_id(CID, ids[start : start + 6])
        ]
        assert sorted(paged, key=key) == sorted(listed, key=key), sort
        if sort == "name":
            shown = [s.external_image_id or s.image_id[:8] for s in paged]
            assert shown == sorted(shown, key=natural_key)
            # a photo without a name shows (and sorts by) its ImageId's start: "00000047"
            assert [s.external_image_id for s in paged[:2]] == [None, "copy_of_03.jpg"]
        if sort == "faces":
            counts = [s.face_count for s in paged]
            assert counts == sorted(counts, reverse=True)
    assert len(listed) == 41
    assert sum(s.face_count for s in listed) == len(faces) - 1
    # ids of photos gone meanwhile are skipped; unknown sorts are refused
    assert (
        lib.images_by_id(CID, [-5, *lib.image_order(CID)[:2]])[0]
        == lib.images_by_id(CID, lib.image_order(CID)[:1])[0]
    )
    with pytest.raises(ValueError):
        lib.image_order(CID, "size")
    copy = lib.image_summary(CID, _image(3).image_id, "copy_of_03.jpg")
    assert copy is not None and copy.face_count == 1 + 3 % 6
    assert copy.source_path == "/photos/copy_of_03.jpg"
    assert lib.image_summary(CID, _image(3).image_id, "other.jpg") is None
    nameless = lib.image_summary(CID, _image(4).image_id, None)
    assert nameless is not None and nameless.external_image_id is None
