"""Deletes leave tombstones (O(deleted), no copy of the matrix): a deleted face is never returned
again, by the exact scan or the graph path, and the answers stay those of a fresh index of the
survivors; compaction past a quarter of the rows and the persisted set keep that."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from facedesk.core.similarity import distance_for_similarity
from facedesk.storage.ann_index import AnnGraph
from facedesk.storage.index_files import RowSource, open_store
from facedesk.storage.vector_index import VectorIndex
from facedesk.storage.vector_snapshot import COMPACT_FRACTION
from tests.support.vector_library import (
    DIM,
    SOURCES,
    dlib_like_faces,
    embeddings_loader,
    library_with_faces,
)


def _fresh(ids: list[str], m: np.ndarray, keep: list[int]) -> VectorIndex:
    sub_ids, sub = [ids[i] for i in keep], m[keep].copy()
    return VectorIndex(lambda: (sub_ids, sub))


def _same_answers(
    index: VectorIndex, want: VectorIndex, queries: np.ndarray, deleted: set[str]
) -> None:
    thr = distance_for_similarity(80.0)
    for q in queries:
        for got, exp in (
            (index.search(q, 10), want.search(q, 10)),
            (index.search(q, 500, max_distance=thr), want.search(q, 500, max_distance=thr)),
            (index.search(q, 5, exclude={"f000001"}), want.search(q, 5, exclude={"f000001"})),
        ):
            assert not {f for f, _ in got} & deleted
            assert got == exp
    for got_list, exp_list in zip(
        index.search_many(queries, 7), want.search_many(queries, 7), strict=True
    ):
        assert got_list == exp_list


def _queries(rng: np.random.Generator, m: np.ndarray, rows: list[int]) -> np.ndarray:
    # The deleted faces themselves (their own vectors: distance 0 before the delete) and
    # neighbours of random faces.
    near = m[rng.integers(0, m.shape[0], 10)] + rng.normal(0, 0.02, (10, DIM))
    return np.vstack([m[rows[:10]], near]).astype(np.float32)


def test_exact_scan_after_deletes_never_returns_a_deleted_face_and_costs_no_copy() -> None:
    rng = np.random.default_rng(21)
    ids, m = dlib_like_faces(rng, 2000)
    index = VectorIndex(lambda: (list(ids), m.copy()))
    len(index)
    buffer_before = index._current().buffer  # the copy is what is tested
    gone_rows = sorted(rng.choice(2000, 40, replace=False).tolist())
    deleted = {ids[r] for r in gone_rows}
    assert index.remove(deleted | {"unknown"}) == 40
    assert index.remove(deleted) == 0  # already gone
    snap = index._current()
    assert snap.buffer is buffer_before and snap.dead == 40  # tombstones, no copy
    assert len(index) == 1960 and not deleted & set(index.face_ids())
    assert all(f not in index for f in deleted)
    keep = [i for i in range(2000) if i not in set(gone_rows)]
    _same_answers(index, _fresh(ids, m, keep), _queries(rng, m, gone_rows), deleted)

    # Appends after tombstones, and a face deleted and indexed again under the same id.
    more_ids, more = dlib_like_faces(rng, 30, prefix="g")
    assert index.add(more_ids, more) == 30
    back = gone_rows[0]
    assert index.add([ids[back]], m[back : back + 1]) == 1
    assert index.search(m[back], 1) == [(ids[back], 0.0)]
    assert len(index) == 1991


@SOURCES
def test_graph_path_after_deletes_equals_a_fresh_exact_index_and_compacts(codes: bool) -> None:
    rng = np.random.default_rng(22)
    ids, m = dlib_like_faces(rng, 4000)
    index = VectorIndex(lambda: (list(ids), m.copy()), ann_min_rows=2000, codes=codes)
    len(index)
    assert index.wait_for_graph(120) and index.uses_graph
    graph = index._current().graph
    assert graph is not None
    gone_rows = sorted(rng.choice(4000, 10, replace=False).tolist())
    deleted = {ids[r] for r in gone_rows}
    assert index.remove(deleted) == 10
    assert len(graph) == 3990 and index._current().dead == 10
    keep = [i for i in range(4000) if i not in set(gone_rows)]
    want = _fresh(ids, m, keep)
    _same_answers(index, want, _queries(rng, m, gone_rows), deleted)

    # Past a quarter of the rows the tombstones are compacted away; answers do not change.
    many = sorted(set(rng.choice(keep, int(COMPACT_FRACTION * 4000) + 50, replace=False).tolist()))
    assert index.remove({ids[r] for r in many}) == len(many)
    snap = index._current()
    assert snap.dead == 0 and snap.n == 3990 - len(many) and index.uses_graph
    deleted |= {ids[r] for r in many}
    keep = [i for i in keep if i not in set(many)]
    _same_answers(index, _fresh(ids, m, keep), _queries(rng, m, many), deleted)


@SOURCES
def test_a_set_saved_with_tombstones_holds_only_live_rows(tmp_path: Path, codes: bool) -> None:
    rng = np.random.default_rng(23)
    ids, m = dlib_like_faces(rng, 1200)
    db = library_with_faces(tmp_path / "lib.db", ids, m)
    source = RowSource(db, "c")
    index = VectorIndex(embeddings_loader(db), source=source, ann_min_rows=600, codes=codes)
    len(index)
    assert index.wait_for_graph(120) and index.uses_graph
    gone_rows = sorted(rng.choice(1200, 25, replace=False).tolist())
    deleted = {ids[r] for r in gone_rows}
    with db.unit_of_work() as uow:
        uow.faces.delete_many("c", sorted(deleted))
        uow.collections.bump_generation("c")
        uow.commit()
    assert index.remove(deleted) == 25
    folder = RowSource(db, "c").folder
    assert folder is not None
    index._persist(index._current())  # what a save after the build writes
    stored = open_store(folder, DIM)
    assert stored is not None and stored.graph is not None
    assert len(stored.ids) == len(stored.graph) == 1175 and not deleted & set(stored.ids)

    # A new process opens the set without reading descriptors and answers exactly.
    calls: list[int] = []

    def counted() -> tuple[list[str], np.ndarray]:
        calls.append(1)
        return embeddings_loader(db)()

    reopened = VectorIndex(counted, source=RowSource(db, "c"), ann_min_rows=600, codes=codes)
    assert len(reopened) == 1175 and reopened.uses_graph and calls == []
    keep = [i for i in range(1200) if i not in set(gone_rows)]
    _same_answers(reopened, _fresh(ids, m, keep), _queries(rng, m, gone_rows), deleted)

    # Opened unchanged, an HNSW graph is a read-only map of its file; the first delete copies
    # it into memory (usearch cannot write a view) and the answers stay exact.
    graph = reopened._current().graph
    assert graph is not None and (codes or (isinstance(graph, AnnGraph) and graph.viewed))
    more = sorted(set(rng.choice(keep, 10, replace=False).tolist()))
    assert reopened.remove({ids[r] for r in more}) == 10
    assert len(graph) == 1165
    assert codes or (isinstance(graph, AnnGraph) and not graph.viewed)
    deleted |= {ids[r] for r in more}
    keep = [i for i in keep if i not in set(more)]
    _same_answers(reopened, _fresh(ids, m, keep), _queries(rng, m, more), deleted)


ONE_SHOT = """
import sys
import numpy as np
from facedesk.storage.database import Database
from facedesk.storage.index_files import RowSource
from facedesk.storage.vector_registry import VectorIndexRegistry
db = Database(sys.argv[1])
calls = []
def load():
    calls.append(1)
    with db.unit_of_work(read_only=True) as uow:
        return uow.faces.embeddings("c")
