"""Benchmark: what facedesk's HNSW graph build costs (issue 18 item 5), on bench/search.py's
dlib-like data (seed 5, the same faces as bench/search_ann.py, so its ``--graph-cache`` files
serve both).

Run:
  PYTHONPATH=. python bench/ann_build.py --faces 100000 --orphans [--graph-cache FILE]
  PYTHONPATH=. python bench/ann_build.py --faces 100000 --expansion-add 80,40 --threads 1

``--orphans``: the search for faces no search reaches, after the inserts. Same graph, same
run: the previous method (every face at beam 32, its misses again at 256) against
``AnnGraph.find_orphans`` (the cascade of ``ORPHAN_CASCADE``); prints each one's time, the
faces each stage re-checks, whether both found the same set, and with ``--brute`` the set a
self-search of every face at the full beam finds (the definition; slow: ~1 ms per face).

``--expansion-add A,B``: builds the graph once per value (``--threads``: 1 is what the app
does) as AnnGraph.build does and prints the insert time, the time of ``AnnGraph.settle``
(orphan search, re-insertion, search again), recall@10 and "matches >= 80 identical" of
VectorIndex's graph path against the exact scan of the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search import Population
from facedesk.core.similarity import distance_for_similarity
from facedesk.storage import ann_index
from facedesk.storage.ann_index import AnnGraph
from facedesk.storage.vector_index import VectorIndex

K = 10


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def faces(n: int, nq: int) -> tuple[np.ndarray, np.ndarray]:
    """bench/search_ann.py's data: the same rng draws in the same order."""
    rng = np.random.default_rng(5)
    pop = Population(rng, max(1, n // 5))
    who = rng.integers(0, pop.centres.shape[0], n)
    data = pop.photos(who)
    queries = pop.photos(who[rng.integers(0, n, nq)])
    return data, queries


def inserted(data: np.ndarray, threads: int, expansion_add: int) -> tuple[AnnGraph, float]:
    """A graph with every row inserted as AnnGraph.build does, before its orphan search."""
    from usearch.index import Index

    index = Index(
        ndim=data.shape[1],
        metric="l2sq",
        dtype=ann_index.DTYPE,
        connectivity=ann_index.CONNECTIVITY,
        expansion_add=expansion_add,
        expansion_search=ann_index.EXPANSION_SEARCH,
    )
    graph = AnnGraph(data.shape[1], index)
    keys = np.arange(data.shape[0], dtype=np.int64)
    t = time.perf_counter()
    for a in range(0, data.shape[0], ann_index.BUILD_CHUNK):
        b = a + ann_index.BUILD_CHUNK
        graph.add(keys[a:b], data[a:b], threads=threads, check=False)
    return graph, time.perf_counter() - t


def previous_orphans(graph: AnnGraph, data: np.ndarray, threads: int) -> tuple[np.ndarray, int]:
    """The method before the cascade: beam 32 for every face, its misses at the full beam."""
    keys = np.arange(data.shape[0], dtype=np.int64)
    lost, rechecked = [], 0
    for a in range(0, data.shape[0], ann_index.BUILD_CHUNK):
        ck, chunk = keys[a : a + ann_index.BUILD_CHUNK], data[a : a + ann_index.BUILD_CHUNK]
        graph.expansion_search = 32
        maybe = graph.unreachable(ck, chunk, threads=threads)
        graph.expansion_search = ann_index.EXPANSION_SEARCH
        again = np.isin(ck, maybe)
        rechecked += int(again.sum())
        lost.append(graph.unreachable(ck[again], chunk[again], threads=threads))
    return np.concatenate(lost), rechecked


def stage_counts(graph: AnnGraph, data: np.ndarray, threads: int) -> list[int]:
    """How many faces each cascade stage re-checks (the first: all of them)."""
    keys = np.arange(data.shape[0], dtype=np.int64)
    counts = []
    vecs = data
    for count, beam in ann_index.ORPHAN_CASCADE:
        counts.append(int(keys.shape[0]))
        graph.expansion_search = beam
        missed = graph.unreachable(keys, vecs, threads=threads, count=count)
        again = np.isin(keys, missed)
        keys, vecs = keys[again], vecs[again]
    counts.append(int(keys.shape[0]))
    graph.expansion_search = ann_index.EXPANSION_SEARCH
    return counts


def orphans(args: argparse.Namespace, data: np.ndarray) -> None:
    n = data.shape[0]
    cache: Path | None = args.graph_cache
    if cache is not None and cache.exists():
        graph = AnnGraph.load(cache, data.shape[1])
        print(f"graph loaded from {cache} ({len(graph):,} faces)", flush=True)
    else:
        graph, took = inserted(data, args.threads, ann_index.EXPANSION_ADD)
        print(f"graph inserts: {took:.0f} s on {args.threads} thread(s) (load {load()})")
        if cache is not None:
            graph.save(cache)
    keys = np.arange(n, dtype=np.int64)
    t_old, old = float("nan"), None
    if not args.no_before:
        t = time.perf_counter()
        old, rechecked = previous_orphans(graph, data, args.threads)
        t_old = time.perf_counter() - t
        print(f"before: beam 32 for all, {rechecked:,} re-checked at 256: {t_old:.1f} s, "
              f"{old.shape[0]} unreachable (load {load()})", flush=True)  # fmt: skip
    t = time.perf_counter()
    new = graph.find_orphans(keys, data, threads=args.threads)
    t_new = time.perf_counter() - t
    assert new is not None
    same = None if old is None else set(new.tolist()) == set(old.tolist())
    print(f"now: cascade {ann_index.ORPHAN_CASCADE}: {t_new:.1f} s, {new.shape[0]} unreachable,"
          f" same set as before: {same}; {t_old / t_new:.2f}x faster (load {load()})")  # fmt: skip
    print(f"faces each stage searches: {stage_counts(graph, data, args.threads)}", flush=True)
    # What AnnGraph.build does next: the unreachable faces inserted again, the graph searched
    # again (re-inserting may prune another face's last incoming link).
    t = time.perf_counter()
    graph.remove(new)
    graph.add(new, data[new], threads=args.threads, check=False)
    after = graph.find_orphans(keys, data, threads=args.threads)
    assert after is not None
    print(f"re-inserted {new.shape[0]} unreachable faces, searched again: {after.shape[0]} "
          f"unreachable, {time.perf_counter() - t:.1f} s (load {load()})", flush=True)  # fmt: skip
    if args.brute:
        t = time.perf_counter()
        graph.expansion_search = ann_index.EXPANSION_SEARCH
        brute = np.concatenate(
            [graph.unreachable(keys[a : a + 8192], data[a : a + 8192], threads=args.threads)
             for a in range(0, n, 8192)]
        )  # fmt: skip
        print(f"brute self-search of every face at {ann_index.EXPANSION_SEARCH}: "
              f"{time.perf_counter() - t:.1f} s, {brute.shape[0]} unreachable, "
              f"same set as the cascade: {set(brute.tolist()) == set(new.tolist())}")  # fmt: skip


def build_params(args: argparse.Namespace, data: np.ndarray, queries: np.ndarray) -> None:
    n = data.shape[0]
    ids = [str(i) for i in range(n)]
    exact = VectorIndex(lambda: (ids, data))
    thr = float(distance_for_similarity(80.0))
    truth = [{int(f) for f, _ in exact.search(q, K)} for q in queries]
    truth_thr = [exact.search(q, 4096, max_distance=thr) for q in queries]
    print(f"## Graph build at {n:,} faces, {args.threads} thread(s), {len(queries)} queries\n")
    print("| expansion_add | inserts s | orphan search + re-insert s | unreachable | recall@10 | "
          "matches >= 80 identical | load |")  # fmt: skip
    print("|---|---|---|---|---|---|---|", flush=True)
    for ea in (int(x) for x in args.expansion_add.split(",")):
        graph, took = inserted(data, args.threads, ea)
        t = time.perf_counter()
        assert graph.settle(np.arange(n, dtype=np.int64), data, threads=args.threads)
        t_orph = time.perf_counter() - t
        found = graph.orphans
        index = VectorIndex(lambda: (ids, data))
        index.use_graph(graph)
        rec = np.mean(
            [
                len({int(f) for f, _ in index.search(q, K)} & w) / K
                for q, w in zip(queries, truth, strict=True)
            ]
        )
        same = sum(
            index.search(q, 4096, max_distance=thr) == w
            for q, w in zip(queries, truth_thr, strict=True)
        )
        print(f"| {ea} | {took:.0f} | {t_orph:.0f} | {found.shape[0]} | {rec:.4f} | "
              f"{same}/{len(queries)} | {load()} |", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1, help="build threads (the app: 1)")
    ap.add_argument("--graph-cache", type=Path)
    ap.add_argument("--orphans", action="store_true")
    ap.add_argument("--brute", action="store_true")
    ap.add_argument("--no-before", action="store_true", help="--orphans without the old method")
    ap.add_argument("--expansion-add", default="")
    args = ap.parse_args()
    data, queries = faces(args.faces, args.queries)
    print(f"(load {load()})", flush=True)
    if args.orphans:
        orphans(args, data)
    if args.expansion_add:
        build_params(args, data, queries)


if __name__ == "__main__":
    main()
