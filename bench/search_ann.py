"""Benchmark: ways to make the in-process SearchFacesByImage step fast at 1M faces, side by side
in one run against today's exact float32 scan (VectorIndex), on bench/search.py's dlib-like data.

Run:  PYTHONPATH=. python bench/search_ann.py [--faces 1000000] [--queries 200] [--out FILE.md]

Each candidate returns up to 64 candidates which are re-ranked exactly in float32
(facedesk.core.similarity.exact_distances on rows of the float32 matrix), so its distances are
the exact ones; what differs is only which faces are candidates. Per candidate: build (or train)
time, p50/p99 per query (one query at a time, k=10), recall@10 against the exact scan, whether
the matches above the default threshold (distance 0.6, similarity 80) are identical to the
exact scan's for every query, and the memory the structure adds (its own bytes; the float32
matrix for the re-rank is shared and listed once). Load average printed with every row.

- exact: VectorIndex.search (today), one BLAS GEMV over 488 MiB;
- faiss SQ8 scan: IndexScalarQuantizer (8 bits per dimension, 122 MiB), SIMD scan;
- faiss SQfp16 scan: the same in float16 (244 MiB);
- faiss HNSW32 + SQ8: graph over 8-bit vectors (efSearch 128);
- usearch HNSW i8 / f16: usearch's graph (connectivity 16, expansion_search 128).
hnswlib is left out: PyPI has only its source (a C++ build); usearch and faiss cover HNSW.

facedesk's own path (issue 18 item 5, what SQLite searches now run above the cut-over) is
measured after them: ``VectorIndex`` with its usearch graph (float16, connectivity 32), one row
per ``--ef`` (the search beam), the full search call (candidates, exact re-rank, threshold
growth and exact fallback) against the exact scan of the same run. "matches >= 80 identical"
compares the whole answer (ids, order and distances) with the exact scan's at k=4096.
``--graph-cache FILE`` keeps the built graph between runs (same data: seed 5). With
``--library DIR`` it also writes a real SQLite library of the faces plus the persisted index
beside it, and times a fresh process from opening the library to its first search, and its
RSS (the 2 s / 1 GB targets). ``--facedesk-only`` skips the third-party candidates above.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search import Population, rss_mib
from facedesk.core.similarity import distance_for_similarity, exact_distances
from facedesk.storage.vector_index import VectorIndex

CANDIDATES = 64
K = 10


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def pct(v: list[float], p: float) -> float:
    return float(np.percentile(v, p))


def rerank(
    data: np.ndarray, q: np.ndarray, cand: np.ndarray, k: int, max_d: float | None
) -> list[tuple[int, float]]:
    """The candidates (``-1``: none) re-ranked exactly: (row, distance) by distance, then row."""
    cand = cand[cand >= 0]
    d = exact_distances(data[cand], q)
    order = np.lexsort((cand, d))
    out = [(int(cand[i]), float(d[i])) for i in order]
    if max_d is not None:
        out = [h for h in out if h[1] <= max_d]
    return out[:k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--skip", default="", help="comma-separated candidates to leave out")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--facedesk-only", action="store_true")
    ap.add_argument("--ef", default="128,256,512", help="search beams for facedesk's graph")
    ap.add_argument("--candidates", default="64", help="first candidate list sizes to try")
    ap.add_argument("--graph-cache", type=Path)
    ap.add_argument("--library", type=Path, help="folder for the first-search measurement")
    ap.add_argument(
        "--first-search-only",
        action="store_true",
        help="only the fresh-process measurement, on the library --library holds",
    )
    ap.add_argument(
        "--delete-only",
        action="store_true",
        help="only the cost of deleting 10 faces (tombstones vs the old copy)",
    )
    args = ap.parse_args()
    n, nq = args.faces, args.queries
    if args.first_search_only:
        assert args.library is not None
        fresh_processes(args.library, print)
        return
    skip = set(filter(None, args.skip.split(",")))
    lines: list[str] = []

    def say(s: str) -> None:
        print(s, flush=True)
        lines.append(s)

    import faiss

    faiss.omp_set_num_threads(1)  # one query at a time on one core, like the BLAS GEMV below
    rng = np.random.default_rng(5)
    pop = Population(rng, max(1, n // 5))
    who = rng.integers(0, pop.centres.shape[0], n)
    data = pop.photos(who)
    queries = pop.photos(who[rng.integers(0, n, nq)])
    if args.delete_only:
        say(f"(load {load()})")
        delete_cost(args, data, say)
        return
    thr = float(distance_for_similarity(80.0))
    ids = [str(i) for i in range(n)]
    exact = VectorIndex(lambda: (ids, data))
    len(exact)
    truth = [[(int(f), d) for f, d in exact.search(q, K)] for q in queries]
    truth_thr = [[(int(f), d) for f, d in exact.search(q, 4096, max_distance=thr)] for q in queries]
    say(f"## In-process search at {n:,} faces, k={K}, {nq} queries (load {load()})")
    say("")
    say("| method | build s | p50 ms | p99 ms | x exact p50 | recall@10 | "
        "matches >= 80 identical | added MiB | load |")  # fmt: skip
    say("|---|---|---|---|---|---|---|---|---|")

    def measure(name: str, build_s: float, cand: Callable[[np.ndarray], np.ndarray],
                added_mib: float, base: float | None) -> float:  # fmt: skip
        def run(q: np.ndarray, max_d: float | None, k: int):
            return rerank(data, q, cand(q), k, max_d)

        run(queries[0], None, K)
        times, rec, same = [], [], 0
        for q, want, want_thr in zip(queries, truth, truth_thr, strict=True):
            t = time.perf_counter_ns()
            got = run(q, None, K)
            times.append((time.perf_counter_ns() - t) / 1e6)
            rec.append(len({f for f, _ in got} & {f for f, _ in want}) / K)
            same += run(q, thr, 4096) == want_thr
        p50 = pct(times, 50)
        ratio = "1.00" if base is None else f"{base / p50:.1f}x faster"
        say(f"| {name} | {build_s:.1f} | {p50:.2f} | {pct(times, 99):.2f} | {ratio} | "
            f"{np.mean(rec):.4f} | {same}/{nq} | {added_mib:.0f} | {load()} |")  # fmt: skip
        return p50

    def exact_cand(q: np.ndarray) -> np.ndarray:
        return np.array([int(f) for f, _ in exact.search(q, CANDIDATES)], dtype=np.int64)

    # Exact: the list is the truth itself; the threshold column uses k=4096 on the index.
    times = []
    for q in queries:
        t = time.perf_counter_ns()
        exact.search(q, K)
        times.append((time.perf_counter_ns() - t) / 1e6)
    base = pct(times, 50)
    say(f"| exact float32 scan (VectorIndex, today) | 0 | {base:.2f} | {pct(times, 99):.2f} | "
        f"1.00 | 1.0000 | {nq}/{nq} | {exact.nbytes() / 2**20:.0f} | {load()} |")  # fmt: skip

    def faiss_index(name: str, index: object, train: bool) -> None:
        if name in skip:
            return
        t = time.perf_counter()
        if train:
            index.train(data[: min(n, 200_000)])  # type: ignore[attr-defined]
        index.add(data)  # type: ignore[attr-defined]
        build = time.perf_counter() - t
        before = rss_mib()

        def cand(q: np.ndarray) -> np.ndarray:
            _, idx = index.search(q[None, :], CANDIDATES)  # type: ignore[attr-defined]
            return idx[0]

        size = faiss.serialize_index(index).nbytes / 2**20
        measure(name, build, cand, size, base)
        del before

    if args.facedesk_only:
        skip |= {"faiss SQ8 scan + re-rank", "faiss SQfp16 scan + re-rank",
                 "faiss HNSW32 over SQ8 + re-rank", "usearch HNSW i8 + re-rank",
                 "usearch HNSW f16 + re-rank"}  # fmt: skip
    faiss_index("faiss SQ8 scan + re-rank",
                faiss.IndexScalarQuantizer(128, faiss.ScalarQuantizer.QT_8bit), True)  # fmt: skip
    faiss_index("faiss SQfp16 scan + re-rank",
                faiss.IndexScalarQuantizer(128, faiss.ScalarQuantizer.QT_fp16), True)  # fmt: skip
    hnsw = faiss.IndexHNSWSQ(128, faiss.ScalarQuantizer.QT_8bit, 32)
    hnsw.hnsw.efConstruction = 64
    hnsw.hnsw.efSearch = 128
    faiss.omp_set_num_threads(2)  # building may use both cores
    faiss_index("faiss HNSW32 over SQ8 + re-rank", hnsw, True)
    faiss.omp_set_num_threads(1)

    from usearch.index import Index

    for dtype in ("i8", "f16"):
        name = f"usearch HNSW {dtype} + re-rank"
        if name in skip:
            continue
        ui = Index(ndim=128, metric="l2sq", dtype=dtype, connectivity=16,
                   expansion_add=64, expansion_search=128)  # fmt: skip
        t = time.perf_counter()
        ui.add(np.arange(n, dtype=np.uint64), data, threads=2)
        build = time.perf_counter() - t

        def ucand(q: np.ndarray, ui: Index = ui) -> np.ndarray:
            return np.asarray(ui.search(q, CANDIDATES, threads=1).keys, dtype=np.int64)

        measure(name, build, ucand, ui.memory_usage / 2**20, base)
    facedesk_path(args, data, queries, truth, truth_thr, exact, thr, base, say)
    delete_cost(args, data, say)
    say("")
    say(f"RSS at the end {rss_mib():.0f} MiB (all structures at once, plus the data)")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


CHILD = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from facedesk.storage.database import Database
from facedesk.storage.index_files import RowSource
from facedesk.storage.vector_index import ANN_MIN_ROWS, VectorIndex
t1 = time.perf_counter()
db = Database(sys.argv[1])
def load():
    with db.unit_of_work(read_only=True) as uow:
        return uow.faces.embeddings("bench")
index = VectorIndex(load, source=RowSource(db, "bench"), ann_min_rows=ANN_MIN_ROWS)
qs = np.load(sys.argv[2])
index.search(qs[0], 10)
first = time.perf_counter() - t1
times = []
for q in qs[1:]:
    t = time.perf_counter_ns()
    index.search(q, 10)
    times.append((time.perf_counter_ns() - t) / 1e6)
st = open("/proc/self/status").read().splitlines()
rss = [int(x.split()[1]) / 1024 for x in st if x.startswith(("VmHWM", "VmRSS"))]
print(json.dumps({"imports_s": t1 - t0, "first_s": first, "p50": float(np.percentile(times, 50)),
                  "rss": rss[1], "hwm": rss[0],
                  "graph": type(index._current().graph).__name__ if index.uses_graph else False}))
"""


