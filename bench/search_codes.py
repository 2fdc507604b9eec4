"""Benchmark: compact-code scans that pick candidates, then facedesk's exact float32 re-rank, at
1M faces, against today's exact float32 scan (VectorIndex) in the same run (issue 18 item 5).

Run:  PYTHONPATH=. python bench/search_codes.py [--faces 1000000] [--queries 100] [--out FILE.md]

Data: bench/search.py's dlib-like synthetic faces, seed 5, as bench/search_ann.py makes them
(at 1M these are the rows of /work/bench1m/lib's persisted set; --check-persisted FILE.npy
verifies that). One query at a time, one thread (faiss and BLAS), k=10 for the timed search;
"matches >= 80 identical" compares the whole k=4096 threshold answer (similarity 80 ->
distance 0.6: ids, order, distances) with the exact scan's.

Every method returns candidates that are re-ranked with ``exact_distances`` (what VectorIndex
does), so distances are always exact; what differs is which faces are candidates:

- binary codes: sign bits of (x - mean) after random orthogonal rotations (256 / 512 bits),
  faiss IndexBinaryFlat (SIMD popcount). Top-R by Hamming, R calibrated on the collection's
  own faces; threshold: every face within a Hamming bound calibrated the same way (worst
  true match seen, + 2), and the exact scan when that is over 65,536 faces.
- int8 with a proven bound: faiss ScalarQuantizer QT_8bit (per-dimension range), asymmetric
  distances (float query, decoded rows), so ``|est - d| <= ||x - decode(x)|| <= e_max``
  (triangle inequality; e_max measured over every row at build). The list grows until its
  last lower bound passes the k-th upper bound (or the threshold): exact by construction.
- 4-bit product quantisation, faiss fast-scan (PQ64x4fs: 32 B per face; PQ128x4fs: 64 B):
  top-R by estimated distance, R calibrated; threshold: every face whose estimate is within
  thr + margin, the margin calibrated (largest estimate - true distance over the true matches
  near the threshold of 200 of the collection's faces, + 0.01), the list grown 4x until its
  last estimate passes that bound, exact scan past 65,536.
  Calibrated means "no loss seen on the collection's own faces", not proven.

Then facedesk's own code scan (the fast-search extra; bench/facedesk_codes.py): the full
VectorIndex search. ``--facedesk-only`` measures only it against the exact scan;
``--library DIR`` (a copy of bench/search_ann.py's 1M library) also rebuilds that library's
persisted set with the code scan and times two fresh processes' first search and RSS.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.code_kernels import kernels
from bench.facedesk_codes import codes_library, measure_facedesk
from bench.search import Population, rss_mib
from bench.search_ann import fresh_processes, rerank
from facedesk.core.similarity import distance_for_similarity
from facedesk.storage.vector_index import VectorIndex

K = 10
CAP = 65_536  # candidates past which the exact scan answers instead
Hits = list[tuple[int, float]]
Cand = Callable[[np.ndarray, int, "float | None"], "np.ndarray | None"]


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def pct(v: list[float], p: float) -> float:
    return float(np.percentile(v, p))


def pow2_at_least(x: int, floor: int = 64) -> int:
    r = floor
    while r < x:
        r *= 2
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--calibrate", type=int, default=200, help="own faces used to calibrate")
    ap.add_argument("--skip", default="", help="semicolon-separated method names to leave out")
    ap.add_argument("--check-persisted", type=Path, help="a persisted vectors .npy to compare")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--kernels", action="store_true", help="only the raw scan kernels' times")
    ap.add_argument("--facedesk-only", action="store_true", help="only facedesk's code scan")
    ap.add_argument("--library", type=Path, help="a 1M library copy for the first search")
    args = ap.parse_args()
    import faiss

    faiss.omp_set_num_threads(1)
    n, nq = args.faces, args.queries
    lines: list[str] = []

    def say(s: str) -> None:
        print(s, flush=True)
        lines.append(s)

    rng = np.random.default_rng(5)  # as bench/search_ann.py
    pop = Population(rng, max(1, n // 5))
    who = rng.integers(0, pop.centres.shape[0], n)
    data = pop.photos(who)
    queries = pop.photos(who[rng.integers(0, n, nq)])
    if args.kernels:
        kernels(data, queries, say)
        if args.out:
            args.out.write_text("\n".join(lines) + "\n")
        return
    if args.check_persisted:
        kept = np.load(args.check_persisted, mmap_mode="r")
        same = np.array_equal(kept[:1000], data[:1000]) and np.array_equal(
            kept[n - 1000 : n], data[n - 1000 :]
        )
        say(f"(same rows as {args.check_persisted}: {same})")
    thr = float(distance_for_similarity(80.0))
    ids = [str(i) for i in range(n)]
    exact = VectorIndex(lambda: (ids, data))
    len(exact)

    def exact_hits(q: np.ndarray, k: int, max_d: float | None) -> Hits:
        return [(int(f), d) for f, d in exact.search(q, k, max_distance=max_d)]

    truth = [exact_hits(q, K, None) for q in queries]
    truth_thr = [exact_hits(q, 4096, thr) for q in queries]
    # Calibration: the collection's own faces as queries (what a guard can run before use),
    # never the benchmark's queries; each face's own row is left out (SearchFaces excludes it).
    cal_rows = np.random.default_rng(11).choice(n, args.calibrate, replace=False)
    cal_top = [[f for f, _ in exact_hits(data[r], K + 1, None) if f != r][:K] for r in cal_rows]
    cal_thr = [[(f, d) for f, d in exact_hits(data[r], 4096, thr) if f != r] for r in cal_rows]
    mean = data.mean(axis=0)
    centred = data - mean
    say(
        f"## Compact-code candidates + exact re-rank at {n:,} faces, k={K}, {nq} queries "
        f"(load {load()})"
    )
    say("")
    say("| method | build s | save+load s | k=10 p50 ms | k=10 p99 ms | x exact p50 | "
        "thr p50 ms | recall@10 | matches >= 80 identical | exact fallbacks (thr) | "
        "added MiB | load |")  # fmt: skip
    say("|---|---|---|---|---|---|---|---|---|---|---|---|")

    def measure(
        name: str, build_s: float, io_s: float, cand: Cand, mib: float, base: float | None
    ) -> float:
        def run(q: np.ndarray, k: int, max_d: float | None) -> tuple[Hits, bool]:
            c = cand(q, k, max_d)
            if c is None:
                return exact_hits(q, k, max_d), True
            return rerank(data, q, c, k, max_d), False

        run(queries[0], K, None)
        times, thr_times, rec, same, falls = [], [], [], 0, 0
        for q, want, want_thr in zip(queries, truth, truth_thr, strict=True):
            t = time.perf_counter_ns()
            got, _ = run(q, K, None)
            times.append((time.perf_counter_ns() - t) / 1e6)
            rec.append(len({f for f, _ in got} & {f for f, _ in want}) / K)
            t = time.perf_counter_ns()
            got_thr, fell = run(q, 4096, thr)
            thr_times.append((time.perf_counter_ns() - t) / 1e6)
            same += got_thr == want_thr
            falls += fell
        p50 = pct(times, 50)
        ratio = "1.00" if base is None else f"{base / p50:.1f}x faster"
        say(f"| {name} | {build_s:.1f} | {io_s:.2f} | {p50:.2f} | {pct(times, 99):.2f} | "
            f"{ratio} | {pct(thr_times, 50):.2f} | {np.mean(rec):.4f} | {same}/{nq} | "
            f"{falls} | {mib:.0f} | {load()} |")  # fmt: skip
        return p50

    base = measure("exact float32 scan (VectorIndex, today)", 0.0, 0.0,
                   lambda q, k, m: None, exact.nbytes() / 2**20, None)  # fmt: skip
    measure_facedesk(data, queries, truth, truth_thr, thr, base, load, say)
    if args.library:
        codes_library(args.library, say)
        fresh_processes(args.library, say)
    if args.facedesk_only:
        if args.out:
            args.out.write_text("\n".join(lines) + "\n")
        return
    skip = set(filter(None, args.skip.split(";")))

    def save_load(index: object, binary: bool) -> tuple[object, float]:
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "codes.faiss")
            t = time.perf_counter()
            (faiss.write_index_binary if binary else faiss.write_index)(index, path)
            again = (faiss.read_index_binary if binary else faiss.read_index)(path)
            return again, time.perf_counter() - t

    # --- binary codes -----------------------------------------------------------------
    for bits in (256, 512):
        name = f"binary {bits} bits (rotated signs), faiss BinaryFlat"
        if name in skip:
            continue
        rot = np.random.default_rng(7)
        proj = np.hstack(
            [np.linalg.qr(rot.standard_normal((128, 128)))[0] for _ in range(bits // 128)]
        )
        proj = proj.astype(np.float32)

        def codes(x: np.ndarray, proj: np.ndarray = proj) -> np.ndarray:
            return np.packbits(((x - mean) @ proj) > 0, axis=1)

        t = time.perf_counter()
        ib = faiss.IndexBinaryFlat(bits)
        for a in range(0, n, 131072):
            ib.add(codes(data[a : a + 131072]))
        build = time.perf_counter() - t
        ib, io_s = save_load(ib, True)
        r_top, h_max = calibrate_binary(ib, codes, data, cal_rows, cal_top, cal_thr)
        bound = h_max + 2
        say(
            f"(calibrated: top-{K} within the first {r_top} by Hamming; "
            f"threshold bound {bound} bits)"
        )

        def bcand(q: np.ndarray, k: int, max_d: float | None, ib: object = ib,
                  codes: Callable[[np.ndarray], np.ndarray] = codes, r_top: int = r_top,
                  bound: int = bound) -> np.ndarray | None:  # fmt: skip
            qc = codes(q[None, :])
            if max_d is None:
                return ib.search(qc, max(r_top, k))[1][0]  # type: ignore[attr-defined]
            lims, _, idx = ib.range_search(qc, bound + 1)  # type: ignore[attr-defined]
            return None if lims[1] > CAP else idx

        measure(name, build, io_s, bcand, n * bits / 8 / 2**20, base)

    # --- int8 with a proven bound --------------------------------------------------------
    name = "int8 (faiss SQ8) with proven bound"
    if name not in skip:
        t = time.perf_counter()
        sq = faiss.IndexScalarQuantizer(128, faiss.ScalarQuantizer.QT_8bit)
        sq.train(centred)
        sq.add(centred)
        e_max = 0.0
        for a in range(0, n, 131072):
            blk = centred[a : a + 131072]
            dec = sq.sa_decode(sq.sa_encode(blk))
            e_max = max(e_max, float(np.sqrt(((blk - dec) ** 2).sum(1)).max()))
        e_max *= 1.0001  # float32 rounding of the estimates themselves
        build = time.perf_counter() - t
        sq, io_s = save_load(sq, False)
        say(f"(int8: largest ||x - decode(x)|| over the rows {e_max:.4f})")

        def icand(q: np.ndarray, k: int, max_d: float | None) -> np.ndarray | None:
            qc = (q - mean)[None, :]
            r = 256
            while True:
                dd, idx = sq.search(qc, r)  # type: ignore[attr-defined]
                est = np.sqrt(np.maximum(dd[0], 0))
                live = idx[0] >= 0
                upper = (
                    max_d if max_d is not None else float(est[min(k, int(live.sum())) - 1]) + e_max
                )
                if not live[-1] or est[-1] - e_max > upper:
                    return idx[0][live & (est - e_max <= upper)]
                if r >= CAP:
                    return None
                r *= 4

        measure(name, build, io_s, icand, sq.sa_code_size() * n / 2**20, base)  # type: ignore[attr-defined]

    # --- 4-bit PQ fast-scan ----------------------------------------------------------------
    for spec, parts in (("PQ64x4fs", 1), ("PQ64x4fs", 2), ("PQ128x4fs", 1)):
        name = f"4-bit PQ fast-scan ({spec}), faiss" + (
            f", {parts} parts on {parts} threads" if parts > 1 else ""
        )
        if name in skip:
            continue
        t = time.perf_counter()
        one = faiss.index_factory(128, spec)
        one.train(centred[: min(n, 200_000)])
        one.add(centred)
        build = time.perf_counter() - t
        one, io_s = save_load(one, False)
        pq = one if parts == 1 else Split(one, centred, parts)
        r_top, margin = calibrate_pq(pq, one, centred, cal_rows, cal_top, cal_thr, thr)
        say(f"({spec}: top-{K} within the first {r_top} estimates; threshold margin {margin:.4f})")

        def pcand(q: np.ndarray, k: int, max_d: float | None, pq: object = pq,
                  r_top: int = r_top, margin: float = margin) -> np.ndarray | None:  # fmt: skip
            qc = (q - mean)[None, :]
            if max_d is None:
                return pq.search(qc, max(r_top, k))[1][0]  # type: ignore[attr-defined]
            bound2 = (max_d + margin) ** 2
            r = max(1024, r_top)
            while True:
                dd, idx = pq.search(qc, r)  # type: ignore[attr-defined]
                if dd[0][-1] > bound2 or idx[0][-1] < 0:
                    return idx[0][(dd[0] <= bound2) & (idx[0] >= 0)]
                if r >= CAP:
                    return None
                r *= 4

        measure(name, build, io_s, pcand, n * one.sa_code_size() / 2**20, base)
    say("")
    say(f"RSS at the end {rss_mib():.0f} MiB (all structures at once, plus the data)")
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


def calibrate_binary(ib, codes, data, rows, tops, thrs) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Top-10 rank needed and the largest Hamming distance of a true threshold match, on the
    collection's own faces."""
    need, h_max = K, 0
    for r, top, matches in zip(rows, tops, thrs, strict=True):
        _, dist, idx = ib.range_search(codes(data[r][None, :]), 10**6)
        h = np.empty(data.shape[0], np.int32)
        h[idx] = dist
        srt = np.sort(h)
        if top:
            need = max(need, int(np.searchsorted(srt, h[top].max(), side="right")))
        if matches:
            h_max = max(h_max, int(h[[f for f, _ in matches]].max()))
    return pow2_at_least(need), h_max


