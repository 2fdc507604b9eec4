"""Near pairs among many descriptors without an all-pairs matrix: an inverted-file
(IVF) self-join.

Grouping a whole collection from scratch asks every face for its neighbours; one exact
query per face costs N x N distances (100k faces: 10^10, over a minute on 2 cores). The
faces are instead split into ~sqrt(N) cells by a few rounds of k-means; each cell is
compared only with the ``probe`` cells whose centres are nearest to its own, one small
matrix product per cell. Pairs within ``max_distance`` that straddle cells further apart
are missed; for faces, whose neighbours within 0.55 are the same person and cluster
tightly, the recall measured against exact search is printed by bench/groups.py.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

_BLOCK = 4096  # rows per block when assigning rows to cells


def _nearest_centre(vectors: F32, centres: F32) -> npt.NDArray[np.intp]:
    half = 0.5 * np.einsum("ij,ij->i", centres, centres)
    out = np.empty(len(vectors), dtype=np.intp)
    for start in range(0, len(vectors), _BLOCK):
        block = vectors[start : start + _BLOCK]
        out[start : start + _BLOCK] = np.argmin(half[None, :] - block @ centres.T, axis=1)
    return out


def kmeans(vectors: F32, cells: int, rounds: int = 6, seed: int = 0) -> F32:
    """Cell centres: k-means on a sample (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    n = len(vectors)
    sample = vectors[rng.choice(n, size=min(n, cells * 40), replace=False)]
    centres = sample[rng.choice(len(sample), size=cells, replace=False)].copy()
    for _ in range(rounds):
        owner = _nearest_centre(sample, centres)
        sums = np.zeros_like(centres)
        np.add.at(sums, owner, sample)
        counts = np.bincount(owner, minlength=cells).astype(np.float32)
        filled = counts > 0
        centres[filled] = sums[filled] / counts[filled, None]
    return np.asarray(centres, dtype=np.float32)


def balanced_cells(vectors: F32, seed: int = 0) -> tuple[F32, list[npt.NDArray[np.intp]]]:
    """~sqrt(N) k-means cells, then every cell over twice that size split in two until none
    is: descriptors do not spread evenly (k-means left one cell 17x the median on synthetic
    faces), and a cell's cost is its size times its probed cells' sizes."""
    n = len(vectors)
    target = max(1, int(np.sqrt(n)))
    centres = kmeans(vectors, target, seed=seed)
    owner = _nearest_centre(vectors, centres)
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(target + 1))
    members = [order[bounds[c] : bounds[c + 1]] for c in range(target)]
    out_c: list[F32] = []
    out_m: list[npt.NDArray[np.intp]] = []
    stack = [(centres[c], members[c]) for c in range(target) if len(members[c])]
    cap = 2 * target
    while stack:
        centre, rows = stack.pop()
        if len(rows) <= cap:
            out_c.append(centre)
            out_m.append(rows)
            continue
        halves = kmeans(vectors[rows], 2, rounds=4, seed=seed)
        side = _nearest_centre(vectors[rows], halves)
        parts = [rows[side == 0], rows[side == 1]]
        if not len(parts[0]) or not len(parts[1]):  # identical rows: split by position
            parts = [rows[: len(rows) // 2], rows[len(rows) // 2 :]]
        for half in parts:
            stack.append((np.asarray(vectors[half].mean(axis=0), dtype=np.float32), half))
    return np.stack(out_c).astype(np.float32), out_m


def near_pairs(
    vectors: F32,
    max_distance: float,
    k: int,
    *,
    wanted: npt.NDArray[np.bool_] | None = None,
    probe: int = 10,
    seed: int = 0,
) -> tuple[I64, I64, F32]:
    """Pairs (i, j, distance) with i < j, distance <= ``max_distance``, each row keeping
    at most its ``k`` nearest. ``wanted`` (bool per row) keeps only pairs that touch a
    wanted row (the faces being grouped now)."""
    n = len(vectors)
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
    if n < 2:
        return empty
    # One BLAS thread: the products below are small (a cell against its probed cells), and
    # OpenBLAS's thread hand-off costs more than it saves there (measured 3x slower on two
    # busy cores).
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _near_pairs(vectors, max_distance, k, wanted, probe, seed)


def _near_pairs(
    vectors: F32,
    max_distance: float,
    k: int,
    wanted: npt.NDArray[np.bool_] | None,
    probe: int,
    seed: int,
) -> tuple[I64, I64, F32]:
    n = len(vectors)
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
    centres, members = balanced_cells(vectors, seed=seed)
    cells = len(centres)
    centre_d = np.einsum("ij,ij->i", centres, centres)
    sq_norms = np.einsum("ij,ij->i", vectors, vectors)
    limit = max_distance * max_distance
    out_i: list[I64] = []
    out_j: list[I64] = []
    out_d: list[F32] = []
    for c in range(cells):
        rows = members[c]
        if wanted is not None:
            rows = rows[wanted[rows]]
        if len(rows) == 0:
            continue
        to_centres = centre_d - 2.0 * (centres @ centres[c])
        near_cells = np.argsort(to_centres, kind="stable")[: min(probe, cells)]
        cols = np.concatenate([members[x] for x in near_cells])
        sq = (
            sq_norms[rows][:, None]
            + sq_norms[cols][None, :]
            - 2.0 * (vectors[rows] @ vectors[cols].T)
        )
        sq[rows[:, None] == cols[None, :]] = np.inf  # a face is not its own neighbour
        if len(cols) > k:
            part = np.argpartition(sq, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(len(cols)), (len(rows), len(cols)))
        picked = np.take_along_axis(sq, part, axis=1)
        ok = picked <= limit
        ri = np.repeat(rows, part.shape[1]).reshape(part.shape)[ok]
        rj = cols[part[ok]]
        out_i.append(ri.astype(np.int64))
        out_j.append(rj.astype(np.int64))
        out_d.append(np.sqrt(np.maximum(picked[ok], 0.0)).astype(np.float32))
    if not out_i:
        return empty
    i = np.concatenate(out_i)
    j = np.concatenate(out_j)
    d = np.concatenate(out_d)
    lo, hi = np.minimum(i, j), np.maximum(i, j)
    key = lo * n + hi
    _, first = np.unique(key, return_index=True)  # each pair once
    return lo[first], hi[first], d[first]