def facedesk_path(args, data, queries, truth, truth_thr, exact, thr, base, say) -> None:  # type: ignore[no-untyped-def]
    """facedesk's VectorIndex with its HNSW graph, one row per search beam."""
    from facedesk.storage.ann_index import AnnGraph

    n = data.shape[0]
    ids = [str(i) for i in range(n)]
    t = time.perf_counter()
    note = ""
    if args.graph_cache and args.graph_cache.exists():
        graph = AnnGraph.load(args.graph_cache, 128)
        built = f"loaded {time.perf_counter() - t:.1f}"
        t = time.perf_counter()
        keys = np.arange(n, dtype=np.int64)
        orphans_file = args.graph_cache.with_suffix(".orphans.npy")
        if orphans_file.exists():  # found by an earlier run (a search per face: minutes at 1M)
            graph.orphans = np.load(orphans_file)
        else:
            found = graph.find_orphans(keys, data, threads=2)
            assert found is not None
            graph.orphans = found
            np.save(orphans_file, graph.orphans)
        note = (f"(cached graph: {graph.orphans.shape[0]} faces unreachable by their own vector, "
                f"found in {time.perf_counter() - t:.0f} s; every search adds them)")  # fmt: skip
    else:
        built_graph = AnnGraph.build(np.arange(n, dtype=np.int64), data, threads=2)
        assert built_graph is not None
        graph = built_graph
        built = f"{time.perf_counter() - t:.1f}"
        if args.graph_cache:
            graph.save(args.graph_cache)
            np.save(args.graph_cache.with_suffix(".orphans.npy"), graph.orphans)
    index = VectorIndex(lambda: (ids, data))
    index.use_graph(graph)
    from facedesk.storage import ann_index

    default_candidates = ann_index.CANDIDATES
    runs = [(int(e), int(c)) for e in args.ef.split(",") for c in args.candidates.split(",")]
    for ef, cands in runs:
        graph.expansion_search = ef
        ann_index.CANDIDATES = cands
        index.search(queries[0], K)
        times, rec, same = [], [], 0
        for q, want, want_thr in zip(queries, truth, truth_thr, strict=True):
            t0 = time.perf_counter_ns()
            got = index.search(q, K)
            times.append((time.perf_counter_ns() - t0) / 1e6)
            rec.append(len({int(f) for f, _ in got} & {f for f, _ in want}) / K)
            same += [(int(f), d) for f, d in index.search(q, 4096, max_distance=thr)] == want_thr
        p50 = pct(times, 50)
        say(f"| facedesk VectorIndex: usearch f16 M32, ef {ef}, {cands} candidates | {built} | "
            f"{p50:.2f} | {pct(times, 99):.2f} | {base / p50:.1f}x faster | {np.mean(rec):.4f} | "
            f"{same}/{len(queries)} | {graph.memory_usage() / 2**20:.0f} | {load()} |")  # fmt: skip
    if note:  # after the table, which it would otherwise split
        say(note)
    graph.expansion_search = ann_index.EXPANSION_SEARCH
    ann_index.CANDIDATES = default_candidates
    if args.library:
        first_search(args.library, ids, data, queries, index, say)


