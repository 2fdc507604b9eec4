"""The check of a collection's HNSW index on its own faces (facedesk.storage.postgres_check),
on a real private PostgreSQL with pgvector: a sound index is used with the list it passed at;
an index that loses faces is not used, and searches scan exactly instead; a collection without
a verdict scans exactly; commits that grow a collection check it in the background, so does
a process that keeps the library open, and one process at a time checks a collection."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from sqlalchemy import event, text

from facedesk.core.similarity import DEFAULT_MATCH_THRESHOLD, distance_for_similarity
from facedesk.storage import postgres, postgres_check
from facedesk.storage.database import Database
from facedesk.storage.vector_index import VectorIndex
from tests.integration.test_postgres import _clustered, _store

MATCH = float(distance_for_similarity(DEFAULT_MATCH_THRESHOLD))


@contextlib.contextmanager
def _index_searches(db: Database) -> Iterator[list[int]]:
    """Counts the statements that search through an HNSW index (they set its ef_search)."""
    seen = [0]

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen[0] += "hnsw.ef_search" in statement

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _exact(ids: list[str], vectors: np.ndarray) -> VectorIndex:
    return VectorIndex(lambda: (ids, vectors))


def _answers(db: Database, cid: str, queries: np.ndarray) -> list[Any]:
    with db.unit_of_work(read_only=True) as uow:
        return [
            (uow.faces.nearest(cid, q, 10), uow.faces.nearest(cid, q, 4096, MATCH)) for q in queries
        ]


def _truth(index: VectorIndex, queries: np.ndarray) -> list[Any]:
    return [(index.search(q, 10), index.search(q, 4096, max_distance=MATCH)) for q in queries]


def _pk(db: Database, cid: str) -> int:
    with db.unit_of_work(read_only=True) as uow:
        return uow.collections.pk(cid)


def test_a_sound_index_is_checked_then_used(pg_db: Database) -> None:
    rng = np.random.default_rng(11)
    vectors = _clustered(rng, 3000)
    faces = _store(pg_db, "c", vectors)
    pk = _pk(pg_db, "c")
    queries = _clustered(rng, 20)
    truth = _truth(_exact([f.face_id for f in faces], vectors), queries)

    # No verdict yet: the exact scan answers, the index is not touched.
    with _index_searches(pg_db) as seen:
        assert _answers(pg_db, "c", queries) == truth
    assert seen == [0]

    verdict = postgres_check.check_index(pg_db.engine, pk)
    assert verdict is not None
    assert verdict.first_list == postgres.MIN_EF_SEARCH
    assert verdict.faces == 3000
    assert verdict.sample.checked == postgres_check.SAMPLE
    assert verdict.sample.passed
    with pg_db.unit_of_work(read_only=True) as uow:
        assert postgres_check.verdict(uow.session, pk) == verdict

    # Now the index proposes the candidates, and the answers are still the exact ones.
    with _index_searches(pg_db) as seen:
        assert _answers(pg_db, "c", queries) == truth
    assert seen[0] >= 2 * len(queries)


def test_an_index_that_loses_faces_is_not_used(pg_db: Database) -> None:
    rng = np.random.default_rng(5)
    vectors = _clustered(rng, 4000)
    faces = _store(pg_db, "c", vectors)
    pk = _pk(pg_db, "c")
    # The thinnest graph pgvector builds (m=2): searched with short lists it misses
    # neighbours, as the default graph does at a million faces (BENCHMARKS.md).
    with pg_db.engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {postgres.index_name(pk)}"))
        conn.execute(
            text(
                f"CREATE INDEX {postgres.index_name(pk)} ON faces USING hnsw "
                f"(embedding vector_l2_ops) WITH (m = 2, ef_construction = 4) "
                f"WHERE collection_pk = {pk}"
            )
        )
    levels = (20,)
    queries = vectors[rng.choice(len(vectors), 40, replace=False)]
    truth = _truth(_exact([f.face_id for f in faces], vectors), queries)
    with pg_db.unit_of_work(read_only=True) as uow:
        lossy = [
            (
                postgres.nearest(uow.session, pk, q, 10, None, first_list=levels[0]),
                postgres.nearest(uow.session, pk, q, 4096, MATCH, first_list=levels[0]),
            )
            for q in queries
        ]
    assert lossy != truth  # the index on its own gives other answers

    verdict = postgres_check.check_index(pg_db.engine, pk, levels=levels)
    assert verdict is not None
    assert verdict.first_list == postgres.EXACT
    assert not verdict.sample.passed
    with _index_searches(pg_db) as seen:
        assert _answers(pg_db, "c", queries) == truth
    assert seen == [0]


@contextlib.contextmanager
def _opened(url: str) -> Iterator[Database]:
    db = Database(url)
    try:
        yield db
    finally:
        db.dispose()


def _verdicts(db: Database, *cids: str) -> list[postgres_check.IndexVerdict | None]:
    with db.unit_of_work(read_only=True) as uow:
        return [postgres_check.verdict(uow.session, _pk(db, cid)) for cid in cids]


def test_growing_a_collection_checks_it_in_the_background(
    pg_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres_check, "CHECK_FROM", 1000)
    monkeypatch.setattr(postgres_check, "SWEEP_AFTER", 3600.0)  # the commits' checks alone
    url = pg_server.new_database()
    with _opened(url) as db:
        _store(db, "small", _clustered(np.random.default_rng(1), 999))
        _store(db, "big", _clustered(np.random.default_rng(2), 1000))
        assert db.index_checks is not None
        db.index_checks.join(timeout=120)
        small, big = _verdicts(db, "small", "big")
    pg_server.drop_database(url)
    assert small is None  # below CHECK_FROM: always the exact scan
    assert big is not None
    assert big.faces == 1000
    assert big.first_list == postgres.MIN_EF_SEARCH


def test_opening_a_library_checks_the_collections_that_are_due(
    pg_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library whose large collection has no verdict (made before checks existed, or grown
    by a process that closed too soon) is checked by the next process that keeps it open."""
    monkeypatch.setattr(postgres_check, "CHECK_FROM", 1000)
    url = pg_server.new_database()
    monkeypatch.setattr(postgres_check, "SWEEP_AFTER", 3600.0)
    with _opened(url) as db:
        assert db.index_checks is not None
        db.index_checks.close()  # this process makes no verdict
        _store(db, "small", _clustered(np.random.default_rng(1), 999))
        _store(db, "big", _clustered(np.random.default_rng(2), 1000))
        assert _verdicts(db, "small", "big") == [None, None]
    monkeypatch.setattr(postgres_check, "SWEEP_AFTER", 0.0)
    with _opened(url) as db:
        assert db.index_checks is not None
        db.index_checks.join(timeout=120)
        small, big = _verdicts(db, "small", "big")
    pg_server.drop_database(url)
    assert small is None
    assert big is not None
    assert big.faces == 1000
    assert big.first_list == postgres.MIN_EF_SEARCH


