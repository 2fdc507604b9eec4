"""The two ways one query is answered over a :class:`Snapshot`: the exact scan (one BLAS
matrix-vector product and a selection, see ``VectorIndex``'s docstring) and the graph's
candidates re-ranked exactly. Both return (face id, exact float32 distance), nearest first."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from facedesk.core.similarity import exact_distances, top_k_smallest
from facedesk.storage.vector_snapshot import Snapshot

F32Array = npt.NDArray[np.float32]

# Every _SAMPLE_STRIDE-th score is used to bound the k-th smallest before the exact selection.
_SAMPLE_STRIDE = 16


def exact_search(
    snap: Snapshot,
    q: F32Array,
    k: int,
    max_distance: float | None,
    exclude: set[str] | None,
) -> list[tuple[str, float]]:
    qn = float(q @ q)
    # t = 0.5||a||^2 - a.q = 0.5(||a - q||^2 - ||q||^2): same order as the distance, and
    # only one pass over N after the product.
    t = snap.matrix @ q
    np.subtract(snap.sqnorms[: snap.n], t, out=t)
    return select(snap, q, qn, t, k, max_distance, exclude)


def graph_search(
    snap: Snapshot,
    q: F32Array,
    k: int,
    max_distance: float | None,
    exclude: set[str] | None,
) -> list[tuple[str, float]] | None:
    """The candidate source's answer (re-ranked exactly); None when only the exact scan can
    answer."""
    assert snap.graph is not None
    if max_distance is not None and max_distance < 0:
        return []
    ex = {r for f in exclude or () if (r := snap.rows.get(f)) is not None and r < snap.n}
    hits = snap.graph.answer(snap.row_of, snap.n, snap.buffer, q, k, max_distance, ex)
    if hits is None:
        return None
    return [(snap.ids[row], d) for row, d in hits]


def select(
    snap: Snapshot,
    q: F32Array,
    qn: float,
    t: F32Array,
    k: int,
    max_distance: float | None,
    exclude: set[str] | None,
) -> list[tuple[str, float]]:
    """Top-k of one query's ``t = 0.5||a||^2 - a.q`` row; exact distances for the k selected."""
    if exclude:
        ex = [r for f in exclude if (r := snap.rows.get(f)) is not None and r < snap.n]
        if ex:
            t[ex] = np.inf
    limit = np.inf
    if max_distance is not None:
        if max_distance < 0:
            return []
        # Rounding slack for the expanded form, so a face exactly at max_distance is not lost
        # before its exact distance is computed below.
        slack = 1e-5 * (1.0 + qn + snap.max_sqnorm)
        limit = 0.5 * (max_distance * max_distance - qn + slack)
    if t.shape[0] >= _SAMPLE_STRIDE * 4 * k:
        # The k-th smallest of a subset is >= the k-th smallest of all rows, so every true
        # top-k row passes this cut; it leaves ~stride*k candidates for the exact selection
        # instead of a partition over all N.
        sample = t[::_SAMPLE_STRIDE]
        limit = min(limit, float(np.partition(sample, k - 1)[k - 1]))
    if limit < np.inf:
        cand = np.flatnonzero(t <= limit)
        picked = cand[top_k_smallest(t[cand], k)]
    else:
        picked = top_k_smallest(t, k)
    picked = picked[np.isfinite(t[picked])]
    exact = exact_distances(snap.matrix[picked], q)
    order = np.lexsort((picked, exact))
    result: list[tuple[str, float]] = []
    for i in order.tolist():
        d = float(exact[i])
        if max_distance is not None and d > max_distance:
            continue
        result.append((snap.ids[int(picked[i])], d))
    return result


# Queries are processed in blocks so the (queries x rows) distance block stays near this size.
_BATCH_BYTES = 64 * 1024 * 1024


def exact_search_many(
    snap: Snapshot,
    qs: F32Array,
    k: int,
    max_distance: float | None,
    exclude: set[str] | None,
) -> list[list[tuple[str, float]]]:
    """:func:`exact_search` for each row of ``qs``, one matrix product per block of queries."""
    qns = np.einsum("ij,ij->i", qs, qs, dtype=np.float32)
    block = max(1, _BATCH_BYTES // (4 * snap.n))
    out: list[list[tuple[str, float]]] = []
    for start in range(0, qs.shape[0], block):
        qb = qs[start : start + block]
        tb = qb @ snap.matrix.T  # (b, n), one GEMM
        np.subtract(snap.sqnorms[: snap.n], tb, out=tb)
        for j in range(qb.shape[0]):
            out.append(select(snap, qb[j], float(qns[start + j]), tb[j], k, max_distance, exclude))
    return out
