"""The check a built search graph must pass before the app uses it, run on a saved graph.

    PYTHONPATH=. python bench/graph_check.py --faces N --graph FILE

FILE is a graph bench/search_ann.py or bench/ann_build.py saved with ``--graph-cache`` for the
same ``--faces`` (their data: bench/search.py's dlib-like faces, seed 5; keys 0..N-1). Prints
``facedesk.storage.graph_check.check_graph``'s verdict (recall@10 and threshold answers
identical to the exact scan's, on 100 of the faces), the time it took and the load.
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
from facedesk.storage import graph_check
from facedesk.storage.ann_index import AnnGraph
from facedesk.storage.vector_snapshot import from_rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, required=True)
    ap.add_argument("--graph", type=Path, required=True)
    args = ap.parse_args()
    n = args.faces
    rng = np.random.default_rng(5)
    pop = Population(rng, max(1, n // 5))
    data = pop.photos(rng.integers(0, pop.centres.shape[0], n))
    snap = from_rows([str(i) for i in range(n)], data, data.shape[1])
    graph = AnnGraph.load(args.graph, data.shape[1], view=True)
    orphans = args.graph.with_suffix(".orphans.npy")
    if orphans.exists():
        graph.orphans = np.load(orphans)
    t = time.perf_counter()
    verdict = graph_check.check_graph(snap, graph)
    assert verdict is not None
    print(f"{n:,} faces, {graph.orphans.shape[0]} orphans: recall@10 {verdict.recall_at_10:.3f}, "
          f"threshold answers identical {verdict.identical:.2f} on {verdict.checked} faces -> "
          f"{'used' if verdict.passed else 'refused (exact scan)'}; "
          f"{time.perf_counter() - t:.1f} s, load {os.getloadavg()}")  # fmt: skip


if __name__ == "__main__":
    main()
