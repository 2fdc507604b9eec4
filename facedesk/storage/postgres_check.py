"""PostgreSQL only: whether a collection's HNSW index gives the exact scan's answers, checked
on the collection's own faces, and the first candidate list its searches need for that.

Why. pgvector's index only proposes candidates; facedesk re-ranks them exactly, so the index
can lose faces but never invent them. How many it loses depends on the data and the size. On
bench/postgres.py's dlib-like faces at 1M, recall@10 was 0.58 with a first list of 200, and
0.79 with 1000, pgvector's maximum; only 22 of 200 threshold answers were complete
(BENCHMARKS.md). A search that silently drops a same-person match is worse than a slower
exact one. So, as for the in-process graph (:mod:`facedesk.storage.graph_check`), a
collection's searches use the index only with the shortest first list (``hnsw.ef_search``)
that has just given the exact scan's answers on a sample of the collection's own faces: the
top-10 and every match at the default threshold. Where no list does, they scan exactly in the
database, which streams only the answer's rows to the process.

The verdict is a row of ``index_checks``, shared by every machine that opens the library.
Who makes it:
- ``facedesk migrate``, after it builds the indexes;
- a process that adds faces, in the background, when a collection has reached CHECK_FROM
  faces without a verdict or has doubled since its verdict;
- a process that keeps the library open (the app, ``facedesk serve``, a long ``facedesk
  index``), in the background SWEEP_AFTER seconds after it opened it, for every collection
  that is due: a library made before the check existed, or grown by another program.
Only one process at a time checks a given collection (an advisory lock); the others skip.
Until a verdict exists, searches scan exactly. A collection below CHECK_FROM faces always
scans exactly: it is never wrong, and at 20k faces it took what the index took (about
20 ms, bench/POSTGRES_CHECK_200K.md).
A collection that has grown keeps its last verdict until the next one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from facedesk.core.events import Event, FacesChanged
from facedesk.storage import postgres
from facedesk.storage.graph_check import (
    MATCH_DISTANCE,
    MAX_MATCHES,
    SAMPLE,
    TOP_K,
    Verdict,
)
from facedesk.storage.orm import CollectionRow, FaceRow, IndexCheckRow

log = logging.getLogger(__name__)

#: First candidate lists tried, shortest first; 1000 is pgvector 0.6's largest ef_search.
LEVELS: Final = (postgres.MIN_EF_SEARCH, 400, postgres.MAX_CANDIDATES)
#: Below this many faces a collection scans exactly and is never checked.
CHECK_FROM: Final = 20_000
#: A verdict is made again once the collection has this many times its faces.
RECHECK_GROWTH: Final = 2
#: Seconds after a library is opened before the collections that are due are checked. A
#: one-shot command is over by then and leaves the check (minutes at 1M faces) to a process
#: that stays; the app and the server start it.
SWEEP_AFTER = 10.0
# pg_try_advisory_lock(key, collection_pk): one checker per collection across machines.
# Any constant; "fdck" in ASCII.
_LOCK_KEY: Final = 0x6664636B


@dataclass(frozen=True)
class IndexVerdict:
    faces: int  # the collection's faces when it was checked
    first_list: int  # hnsw.ef_search for its searches; postgres.EXACT: no list passed
    sample: Verdict  # at first_list, or at the longest list when none passed
    seconds: float


def first_list(session: Session, collection_pk: int) -> int:
    """The first candidate list a search of the collection uses: its verdict's, or EXACT
    where it has none."""
    found = session.scalar(
        select(IndexCheckRow.first_list).where(IndexCheckRow.collection_pk == collection_pk)
    )
    return postgres.EXACT if found is None else int(found)


def verdict(session: Session, collection_pk: int) -> IndexVerdict | None:
    row = session.get(IndexCheckRow, collection_pk)
    if row is None:
        return None
    sample = Verdict(row.sampled, row.recall_at_10, row.identical)
    return IndexVerdict(row.faces, row.first_list, sample, row.seconds)


def due(faces: int, last_checked: int | None) -> bool:
    """Whether a collection of ``faces`` needs a check, its last one made at ``last_checked``
    faces (None: never)."""
    if faces < CHECK_FROM:
        return False
    return last_checked is None or faces >= RECHECK_GROWTH * last_checked


def choose(levels: tuple[int, ...], scores: list[Verdict]) -> tuple[int, Verdict]:
    """The first level whose sample passed, or EXACT with the last level's figures.
    ``scores`` are the levels' figures in order, up to the first that passed."""
    for level, score in zip(levels, scores, strict=False):
        if score.passed:
            return level, score
    return postgres.EXACT, scores[-1]