index = VectorIndexRegistry(ann_min_rows=600).get(db.url, "c", load, RowSource(db, "c"))
q = np.load(sys.argv[2])
hit = index.search(q, 3)[0][0]
print(len(calls), hit, index.uses_graph)
"""


def test_a_one_shot_process_saves_the_set_at_exit_and_the_next_one_opens_it(
    tmp_path: Path,
) -> None:
    # A CLI command exits seconds after its search: its graph build never starts (the
    # registry's build delay) and the rows it read from SQLite are saved at exit, so the next
    # command opens the set instead of reading every descriptor again.
    import subprocess
    import sys

    rng = np.random.default_rng(24)
    ids, m = dlib_like_faces(rng, 900)
    db = library_with_faces(tmp_path / "lib.db", ids, m)
    folder = RowSource(db, "c").folder
    assert folder is not None
    np.save(tmp_path / "q.npy", m[17])
    root = Path(__file__).resolve().parents[2]

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", ONE_SHOT, str(tmp_path / "lib.db"), str(tmp_path / "q.npy")],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert not folder.exists()
    assert run() == ["1", ids[17], "False"]  # read from the database, searched exactly
    stored = open_store(folder, DIM)
    assert stored is not None and stored.graph is None and sorted(stored.ids) == sorted(ids)
    assert run() == ["0", ids[17], "False"]  # opened from the set: no descriptor read