def test_a_collection_without_its_index_is_not_judged(pg_db: Database) -> None:
    """Rows loaded before their index is built (facedesk migrate): a check then would
    measure a scan and record a verdict for an index it never saw."""
    _store(pg_db, "c", _clustered(np.random.default_rng(4), 500))
    pk = _pk(pg_db, "c")
    with pg_db.engine.begin() as conn:
        conn.exec_driver_sql(f"DROP INDEX {postgres.index_name(pk)}")
    assert postgres_check.check_index(pg_db.engine, pk) is None
    assert _verdicts(pg_db, "c") == [None]
    with pg_db.engine.begin() as conn:
        postgres.create_hnsw_index(conn, pk)
    assert postgres_check.check_index(pg_db.engine, pk) is not None


def test_one_process_at_a_time_checks_a_collection(pg_db: Database) -> None:
    _store(pg_db, "c", _clustered(np.random.default_rng(3), 500))
    pk = _pk(pg_db, "c")
    lock = {"k": 0x6664636B, "pk": pk}  # postgres_check's key, and the collection
    with pg_db.engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:k, :pk)"), lock)
        assert postgres_check.check_index(pg_db.engine, pk) is None
        other.execute(text("SELECT pg_advisory_unlock(:k, :pk)"), lock)
    assert postgres_check.check_index(pg_db.engine, pk) is not None
    # The finished check let go of the lock: another connection takes it at once.
    with pg_db.engine.connect() as other:
        took = other.execute(text("SELECT pg_try_advisory_lock(:k, :pk)"), lock).scalar_one()
    assert took
