"""Checks of a facedesk SQLite file made with plain sqlite3 (independent of facedesk's code)."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from pathlib import Path


def check_database(path: Path) -> dict[str, set[str]]:
    """Assert the file is sound and every image's faces are all there or all absent.

    Returns the face ids per collection. A file without facedesk's tables yet (killed
    while being created) passes with no faces.
    """
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "index_records" not in tables:
            return {}
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        assert len(version) == 1, version

        stored: dict[tuple[int, str, str], set[str]] = defaultdict(set)
        for pk, image_id, eid, face_id in conn.execute(
            "SELECT collection_pk, image_id, COALESCE(external_image_id, ''), face_id FROM faces"
        ):
            stored[(pk, image_id, eid)].add(face_id)
        records: dict[tuple[int, str, str], set[str]] = {}
        for pk, image_id, eid, response, face_count in conn.execute(
            "SELECT collection_pk, image_id, external_image_id, response, face_count "
            "FROM index_records"
        ):
            body = json.loads(response)
            face_ids = {r["Face"]["FaceId"] for r in body.get("FaceRecords", [])}
            assert len(face_ids) == face_count, (image_id, eid)
            records[(pk, image_id, eid)] = face_ids
        for key, face_ids in records.items():
            assert stored.get(key, set()) == face_ids, f"partial faces for {key}"
        orphans = set(stored) - set(records)
        assert not orphans, f"faces without an index record: {sorted(orphans)[:3]}"

        images = {r[0] for r in conn.execute("SELECT image_id FROM images")}
        assert {key[1] for key in stored} <= images, "faces without their image"
        assert {key[1] for key in records} <= images, "index records without their image"
        faces = {r[0] for r in conn.execute("SELECT face_id FROM faces")}
        thumbs = {r[0] for r in conn.execute("SELECT face_id FROM face_thumbnails")}
        assert thumbs <= faces, "thumbnails without a face"

        by_collection: dict[str, set[str]] = defaultdict(set)
        names = dict(conn.execute("SELECT pk, collection_id FROM collections").fetchall())
        for (pk, _, _), face_ids in stored.items():
            by_collection[names[pk]] |= face_ids
        return dict(by_collection)
    finally:
        conn.close()
