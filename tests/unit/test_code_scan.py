"""The code scan (faiss fast-scan PQ codes) answers as the exact scan does, through its own
rules rather than by handing queries to the exact scan; it survives a save and a load with
its unencoded tail and removals, it hands over to the exact scan when its list cannot reach
the threshold plus its margin, and its top-k lists grow with the share of removed faces."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("faiss")

from facedesk.core.similarity import distance_for_similarity
from facedesk.storage import code_scan
from facedesk.storage.code_scan import CodeScan
from facedesk.storage.vector_index import VectorIndex
from facedesk.storage.vector_snapshot import Snapshot
from tests.support.vector_library import DIM, dlib_like_faces

THR = float(distance_for_similarity(80.0))
N = 12_000


@pytest.fixture(scope="module")
def faces() -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(31)
    ids, m = dlib_like_faces(rng, N)
    # New photos of stored people, as SearchFacesByImage sees them.
    queries = m[rng.integers(0, N, 40)] + rng.normal(0, 0.025, (40, DIM)).astype(np.float32)
    return ids, m, queries


@pytest.fixture(scope="module")
def built(faces: tuple[list[str], np.ndarray, np.ndarray]) -> CodeScan:
    _, m, _ = faces
    scan = CodeScan.build(np.arange(N, dtype=np.int64), m)
    assert scan is not None
    return scan


def _indexes(ids: list[str], m: np.ndarray, scan: CodeScan) -> tuple[VectorIndex, VectorIndex]:
    exact = VectorIndex(lambda: (list(ids), m.copy()))
    index = VectorIndex(lambda: (list(ids), m.copy()))
    index.use_graph(scan)
    len(exact)  # loaded: writes to an index not loaded yet are left to its load
    return exact, index


def _answer(scan: CodeScan, snap: Snapshot, q: np.ndarray, k: int, thr: float | None) -> object:
    return scan.answer(snap.row_of, snap.n, snap.buffer, q, k, thr, set())


def test_answers_are_the_exact_scans_and_come_from_the_codes(
    faces: tuple[list[str], np.ndarray, np.ndarray], built: CodeScan
) -> None:
    ids, m, queries = faces
    exact, index = _indexes(ids, m, built)
    snap = index._current()
    assert 0.0 < built.margin < 0.2  # calibrated on the faces' own matches
    matched = 0
    for q in queries:
        # Both rules answer themselves (None would hand the query to the exact scan).
        assert _answer(built, snap, q, 10, None) is not None
        assert _answer(built, snap, q, 4096, THR) is not None
        assert index.search(q, 10) == exact.search(q, 10)
        want = exact.search(q, 4096, max_distance=THR)
        assert index.search(q, 4096, max_distance=THR) == want
        assert index.search(q, 10, max_distance=THR) == want[:10]
        matched += len(want) > 0
    assert matched == len(queries)  # every query had matches to lose


def test_a_saved_scan_loads_with_its_tail_and_removals(
    faces: tuple[list[str], np.ndarray, np.ndarray], built: CodeScan, tmp_path: Path
) -> None:
    ids, m, queries = faces
    scan = CodeScan(built._state, built.margin)  # a copy of the published state: writes replace it
    rng = np.random.default_rng(32)
    more_ids, more = dlib_like_faces(rng, 300, prefix="g")
    exact, index = _indexes(ids, m, scan)
    assert index.add(more_ids, more) == exact.add(more_ids, more) == 300
    gone = set(ids[:200]) | set(more_ids[:20])
    assert index.remove(gone) == exact.remove(gone) == 220
    assert len(scan) == N + 300 - 220

    path = tmp_path / f"scan{CodeScan.suffix}"
    scan.save(path)
    loaded = CodeScan.load(path, DIM)
    assert len(loaded) == len(scan) and loaded.margin == scan.margin
    again = VectorIndex(lambda: (list(ids), m.copy()))
    len(again)
    again.add(more_ids, more)
    again.remove(gone)
    again.use_graph(loaded)
    for q in [*queries[:15], *more[20:30]]:
        assert again.search(q, 10) == exact.search(q, 10)
        assert again.search(q, 4096, max_distance=THR) == exact.search(q, 4096, max_distance=THR)
    with pytest.raises(ValueError, match="not a code scan"):
        CodeScan.load(path, DIM * 2)


def test_a_list_that_cannot_reach_the_threshold_hands_over_to_the_exact_scan(
    faces: tuple[list[str], np.ndarray, np.ndarray],
    built: CodeScan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids, m, queries = faces
    # A margin wider than any distance: no candidate list short of every face could prove
    # it holds every match, and lists stop at MAX_CANDIDATES.
    wide = CodeScan(built._state, margin=10.0)
    monkeypatch.setattr(code_scan, "MAX_CANDIDATES", 4096)
    exact, index = _indexes(ids, m, wide)
    snap = index._current()
    for q in queries[:5]:
        assert _answer(wide, snap, q, 4096, THR) is None
        assert index.search(q, 4096, max_distance=THR) == exact.search(q, 4096, max_distance=THR)


def test_a_cancelled_build_returns_nothing(
    faces: tuple[list[str], np.ndarray, np.ndarray],
) -> None:
    _, m, _ = faces
    cancel = threading.Event()
    cancel.set()
    assert CodeScan.build(np.arange(N, dtype=np.int64), m, cancel=cancel) is None


def test_top_k_lists_grow_by_the_share_of_removed_faces(
    faces: tuple[list[str], np.ndarray, np.ndarray],
    built: CodeScan,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Removed faces keep their codes until a rebuild. With three in four removed, a list of
    # the 512 lowest estimates would hold ~128 live faces; it grows to ~2048 to hold ~512.
    ids, m, queries = faces
    monkeypatch.setattr(code_scan, "TOP_CANDIDATES", 512)
    scan = CodeScan(built._state, built.margin)
    exact, index = _indexes(ids, m, scan)
    gone = set(np.random.default_rng(33).choice(ids, 3 * N // 4, replace=False).tolist())
    assert index.remove(gone) == exact.remove(gone) == 3 * N // 4
    for q in queries:
        assert index.search(q, 10) == exact.search(q, 10)