class Split:
    """One trained fast-scan index's codes in ``parts`` indexes (one per thread), searched at
    once and merged: faiss releases the GIL, and one query's scan is otherwise single-threaded."""

    def __init__(self, trained, centred: np.ndarray, parts: int) -> None:  # type: ignore[no-untyped-def]
        import faiss

        n = centred.shape[0]
        self.starts = [n * i // parts for i in range(parts)]
        self.indexes = []
        for i, a in enumerate(self.starts):
            b = n * (i + 1) // parts
            part = faiss.clone_index(trained)
            part.reset()
            part.add(centred[a:b])
            self.indexes.append(part)
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(parts)

    def search(self, qc: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
        got = [f.result() for f in [self.pool.submit(ix.search, qc, r) for ix in self.indexes]]
        dd = np.concatenate([d[0] for d, _ in got])
        idx = np.concatenate(
            [np.where(i[0] >= 0, i[0] + a, -1) for (_, i), a in zip(got, self.starts, strict=True)]
        )
        order = np.argsort(dd, kind="stable")[:r]
        return dd[order][None, :], idx[order][None, :]


def calibrate_pq(pq, one, centred, rows, tops, thrs, thr) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """Top-10 rank needed, and the largest (estimate - true distance) over true matches within
    0.1 of the threshold (a match far inside it passes any sane bound), own faces as queries.
    A match's estimate is its distance to its decoded code (the fast scan's 8-bit lookup
    tables round it a little more: the + 0.01)."""
    import faiss

    codec = faiss.downcast_index(one).pq
    need, margin = K, 0.0
    for r, top, matches in zip(rows, tops, thrs, strict=True):
        _, idx = pq.search(centred[r][None, :], 8192)
        pos = {int(f): i for i, f in enumerate(idx[0])}
        for f in top:
            need = max(need, pos.get(f, CAP) + 1)
        near = [(f, d) for f, d in matches if d >= thr - 0.1]
        if near:
            m = np.array([f for f, _ in near])
            dec = codec.decode(codec.compute_codes(centred[m]))
            est = np.sqrt(((dec - centred[r]) ** 2).sum(1))
            margin = max(margin, float((est - np.array([d for _, d in near])).max()))
    return pow2_at_least(2 * need), margin + 0.01


if __name__ == "__main__":
    main()
