"""What a candidate source for large collections offers ``VectorIndex``: the HNSW graph
(:mod:`facedesk.storage.ann_index`, usearch) or the code scan
(:mod:`facedesk.storage.code_scan`, faiss). Both only propose; the answer is always re-ranked
with the exact float32 distances, and ``None`` hands a query to the exact scan."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from facedesk.core.similarity import exact_distances

F32Array = npt.NDArray[np.float32]
I64Array = npt.NDArray[np.int64]
Hits = list[tuple[int, float]]


class Proposer(Protocol):
    """Keys are the snapshot's slots. Searches run concurrently with each other and with
    writes; writes are serialised by the caller (``VectorIndex``'s writer lock)."""

    #: File-name suffix of :meth:`save` (the persisted set dispatches on it when opening).
    suffix: str

    def __len__(self) -> int: ...

    def add(self, keys: Sequence[int] | I64Array, vectors: F32Array) -> None: ...

    def remove(self, keys: Sequence[int] | I64Array) -> None: ...

    def save(self, path: Path) -> None: ...

    def answer(
        self,
        row_of: I64Array,
        n: int,
        matrix: F32Array,
        q: F32Array,
        k: int,
        max_distance: float | None,
        excluded_rows: set[int],
    ) -> Hits | None:
        """(row, exact distance) of the ``k`` nearest rows below ``n``, nearest first (ties
        by row), within ``max_distance`` if given; None: only the exact scan can answer."""
        ...


def rerank(
    slots: I64Array,
    row_of: I64Array,
    n: int,
    matrix: F32Array,
    q: F32Array,
    excluded_rows: set[int],
) -> tuple[I64Array, F32Array]:
    """Candidate ``slots`` as (rows, exact distances), nearest first, ties by row.

    Slots past ``row_of``, gone (-1) or at rows >= ``n`` belong to writes the caller's
    snapshot does not see and are dropped, as are ``excluded_rows``."""
    slots = slots[(slots >= 0) & (slots < row_of.shape[0])]
    rows = row_of[slots]
    rows = rows[(rows >= 0) & (rows < n)]
    if excluded_rows:
        rows = rows[~np.isin(rows, np.fromiter(excluded_rows, np.int64))]
    d = exact_distances(matrix[rows], q)
    order = np.lexsort((rows, d))
    return rows[order], d[order]


def within(d: F32Array, max_distance: float) -> npt.NDArray[np.bool_]:
    """``d <= max_distance`` compared in float64, as the exact scan compares. NumPy would cast
    a Python float to the array's float32 (so 0.6 -> 0.60000002), and a face at exactly that
    distance would pass here and fail there."""
    return np.asarray(d, dtype=np.float64) <= max_distance