def _face_count(session: Session, collection_pk: int) -> int:
    n = session.scalar(select(func.count()).where(FaceRow.collection_pk == collection_pk))
    return int(n or 0)


def _sample(session: Session, collection_pk: int, faces: int, size: int) -> list[np.ndarray]:
    # Ordered by a hash salted with the size: the same faces for the same collection size,
    # others after it grows.
    rows = session.execute(
        select(FaceRow.embedding)
        .where(FaceRow.collection_pk == collection_pk)
        .order_by(func.md5(FaceRow.face_id + str(faces)))
        .limit(size)
    ).scalars()
    return [np.frombuffer(blob, dtype="<f4").astype(np.float32) for blob in rows]


Answers = list[tuple[list[tuple[str, float]], list[tuple[str, float]]]]


def _answers(
    session: Session,
    collection_pk: int,
    queries: list[np.ndarray],
    level: int,
    cancel: threading.Event | None,
) -> Answers | None:
    """(top-10, every match at the default threshold) per query, searched with first list
    ``level`` (EXACT: the exact scan); None if ``cancel`` was set."""
    out: Answers = []
    for q in queries:
        if cancel is not None and cancel.is_set():
            return None
        top = postgres.nearest(session, collection_pk, q, TOP_K, None, first_list=level)
        matches = postgres.nearest(
            session, collection_pk, q, MAX_MATCHES, MATCH_DISTANCE, first_list=level
        )
        out.append((top, matches))
        session.rollback()  # one short read transaction per query: no snapshot held for long
    return out


def score(got: Answers, truth: Answers) -> Verdict:
    """How ``got`` compares with the exact ``truth``, query by query."""
    if not truth:  # no face to check: nothing the index could lose
        return Verdict(0, 1.0, 1.0)
    recall = identical = 0.0
    for (top, matches), (want_top, want_matches) in zip(got, truth, strict=True):
        recall += len({f for f, _ in top} & {f for f, _ in want_top}) / max(1, len(want_top))
        identical += matches == want_matches
    return Verdict(len(truth), recall / len(truth), identical / len(truth))


def _is_due(session: Session, collection_pk: int) -> bool:
    last = verdict(session, collection_pk)
    return due(_face_count(session, collection_pk), None if last is None else last.faces)


def check_index(
    engine: Engine,
    collection_pk: int,
    levels: tuple[int, ...] = LEVELS,
    sample: int = SAMPLE,
    cancel: threading.Event | None = None,
) -> IndexVerdict | None:
    """Check the collection's index on ``sample`` of its faces at each of ``levels`` until
    one gives the exact scan's answers, and record the verdict. None if another process is
    checking the collection, the index is not built (yet), or ``cancel`` was set."""
    started = time.perf_counter()
    # One connection throughout: the advisory lock belongs to it, and a Session on the engine
    # would hand its connection back to the pool at each rollback.
    with engine.connect() as connection, Session(bind=connection) as session:
        lock = (_LOCK_KEY, int(collection_pk))
        if not session.scalar(select(func.pg_try_advisory_lock(*lock))):
            return None
        try:
            if not postgres.has_hnsw_index(session, collection_pk):
                # Rows loaded before their index (facedesk migrate): searches "through the
                # index" would run as a scan, and the verdict would vouch for an index unseen.
                return None
            faces = _face_count(session, collection_pk)
            queries = _sample(session, collection_pk, faces, sample)
            truth = _answers(session, collection_pk, queries, postgres.EXACT, cancel)
            if truth is None:
                return None
            scores: list[Verdict] = []
            for level in levels:
                got = _answers(session, collection_pk, queries, level, cancel)
                if got is None:
                    return None
                scores.append(score(got, truth))
                if scores[-1].passed:
                    break
            level, figures = choose(levels, scores)
            result = IndexVerdict(faces, level, figures, time.perf_counter() - started)
            _record(session, collection_pk, result)
            return result
        finally:
            session.rollback()
            session.scalar(select(func.pg_advisory_unlock(*lock)))
            session.commit()


