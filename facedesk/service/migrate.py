"""``facedesk migrate --from URL --to URL``: move a library between databases, then check it.

The copy itself is facedesk.storage.transfer (every table, keys kept, one transaction). Then
the check: the row counts of every table match, and in each collection a search for a stored
face gives the same matches above the default threshold, with the same similarities, on both
sides (SQLite searches in process, PostgreSQL in pgvector: this is where a broken embedding
conversion would show).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from facedesk.service.client import Client

# Collections checked by a search after the copy (each costs two searches).
_SEARCH_CHECKS = 20


class MigrationCheckError(RuntimeError):
    """The copy finished but does not match its source (the target is left for inspection)."""


def _matches(client: Client, collection_id: str, face_id: str) -> list[tuple[str, float]]:
    r = client.search_faces(CollectionId=collection_id, FaceId=face_id, MaxFaces=10)
    return [(m["Face"]["FaceId"], m["Similarity"]) for m in r["FaceMatches"]]


def migrate_library(
    from_url: str, to_url: str, progress: Callable[[str, int], None] | None = None
) -> dict[str, Any]:
    """Copy the library at ``from_url`` into the empty one at ``to_url`` and verify it."""
    from facedesk.storage.transfer import copy_library, index_checks, row_counts

    with Client(database=from_url) as source, Client(database=to_url) as target:
        src_db, dst_db = source.context.db, target.context.db
        if src_db.url == dst_db.url:
            raise ValueError("--from and --to name the same database")
        for db in (src_db, dst_db):
            if db.index_checks is not None:
                # The target's indexes are checked below, in the foreground, once built: a
                # background check would take a collection's lock from this report.
                db.index_checks.close()
        report = copy_library(src_db, dst_db, progress)
        before, after = row_counts(src_db), row_counts(dst_db)
        if before != after:
            raise MigrationCheckError(f"row counts differ after the copy: {before} != {after}")
        # PostgreSQL: which collections may search through their new HNSW index, and with
        # which first candidate list (facedesk.storage.postgres_check).
        checked = index_checks(dst_db)
        searched: dict[str, int] = {}
        collections = [c["CollectionId"] for c in _all_collections(source)][:_SEARCH_CHECKS]
        for cid in collections:
            faces = source.list_faces(CollectionId=cid, MaxResults=1)["Faces"]
            if not faces:
                continue
            fid = faces[0]["FaceId"]
            want, got = _matches(source, cid, fid), _matches(target, cid, fid)
            if want != got:
                raise MigrationCheckError(
                    f"a search in {cid} for face {fid} differs after the copy: {want} != {got}"
                )
            searched[cid] = len(got)
    return {
        "From": repr(src_db),
        "To": repr(dst_db),
        "Rows": report.rows,
        "SearchChecks": searched,
        "IndexChecks": checked,
    }


def _all_collections(client: Client) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"NextToken": token} if token else {}
        page = client.list_collections(**kwargs)
        out += [{"CollectionId": c} for c in page["CollectionIds"]]
        token = page.get("NextToken")
        if not token:
            return out
