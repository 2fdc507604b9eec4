"""facedesk's own code scan (facedesk/storage/code_scan.py) measured the way SQLite libraries
run it: the full ``VectorIndex.search`` call (scan, exact re-rank, threshold rule, exact
fallback), against the exact scan of the same run. Called by bench/search_codes.py.

Searches are timed in runs of one kind (100 k=10 searches, then 100 threshold searches), as a
stream of SearchFacesByImage calls meets them: between searches of one kind the codes stay in
the CPU's caches (32 MB for top-k, 64 MB for thresholds; this machine's L3 is 105 MB).

``--library DIR`` (bench/search_codes.py): a copy of a 1M-face SQLite library written by
bench/search_ann.py --library. Its persisted set is deleted, facedesk opens the library (every
descriptor from SQLite), builds its code scan in the background and saves it beside the
library; then bench/search_ann.py's two fresh processes time open -> first search and RSS.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from facedesk.storage.code_scan import CodeScan
from facedesk.storage.vector_index import VectorIndex

Hits = list[tuple[int, float]]


def _pct(v: list[float], p: float) -> float:
    return float(np.percentile(v, p))


def measure_facedesk(
    data: np.ndarray,
    queries: np.ndarray,
    truth: list[Hits],
    truth_thr: list[Hits],
    thr: float,
    base: float,
    load: Callable[[], str],
    say: Callable[[str], None],
) -> None:
    """One table row: facedesk's VectorIndex with its code scan, built as the app builds it."""
    n = data.shape[0]
    ids = [str(i) for i in range(n)]
    t = time.perf_counter()
    index = VectorIndex(lambda: (ids, data), ann_min_rows=1, codes=True)
    len(index)
    assert index.wait_for_graph(3600) and index.uses_graph, "the code scan was not published"
    build_s = time.perf_counter() - t
    scan = index._current().graph
    assert isinstance(scan, CodeScan)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"codes{CodeScan.suffix}"
        t = time.perf_counter()
        scan.save(path)
        index.use_graph(CodeScan.load(path, data.shape[1]))
        io_s = time.perf_counter() - t
        mib = path.stat().st_size / 2**20

    def timed(k: int, max_d: float | None) -> tuple[list[float], list[Hits]]:
        index.search(queries[0], k, max_distance=max_d)
        times, out = [], []
        for q in queries:
            t = time.perf_counter_ns()
            got = index.search(q, k, max_distance=max_d)
            times.append((time.perf_counter_ns() - t) / 1e6)
            out.append([(int(f), d) for f, d in got])
        return times, out

    top_t, top = timed(10, None)
    thr_t, thr_hits = timed(4096, thr)
    pairs = zip(top, truth, strict=True)
    recall = np.mean([len({f for f, _ in g} & {f for f, _ in w}) / 10 for g, w in pairs])
    same = sum(g == w for g, w in zip(thr_hits, truth_thr, strict=True))
    snap = index._current()
    falls = sum(
        scan.answer(snap.row_of, snap.n, snap.buffer, q, 4096, thr, set()) is None for q in queries
    )
    p50 = _pct(top_t, 50)
    say(
        f"| facedesk VectorIndex: code scan (PQ64x4fs top-k, PQ128x4fs threshold, 2 shards on "
        f"2 threads), full search | {build_s:.1f} (with calibration and check) | {io_s:.2f} | "
        f"{p50:.2f} | {_pct(top_t, 99):.2f} | {base / p50:.1f}x faster | "
        f"{_pct(thr_t, 50):.2f} (p99 {_pct(thr_t, 99):.2f}) | {recall:.4f} | "
        f"{same}/{len(queries)} | {falls} | {mib:.0f} | {load()} |"
    )


def codes_library(folder: Path, say: Callable[[str], None]) -> None:
    """Rebuild ``folder``'s persisted set the way facedesk does, with the code scan."""
    from facedesk.storage.database import Database
    from facedesk.storage.index_files import RowSource
    from facedesk.storage.vector_index import ANN_MIN_ROWS

    db = Database(folder / "bench.db")
    shutil.rmtree(folder / "bench.db-vectors", ignore_errors=True)  # with rejection markers

    def rows() -> tuple[list[str], np.ndarray]:
        with db.unit_of_work(read_only=True) as uow:
            return uow.faces.embeddings("bench")

    t = time.perf_counter()
    source = RowSource(db, "bench")
    index = VectorIndex(rows, source=source, ann_min_rows=ANN_MIN_ROWS, codes=True)
    len(index)
    read_s = time.perf_counter() - t
    assert index.wait_for_graph(3600) and index.uses_graph, "the code scan was not published"
    assert source.folder is not None
    disk = sum(f.stat().st_size for f in source.folder.iterdir()) / 2**20
    say(
        f"\nlibrary {folder}: descriptors read from SQLite in {read_s:.1f} s, code scan built, "
        f"checked and saved in {time.perf_counter() - t - read_s:.1f} s more "
        f"({disk:.0f} MiB on disk with the float32 rows)"
    )