def first_search(folder: Path, ids, data, queries, index, say) -> None:  # type: ignore[no-untyped-def]
    """A real SQLite library of the faces, its persisted index, and a fresh process's first
    search after opening it."""
    from datetime import UTC, datetime

    from facedesk.core.types import BoundingBox, CollectionInfo, ImageInfo, StoredFace
    from facedesk.storage.database import Database
    from facedesk.storage.index_files import RowSource, save_store

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.db"
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    fresh = not path.exists()  # a library from an earlier run (same seed) is reused
    db = Database(path)
    t = time.perf_counter()
    if fresh:
        with db.unit_of_work() as uow:
            uow.collections.add(CollectionInfo("bench", "1.0", "arn", created_at=t0,
                                               face_count=0, user_count=0))  # fmt: skip
            uow.images.upsert(ImageInfo("img", "0" * 64, 1, 100, 100, "JPEG"))
            uow.commit()
        box = BoundingBox(0.1, 0.1, 0.2, 0.2)
        for a in range(0, len(ids), 20000):
            with db.unit_of_work() as uow:
                uow.faces.add_many([
                    StoredFace(face_id=ids[i], collection_id="bench", image_id="img",
                               external_image_id=None, bounding_box=box, confidence=99.0,
                               model_version="1.0", embedding=data[i], indexed_at=t0)
                    for i in range(a, min(len(ids), a + 20000))
                ])  # fmt: skip
                uow.commit()
        say(f"\nSQLite library written: {len(ids):,} faces in {time.perf_counter() - t:.0f} s")
    source = RowSource(db, "bench")
    generation, _ = source.state()
    folder_ix = source.folder
    assert folder_ix is not None
    t = time.perf_counter()
    save_store(folder_ix, generation, index._current())
    disk = sum(f.stat().st_size for f in folder_ix.iterdir()) / 2**20
    say(f"persisted index saved in {time.perf_counter() - t:.1f} s ({disk:.0f} MiB on disk)")
    np.save(folder / "queries.npy", queries[:50])
    fresh_processes(folder, say)


