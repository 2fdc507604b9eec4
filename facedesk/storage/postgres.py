"""PostgreSQL only: nearest-neighbour search in the database (pgvector) and its indexes.

Each collection has its own partial HNSW index (``WHERE collection_pk = <pk>``): pgvector 0.6
applies a WHERE clause to the rows an index scan returns, after the fact, so one index over all
collections would hand a small collection's query mostly other collections' faces. A query asks
the index for candidates, then re-ranks them exactly in float32 with the same function the
in-process index uses (:func:`facedesk.core.similarity.exact_distances`), so distances and
similarities are bit-identical to the SQLite path; only which faces are candidates is
approximate (HNSW recall, measured in bench/postgres.py).

When every candidate passes the threshold, the index may have cut the list short: the query
then runs as an exact scan in the database (index scans off), which still streams only the
matching rows to this process.

How long the first candidate list is, or whether the index is used at all, is decided by
:mod:`facedesk.storage.postgres_check`, which checks the index on the collection's own faces:
HNSW's recall depends on the data and the size (0.58 at 1M of bench/postgres.py's faces).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Float, bindparam, func, literal_column, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from facedesk.core.similarity import exact_distances
from facedesk.storage.orm import HNSW_INDEX_PREFIX, Embedding, FaceRow

# pgvector's hnsw.ef_search ranges 1..1000: an HNSW scan returns at most that many rows.
MAX_CANDIDATES = 1000
MIN_EF_SEARCH = 200
#: ``first_list`` of a search that does not use the index: an exact scan in the database.
EXACT = 0
_FIRST_STAGE = 50
# Extra candidates per wanted face: a near tie just outside the index's top-k can still be
# among the exact top-k after the re-rank.
_OVERFETCH = 2
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
# Plans other than the HNSW index scan, turned off around an index search; index scans,
# turned off around an exact one.
_INDEX_ONLY = ("enable_seqscan", "enable_bitmapscan", "enable_sort")
_NO_INDEX = ("enable_indexscan",)


def _planner(session: Session, settings: tuple[str, ...], on: bool) -> None:
    """Turn planner ``settings`` on or off for this transaction. Each search turns them back
    on after its one statement: left off, they would shape the caller's later queries."""
    value = "on" if on else "off"
    calls = ", ".join(f"set_config('{name}', '{value}', true)" for name in settings)
    session.execute(text(f"SELECT {calls}"))


def index_name(collection_pk: int) -> str:
    return f"{HNSW_INDEX_PREFIX}{int(collection_pk)}"


def create_hnsw_index(session: Session | Connection, collection_pk: int) -> None:
    pk = int(collection_pk)  # an int from our own table: safe to write into the DDL
    session.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS {index_name(pk)} ON faces "
            f"USING hnsw (embedding vector_l2_ops) "
            f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
            f"WHERE collection_pk = {pk}"
        )
    )


