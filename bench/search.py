"""Benchmark: VectorIndex.search vs the naive norm-and-argsort, on synthetic dlib-like descriptors.

Run:  /work/venv/bin/python bench/search.py [--sizes 10000,100000,1000000] [--out FILE.md]

Synthetic data (why it looks like dlib's): real dlib ResNet descriptors are not centred. On the
90 faces dlib's HOG finds in shared/testdata/real they have norm 1.40 +- 0.07 and share a common
mean vector of norm 1.29; the rest is ~0.049 rms per dimension, which puts strangers at ~0.8 and
photos of one person at ~0.35. So each stored face is::

    mu (fixed, norm 1.29)
    + identity offset N(0, (s_j * 0.0429)^2)
    + photo noise N(0, (s_j * 0.0237)^2)

with per-dimension scales s_j (lognormal, mean square 1) for the uneven spread of real dimensions,
and about 5 photos per identity. The script prints the resulting norm and distance distribution.

Measured per query (time.perf_counter_ns around the call, one query at a time):
- index k=10, index k=4096: VectorIndex.search (one BLAS GEMV on the precomputed-norm expansion,
  argpartition, exact distances for the k); index thr: k=4096 with max_distance 0.6 (similarity
  >= 80, Rekognition's default FaceMatchThreshold);
- batch: VectorIndex.search_many over all queries at once, per query;
- naive: ``np.linalg.norm(known - q, axis=1)`` + ``np.argsort`` + take k (what
  face_recognition.face_distance does), on the same float32 matrix.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from facedesk.core.similarity import distance_for_similarity
from facedesk.storage.vector_index import VectorIndex

DIM = 128
MU_NORM = 1.29
SIGMA_ID = 0.0429
SIGMA_PHOTO = 0.0237
PHOTOS_PER_ID = 5


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]
    except ImportError:
        return "threadpoolctl not installed"
    parts = [
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
        f"threads={i.get('num_threads')}"
        for i in threadpool_info()
    ]
    return "; ".join(parts) or "no BLAS found by threadpoolctl"


class Population:
    """Identities and a photo generator, all in float32."""

    def __init__(self, rng: np.random.Generator, identities: int) -> None:
        mu = rng.normal(1.0, 0.5, DIM)
        self.mu = (mu / np.linalg.norm(mu) * MU_NORM).astype(np.float32)
        s = rng.lognormal(0.0, 0.15, DIM)
        self.scale = (s / np.sqrt(np.mean(s**2))).astype(np.float32)
        self.rng = rng
        self.centres = np.empty((identities, DIM), dtype=np.float32)
        for a in range(0, identities, 262144):
            b = min(identities, a + 262144)
            self.centres[a:b] = self.mu + (
                rng.standard_normal((b - a, DIM), dtype=np.float32) * (self.scale * SIGMA_ID)
            )

    def photos(self, who: np.ndarray) -> np.ndarray:
        out = np.empty((who.shape[0], DIM), dtype=np.float32)
        for a in range(0, who.shape[0], 262144):
            b = min(who.shape[0], a + 262144)
            noise = self.rng.standard_normal((b - a, DIM), dtype=np.float32)
            out[a:b] = self.centres[who[a:b]] + noise * (self.scale * SIGMA_PHOTO)
        return out


def distance_report(pop: Population, rng: np.random.Generator) -> str:
    n = 20000
    a = rng.integers(0, pop.centres.shape[0], n)
    b = (a + rng.integers(1, pop.centres.shape[0], n)) % pop.centres.shape[0]
    x, y1, y2 = pop.photos(a), pop.photos(a), pop.photos(b)
    same = np.linalg.norm(x - y1, axis=1)
    diff = np.linalg.norm(x - y2, axis=1)
    norms = np.linalg.norm(x, axis=1)
    pct = [1, 5, 50, 95, 99]

    def row(name: str, v: np.ndarray) -> str:
        cells = " | ".join(f"{p}" for p in np.percentile(v, pct).round(3))
        return f"| {name} | {cells} |"

    lines = [
        "| synthetic (20k pairs) | p1 | p5 | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|",
        row("descriptor norm", norms),
        row("same identity distance", same),
        row("different identity distance", diff),
        "",
        f"same-identity pairs within 0.6 (similarity >= 80): {100 * np.mean(same <= 0.6):.2f} %; "
        f"different-identity pairs within 0.6: {100 * np.mean(diff <= 0.6):.3f} %",
    ]
    return "\n".join(lines)


def timed(fn: Callable[[np.ndarray], object], queries: np.ndarray, reps: int) -> list[float]:
    ms: list[float] = []
    fn(queries[0])  # warm caches and BLAS threads
    for r in range(reps):
        q = queries[r % queries.shape[0]]
        t0 = time.perf_counter_ns()
        fn(q)
        ms.append((time.perf_counter_ns() - t0) / 1e6)
    return ms


def p(ms: list[float], q: float) -> float:
    return float(np.percentile(ms, q))


def run_size(n: int, rng: np.random.Generator, nq: int, reps: int, naive_reps: int) -> list[str]:
    rss0 = rss_mib()
    pop = Population(rng, max(1, n // PHOTOS_PER_ID))
    who = rng.integers(0, pop.centres.shape[0], n)
    known = pop.photos(who)
    ids = [f"face-{i:07d}" for i in range(n)]
    t0 = time.perf_counter()
    index = VectorIndex(lambda: (ids, known))
    len(index)
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mib()
    # Queries are new photos of stored identities (what SearchFacesByImage sees).
    queries = pop.photos(who[rng.integers(0, n, nq)])

    def naive(k: int) -> Callable[[np.ndarray], list[tuple[str, float]]]:
        def run(q: np.ndarray) -> list[tuple[str, float]]:
            d = np.linalg.norm(known - q, axis=1)
            order = np.argsort(d)[:k]
            return [(ids[i], float(d[i])) for i in order]

        return run

    thr = distance_for_similarity(80.0)
    variants: list[tuple[str, list[float]]] = [
        ("index k=10", timed(lambda q: index.search(q, 10), queries, reps)),
        ("index k=4096", timed(lambda q: index.search(q, 4096), queries, reps)),
        (
            "index k=4096 thr 80",
            timed(lambda q: index.search(q, 4096, max_distance=thr), queries, reps),
        ),
    ]
    batch_ms: list[float] = []
    for _ in range(3):
        t0b = time.perf_counter_ns()
        index.search_many(queries, 10)
        batch_ms.append((time.perf_counter_ns() - t0b) / 1e6 / nq)
    variants.append((f"batch of {nq}, k=10 (per query)", batch_ms))
    naive10 = timed(naive(10), queries, naive_reps)
    naive4096 = timed(naive(4096), queries, naive_reps)
    variants += [("naive k=10", naive10), ("naive k=4096", naive4096)]

    # Sanity: both ways agree on the nearest faces.
    q = queries[0]
    got = [f for f, _ in index.search(q, 10)]
    want = [f for f, _ in naive(10)(q)]
    agree = len(set(got) & set(want))

    rows = []
    base = {"k=10": p(naive10, 50), "k=4096": p(naive4096, 50)}
    for name, ms in variants:
        ref = base["k=4096"] if "4096" in name else base["k=10"]
        speed = "" if name.startswith("naive") else f"{ref / p(ms, 50):.1f}x"
        rows.append(
            f"| {n:,} | {name} | {len(ms)} | {p(ms, 50):.2f} | {p(ms, 99):.2f} | "
            f"{statistics.fmean(ms):.2f} | {speed} |"
        )
    mem = (
        f"N={n:,}: matrix {known.nbytes / 2**20:.1f} MiB (float32 {n}x{DIM}); index buffers "
        f"{index.nbytes() / 2**20:.1f} MiB; RSS before data {rss0:.0f} MiB, after load "
        f"{rss_loaded:.0f} MiB, after runs {rss_mib():.0f} MiB; load {load_s * 1000:.0f} ms; "
        f"top-10 overlap with naive {agree}/10; load average after: {load()}"
    )
    print("\n".join(rows), flush=True)
    print(mem, flush=True)
    return [*rows, "MEM " + mem]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=64)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=None, help="also write the report here")
    ap.add_argument(
        "--blas-threads", type=int, default=0, help="cap BLAS threads (threadpoolctl); 0 = as is"
    )
    args = ap.parse_args()
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads)

    rng = np.random.default_rng(args.seed)
    header = [
        f"command: {' '.join([Path(sys.executable).name, *sys.argv])}",
        f"machine: nproc={os.cpu_count()}, CPU: {cpu_model()}, Python {platform.python_version()},"
        f" numpy {np.__version__}",
        f"BLAS (threadpoolctl): {blas_info()}",
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}",
        f"load average at start (other processes share these cores): {load()}",
    ]
    print("\n".join(header), flush=True)
    dist = distance_report(Population(rng, 50000), rng)
    print(dist, flush=True)

    table = [
        "| stored faces | variant | samples | p50 ms | p99 ms | mean ms | vs naive p50 |",
        "|---|---|---|---|---|---|---|",
    ]
    print("\n".join(table), flush=True)
    mems: list[str] = []
    for n in (int(s) for s in args.sizes.split(",")):
        naive_reps = args.reps if n <= 100_000 else max(10, args.reps // 10)
        for line in run_size(n, rng, args.queries, args.reps, naive_reps):
            (mems if line.startswith("MEM ") else table).append(line.removeprefix("MEM "))
    if args.out is not None:
        args.out.write_text(
            "\n".join(
                [
                    "\n\n".join(["  \n".join(header), dist]),
                    "",
                    *table,
                    "",
                    *[f"- {m}" for m in mems],
                    "",
                ]
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
