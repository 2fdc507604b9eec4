"""The raw scan kernels behind bench/search_codes.py (its ``--kernels`` table): each scan of
every face's code alone, without candidate selection or re-rank, per query on one thread."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def pct(v: list[float], p: float) -> float:
    return float(np.percentile(v, p))


def kernels(data: np.ndarray, queries: np.ndarray, say: Callable[[str], None]) -> None:
    """The scan alone (no selection of candidates, no re-rank), per query, one thread, against
    the float32 matrix-vector product of the exact scan: which kernel could scan 1M codes in
    well under 5 ms."""
    import faiss
    from usearch.index import MetricKind
    from usearch.index import search as usearch_search

    n = data.shape[0]
    mean = data.mean(axis=0)
    qs = queries[:30]

    def timed(f: Callable[[np.ndarray], object]) -> str:
        f(qs[0])
        ts = []
        for q in qs:
            t = time.perf_counter_ns()
            f(q)
            ts.append((time.perf_counter_ns() - t) / 1e6)
        return f"{pct(ts, 50):.2f} / {pct(ts, 99):.2f}"

    say(f"## Scan kernels alone at {n:,} faces, {len(qs)} queries, one thread (load {load()})")
    say("")
    say("| kernel | bytes per query | p50 / p99 ms | load |")
    say("|---|---|---|---|")
    scale = float(np.abs(data - mean).max()) / 127
    x8 = np.empty(data.shape, np.int8)
    for a in range(0, n, 131072):
        x8[a : a + 131072] = np.round((data[a : a + 131072] - mean) / scale)

    def row(name: str, nbytes: int, f: Callable[[np.ndarray], object]) -> None:
        say(f"| {name} | {nbytes / 2**20:.0f} MiB | {timed(f)} | {load()} |")

    row("float32 GEMV (numpy BLAS, the exact scan's product)", data.nbytes, lambda q: data @ q)

    def i8_query(q: np.ndarray) -> np.ndarray:
        return np.round((q - mean) / scale).astype(np.int8)

    def by_i8(q: np.ndarray) -> object:
        return usearch_search(x8, i8_query(q), 10, MetricKind.L2sq, exact=True, threads=1)

    row("usearch exact search, i8 l2sq, top-10", x8.nbytes, by_i8)
    rot = np.random.default_rng(7)
    for bits in (128, 256, 512):
        proj = np.hstack(
            [np.linalg.qr(rot.standard_normal((128, 128)))[0] for _ in range(bits // 128)]
        )
        codes = np.empty((n, bits // 8), np.uint8)
        for a in range(0, n, 131072):
            codes[a : a + 131072] = np.packbits(((data[a : a + 131072] - mean) @ proj) > 0, axis=1)
        ib = faiss.IndexBinaryFlat(bits)
        ib.add(codes)

        def qcode(q: np.ndarray, proj: np.ndarray = proj) -> np.ndarray:
            return np.packbits(((q - mean) @ proj) > 0)

        def by_usearch(q: np.ndarray, codes: np.ndarray = codes) -> object:
            return usearch_search(codes, qcode(q), 4096, MetricKind.Hamming, exact=True, threads=1)

        def by_numpy(q: np.ndarray, codes: np.ndarray = codes) -> object:
            words = codes.view(np.uint64)
            return np.bitwise_count(words ^ qcode(q).view(np.uint64)).sum(axis=1, dtype=np.uint16)

        def by_faiss(q: np.ndarray, ib: object = ib) -> object:
            return ib.search(qcode(q)[None, :], 1024)  # type: ignore[attr-defined]

        row(f"usearch exact search, hamming {bits} bits, top-4096", codes.nbytes, by_usearch)
        row(f"numpy bitwise_count, {bits} bits (distances only)", codes.nbytes, by_numpy)
        row(f"faiss BinaryFlat, {bits} bits, top-1024", codes.nbytes, by_faiss)
    h = np.random.default_rng(3).integers(0, 512, n).astype(np.uint16)
    row(f"numpy argpartition of {n:,} uint16 (a top-4096 selection)", h.nbytes,
        lambda q: np.argpartition(h, 4096))  # fmt: skip
    say("")