def has_hnsw_index(session: Session | Connection, collection_pk: int) -> bool:
    """Whether the collection's HNSW index exists (committed): ``facedesk migrate`` loads
    the rows first and builds the indexes after."""
    name = index_name(collection_pk)
    return bool(
        session.execute(text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar()
    )


def drop_hnsw_index(session: Session, collection_pk: int) -> None:
    session.execute(text(f"DROP INDEX IF EXISTS {index_name(int(collection_pk))}"))


def _candidate_limits(wanted: int, first_list: int) -> list[int]:
    """Candidate list sizes to try. A search with a threshold and a large MaxFaces (the
    default is 4096) usually has a few matches: a short list answers it, and only when every
    candidate matched does the next, longer list run."""
    first = min(MAX_CANDIDATES, max(first_list, min(wanted, _FIRST_STAGE) * _OVERFETCH))
    last = min(MAX_CANDIDATES, max(first_list, wanted * _OVERFETCH))
    return [first] if last == first else [first, last]


def _rerank(
    rows: list[Any],
    query: np.ndarray,
    k: int,
    max_distance: float | None,
    exclude: set[str],
) -> list[tuple[str, float]]:
    kept = [(str(fid), blob) for fid, blob in rows if fid not in exclude]
    if not kept:
        return []
    matrix = np.frombuffer(b"".join(blob for _, blob in kept), dtype="<f4").reshape(len(kept), -1)
    exact = exact_distances(matrix.astype(np.float32, copy=False), query)
    scored = sorted(zip(exact.tolist(), (fid for fid, _ in kept), strict=True))
    return [(fid, d) for d, fid in scored if max_distance is None or d <= max_distance][:k]


def nearest(
    session: Session,
    collection_pk: int,
    query: np.ndarray,
    k: int,
    max_distance: float | None,
    exclude: set[str] | None = None,
    *,
    first_list: int,
) -> list[tuple[str, float]]:
    """The ``k`` nearest faces of the collection as (face_id, distance), nearest first, with
    distance <= ``max_distance``; ties in FaceId order. ``first_list`` is the index's first
    candidate list (pgvector's ``hnsw.ef_search``), or EXACT for an exact scan."""
    if k < 1:
        raise ValueError("k must be >= 1")
    q = np.ascontiguousarray(query, dtype=np.float32)
    if not np.isfinite(q).all():
        raise ValueError("query holds NaN or inf")
    if max_distance is not None and max_distance < 0:
        return []
    skip = set(exclude or ())
    q_param = bindparam("q", q.astype("<f4").tobytes(), type_=Embedding())
    distance = FaceRow.embedding.op("<->", return_type=Float())(q_param)
    # A literal pk lets the planner match the collection's partial index.
    in_collection = FaceRow.collection_pk == literal_column(str(int(collection_pk)))
    wanted = k + len(skip)
    for limit in _candidate_limits(wanted, first_list) if first_list != EXACT else []:
        session.execute(text(f"SET LOCAL hnsw.ef_search = {limit}"))
        # The index, as checked (postgres_check), not a plan the planner may prefer on its
        # statistics: an exact sort would be right but slower, and a check that measured one
        # plan would not vouch for the other.
        _planner(session, _INDEX_ONLY, on=False)
        rows = list(
            session.execute(
                select(FaceRow.face_id, FaceRow.embedding)
                .where(in_collection)
                .order_by(distance)
                .limit(limit)
            )
        )
        _planner(session, _INDEX_ONLY, on=True)
        hits = _rerank(rows, q, k, max_distance, skip)
        candidates = sum(1 for fid, _ in rows if fid not in skip)
        if len(rows) < limit or len(hits) >= k or len(hits) < candidates or max_distance is None:
            # All faces were candidates, or enough matched, or the list reached past the
            # threshold (faces beyond the candidates are farther still).
            return hits
    # No index, or every candidate matched and more were wanted (the faces within
    # max_distance may go on past the candidate list): an exact scan in the database.
    _planner(session, _NO_INDEX, on=False)
    query_rows = select(FaceRow.face_id, FaceRow.embedding).where(in_collection)
    if max_distance is not None:
        slack = 1e-4  # pgvector's own float4 arithmetic: keep faces right at the boundary
        query_rows = query_rows.where(distance <= max_distance + slack)
    # The extra rows hold near ties that pgvector's arithmetic orders differently.
    rows = list(session.execute(query_rows.order_by(distance).limit(wanted + 16)))
    _planner(session, _NO_INDEX, on=True)
    return _rerank(rows, q, k, max_distance, skip)


def nearest_users_by_mean(
    session: Session, collection_pk: int, query: np.ndarray, limit: int, max_distance: float
) -> list[str]:
    """Users of the collection whose mean face vector (pgvector's ``avg``, accumulated in
    float8) lies within ``max_distance`` of ``query``, nearest first, at most ``limit``. The
    caller re-ranks them with float32 centroids, so the float8 mean only picks candidates;
    give ``max_distance`` a margin for the difference."""
    from facedesk.storage.orm import UserRow

    q_param = bindparam("q", np.asarray(query, "<f4").tobytes(), type_=Embedding())
    mean_distance = func.avg(FaceRow.embedding).op("<->", return_type=Float())(q_param)
    rows = session.execute(
        select(UserRow.user_id, mean_distance)
        .join(FaceRow, FaceRow.user_pk == UserRow.pk)
        .where(UserRow.collection_pk == int(collection_pk))
        .group_by(UserRow.user_id)
        .having(mean_distance <= max_distance)
        .order_by(mean_distance, UserRow.user_id)
        .limit(limit)
    )
    return [str(r[0]) for r in rows]