def check_due(
    engine: Engine, cancel: threading.Event | None = None, collection_id: str | None = None
) -> dict[str, IndexVerdict]:
    """Check every collection that is due (see :func:`due`), or only ``collection_id`` if it
    is, one after another; returns the new verdicts by CollectionId."""
    query = select(CollectionRow.collection_id, CollectionRow.pk)
    if collection_id is not None:
        query = query.where(CollectionRow.collection_id == collection_id)
    with Session(engine) as session:
        collections = session.execute(query).all()
        todo = [(str(cid), int(pk)) for cid, pk in collections if _is_due(session, pk)]
    made = {}
    for cid, pk in todo:
        result = check_index(engine, pk, cancel=cancel)
        if result is not None:
            made[cid] = result
    return made


def _record(session: Session, collection_pk: int, result: IndexVerdict) -> None:
    values = {
        "faces": result.faces,
        "first_list": result.first_list,
        "sampled": result.sample.checked,
        "recall_at_10": result.sample.recall_at_10,
        "identical": result.sample.identical,
        "seconds": result.seconds,
        "checked_at": datetime.now(UTC),
    }
    statement = insert(IndexCheckRow).values(collection_pk=collection_pk, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["collection_pk"], set_=values))
    session.commit()


class IndexChecks:
    """Checks collections' indexes in the background: every collection that is due (see
    :func:`due`) SWEEP_AFTER seconds after the library was opened, then each collection this
    process's commits leave due. One check thread at a time; :meth:`close` cancels it."""

    def __init__(self, engine: Engine, min_interval: float = 30.0) -> None:
        self._engine = engine
        # Counting a large collection's faces takes tens of milliseconds: after each commit
        # would tax indexing, so a collection is looked at once per interval.
        self._min_interval = min_interval
        self._looked: dict[str, float] = {}
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None  # the check running, if any
        self._sweep_at = time.monotonic() + SWEEP_AFTER
        self._sweeper = self._start(self._sweep, SWEEP_AFTER)

    def _start(self, target: Callable[..., None], *args: object) -> threading.Thread:
        # A daemon: a check is worth nothing half done, and must not hold the process open
        # at exit; the server drops its transaction and lock with the connection.
        thread = threading.Thread(
            target=target, args=args, name="facedesk-index-check", daemon=True
        )
        thread.start()
        return thread

    def _sweep(self, delay: float) -> None:
        if self._cancel.wait(delay):
            return
        while True:  # after the commits' check that is running, as the one check running
            with self._lock:
                running = self._thread
                if running is None or not running.is_alive():
                    self._thread = threading.current_thread()
                    break
            running.join()
        if not self._cancel.is_set():
            self._check(None)

    def on_event(self, event: Event) -> None:
        if not isinstance(event, FacesChanged) or not event.added:
            return
        now = time.monotonic()
        with self._lock:
            last = self._looked.get(event.collection_id)
            if self._cancel.is_set() or (last is not None and now - last < self._min_interval):
                return
            if self._thread is not None and self._thread.is_alive():
                return
            self._looked[event.collection_id] = now
            self._thread = self._start(self._check, event.collection_id)

    def _check(self, collection_id: str | None) -> None:
        """Check ``collection_id`` if it is due, or every collection that is (None)."""
        try:
            made = check_due(self._engine, self._cancel, collection_id)
        except Exception:  # a lost connection: the next commit or start checks again
            log.warning("index check of %s failed", collection_id or "the library", exc_info=True)
            return
        for checked, result in made.items():
            log.info("index of %s checked: %s", checked, result)

    def join(self, timeout: float | None = None) -> None:
        """Wait for the check running, and for the sweep at start once it is due (tests)."""
        sweep = [self._sweeper] if time.monotonic() >= self._sweep_at else []
        for thread in [self._thread, *sweep]:
            if thread is not None:
                thread.join(timeout)

    def close(self) -> None:
        self._cancel.set()
        for thread in (self._thread, self._sweeper):
            if thread is not None:
                thread.join(timeout=5.0)
