"""Similarity (0..100) from the Euclidean distance between two dlib 128-d face descriptors.

Rekognition reports a ``Similarity`` percentage and filters matches with ``FaceMatchThreshold``
(default 80). dlib's descriptors are compared by Euclidean distance, and dlib's documented
same-person threshold is 0.6. facedesk maps one onto the other with a single curve, a Weibull
survival function::

    similarity(d) = 100 * exp(-ln(100 / 80) * (d / 0.6) ** 3.5)

so that

- ``similarity(0) == 100`` and ``similarity(0.6) == 80`` exactly: the default ``FaceMatchThreshold``
  of 80 accepts exactly the pairs dlib calls the same person;
- it is smooth, strictly decreasing for d > 0 and stays in (0, 100] (it underflows to 0.0 only for
  distances far beyond anything two descriptors produce);
- the shape (exponent 3.5) keeps scores flat near 100 for typical same-person pairs (distance
  0.3-0.45 on real photos) and drops fast past 0.6, as Rekognition's scores do: strangers
  (distance 0.8-1.0 on real photos) land well under 80.

========  ==========
distance  similarity
========  ==========
0.0       100.00
0.2        99.52
0.3        98.05
0.4        94.74
0.5        88.88
0.6        80.00
0.7        68.20
0.8        54.29
0.9        39.76
1.0        26.35
1.2         8.01
========  ==========

``distance_for_similarity`` is the exact inverse; the search layer uses it to turn a
``FaceMatchThreshold`` into a maximum distance.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np
import numpy.typing as npt

#: Length of a face descriptor (dlib's ResNet, as the engine computes it): the one
#: definition the engine, storage's embedding columns and the vector index share.
DESCRIPTOR_SIZE = 128
#: dlib's recommended same-person distance for its ResNet face descriptor.
DLIB_SAME_PERSON_DISTANCE = 0.6
#: Rekognition's default FaceMatchThreshold / SimilarityThreshold.
DEFAULT_MATCH_THRESHOLD = 80.0
#: Weibull shape: larger is flatter near 0 and steeper around 0.6.
SHAPE = 3.5

_RATE = math.log(100.0 / DEFAULT_MATCH_THRESHOLD)

FloatArray = npt.NDArray[np.floating]


@overload
def similarity(distance: float) -> float: ...
@overload
def similarity(distance: FloatArray) -> npt.NDArray[np.float64]: ...


def similarity(distance: float | FloatArray) -> float | npt.NDArray[np.float64]:
    """Similarity in 0..100 for a Euclidean descriptor distance (see the module docstring).

    Negative distances (float rounding) count as 0; NaN raises ValueError.
    """
    d = np.asarray(distance, dtype=np.float64)
    if np.isnan(d).any():
        raise ValueError("distance is NaN")
    x = np.maximum(d, 0.0) / DLIB_SAME_PERSON_DISTANCE
    s = 100.0 * np.exp(-_RATE * x**SHAPE)
    if isinstance(distance, np.ndarray):
        return np.asarray(s, dtype=np.float64)
    return float(s)


@overload
def distance_for_similarity(score: float) -> float: ...
@overload
def distance_for_similarity(score: FloatArray) -> npt.NDArray[np.float64]: ...


def distance_for_similarity(score: float | FloatArray) -> float | npt.NDArray[np.float64]:
    """Inverse of :func:`similarity`: the largest distance whose similarity is ``score``.

    ``score`` must be in 0..100; 100 gives 0.0 and 0 gives ``inf`` (every distance matches).
    """
    s = np.asarray(score, dtype=np.float64)
    if np.isnan(s).any() or (s < 0.0).any() or (s > 100.0).any():
        raise ValueError("similarity must be within 0..100")
    with np.errstate(divide="ignore"):
        d = DLIB_SAME_PERSON_DISTANCE * (np.log(100.0 / s) / _RATE) ** (1.0 / SHAPE)
    if isinstance(score, np.ndarray):
        return np.asarray(d, dtype=np.float64)
    return float(d)


def top_k_smallest(values: npt.NDArray[np.floating], k: int) -> npt.NDArray[np.intp]:
    """Indices of the ``k`` smallest values, ascending by value (all of them if k >= len).

    O(n) selection with ``np.argpartition``, then sorts only the ``k`` selected.
    Ties are broken by index so the order is deterministic.
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    n = values.shape[0]
    if k == 0 or n == 0:
        return np.empty(0, dtype=np.intp)
    idx = np.argpartition(values, k - 1)[:k] if k < n else np.arange(n, dtype=np.intp)
    order = np.lexsort((idx, values[idx]))
    return np.asarray(idx[order], dtype=np.intp)


def top_k_largest(values: npt.NDArray[np.floating], k: int) -> npt.NDArray[np.intp]:
    """Indices of the ``k`` largest values, descending by value (see :func:`top_k_smallest`)."""
    return top_k_smallest(-values, k)


def exact_distances(
    rows: npt.NDArray[np.float32], query: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Euclidean distances of ``rows`` (N, D) to ``query`` (D,), from the difference vectors
    in float32. Every search re-ranks its candidates with this one function (the in-process
    index and PostgreSQL's pgvector candidates alike), so the same two faces give the same
    similarity on every backend."""
    diff = rows - query
    out: npt.NDArray[np.float32] = np.sqrt(np.einsum("ij,ij->i", diff, diff, dtype=np.float32))
    return out