def fresh_processes(folder: Path, say: Callable[[str], None]) -> None:
    """Two fresh processes: open the library, first search, 49 more; their RSS."""
    import json
    import subprocess

    path = folder / "bench.db"
    for attempt in (1, 2):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(folder / "queries.npy")],
            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        if out.returncode != 0:
            say(f"fresh process {attempt} failed ({out.returncode}): {out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout)
        say(f"fresh process {attempt}: open library -> first search {r['first_s']:.2f} s "
            f"(imports {r['imports_s']:.1f} s before), then p50 {r['p50']:.2f} ms, "
            f"graph {r['graph']}, RSS {r['rss']:.0f} MiB (peak {r['hwm']:.0f} MiB), "
            f"load {load()}")  # fmt: skip


def delete_cost(args, data: np.ndarray, say: Callable[[str], None]) -> None:  # type: ignore[no-untyped-def]
    """DeleteFaces of 10 faces on the loaded index: tombstones (now) against the copy of the
    surviving rows every delete made before (``removed``, now only the compaction), 5 runs
    each on the same index, median; the graph (if cached) takes the usearch removes in both."""
    from facedesk.storage.ann_index import AnnGraph
    from facedesk.storage.vector_snapshot import removed

    n = data.shape[0]
    ids = [str(i) for i in range(n)]
    index = VectorIndex(lambda: (ids, data))
    snap = index._current()
    graph_note = "no graph"
    if args.graph_cache and args.graph_cache.exists():
        index.use_graph(AnnGraph.load(args.graph_cache, 128))
        graph_note = "with the graph"
    rng = np.random.default_rng(9)
    picks = rng.choice(n, 100, replace=False).tolist()
    new, old = [], []
    for r in range(5):
        gone = {str(i) for i in picks[r * 10 : r * 10 + 10]}
        t = time.perf_counter()
        assert index.remove(gone) == 10
        new.append((time.perf_counter() - t) * 1e3)
        snap = index._current()
        rows = set(range(0, n, max(1, n // 10)))  # other faces each time (already-dead skip)
        rows = {x for x in rows if np.isfinite(snap.sqnorms[x])}
        t = time.perf_counter()
        removed(snap, set(list(rows)[:10]))
        old.append((time.perf_counter() - t) * 1e3)
    say(f"\nDeleteFaces of 10 faces at {n:,} ({graph_note}): tombstones {np.median(new):.2f} ms, "
        f"copying the matrix as before {np.median(old):.0f} ms "
        f"({np.median(old) / np.median(new):.0f}x), load {load()}")  # fmt: skip


if __name__ == "__main__":
    main()
