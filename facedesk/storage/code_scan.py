"""Search candidates from a scan of 4-bit product-quantisation codes (faiss fast-scan): the
candidate source of large collections when faiss-cpu is installed (the ``fast-search`` extra).

Why a scan of codes and not the HNSW graph. dlib descriptors all sit near one common mean,
and a face's tenth neighbour is usually a stranger at a near-tie distance. At 1M such faces
the graph reached recall@10 0.93 at best, lost threshold matches, and took an hour of one
core to build (BENCHMARKS.md, session 4). A scan visits every face, so no region is out of
reach, and it builds in seconds. faiss's fast-scan keeps the query's lookup tables in SIMD
registers and reads 32 or 64 bytes per face instead of the exact scan's 512: at 1M faces
the search step takes ~4 ms against ~28 ms (bench/search_codes.py).

Two code sets over the same faces, each split into two shards scanned on two threads (the
scan is bound by memory bandwidth, which one core does not saturate; faiss releases the GIL):

- ``top`` (PQ64x4fs, 32 B a face) proposes top-k candidates: the
  :data:`TOP_CANDIDATES` lowest estimates held the exact top-10 of every bench query at 1M.
- ``fine`` (PQ128x4fs, 64 B a face) proposes threshold candidates: every face whose
  estimate is within the threshold plus ``margin``. The margin is measured at build on the
  collection's own faces: the largest amount by which a true match near the default
  threshold was over-estimated, plus :data:`MARGIN_SLACK`.

Both rules are calibrated, not proven, so like the graph a code scan is published only after
it answered as the exact scan does on a sample of the collection's faces
(:mod:`facedesk.storage.graph_check`). Candidates are re-ranked with the exact distances.

Writes. Searches never lock, so a published :class:`_State` is never changed in place. Added
faces join an exact ``tail`` (float32, every search re-ranks it whole) until it holds
:data:`TAIL_MAX` faces; then it is encoded into copies of the smaller shards. Removed faces
keep their codes: their slots map to row -1, so the re-rank drops them.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, TypeVar

import numpy as np

from facedesk.core.similarity import (
    DEFAULT_MATCH_THRESHOLD,
    distance_for_similarity,
    exact_distances,
)
from facedesk.storage.proposer import F32Array, Hits, I64Array, rerank, within
from facedesk.storage.vector_snapshot import row_sqnorms

TOP_M: Final = 64
FINE_M: Final = 128
#: Top-k searches up to this k re-rank the ``top`` set's TOP_CANDIDATES lowest estimates
#: (1M bench faces, 300 queries: recall@10 0.999 at 1024, 1.000 at 2048, the deepest true
#: top-10 face 1,868th by estimate; BENCHMARKS.md, session 6). Larger k, or a threshold with
#: a larger k, take the ``fine`` set's threshold rule instead.
TOP_K_MAX: Final = 10
TOP_CANDIDATES: Final = 2048
#: Threshold candidate lists start here and grow 16x until the lists' last estimate passes
#: the threshold plus the margin; past MAX_CANDIDATES the exact scan answers. Each growth is
#: another scan, so the first list is long: at 1M bench faces 4096 was enough for 93 % of
#: the threshold searches (and 256 for 37 %).
FIRST_CANDIDATES: Final = 4096
GROWTH: Final = 16
MAX_CANDIDATES: Final = 65_536
MARGIN_SLACK: Final = 0.01
#: Faces whose matches calibrate the margin, and the matches counted: within 0.1 of the
#: default threshold (farther inside, an error would have to be far larger to matter).
CALIBRATION_FACES: Final = 200
CALIBRATION_BAND: Final = 0.1
TRAIN_ROWS: Final = 65_536
SHARDS: Final = 2
#: Every search re-ranks the whole tail (512 rows: ~0.3 ms at 1M); each fold copies the
#: smaller shards (48 MB at 1M: 40-90 ms), once per 512 faces indexed (about a minute of work).
TAIL_MAX: Final = 512
# Rows per encoding call while building: the longest a cancel waits.
BUILD_CHUNK: Final = 65_536
DEFAULT_DISTANCE: Final = float(distance_for_similarity(DEFAULT_MATCH_THRESHOLD))

T = TypeVar("T")

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def available() -> bool:
    """True when faiss-cpu is installed."""
    return importlib.util.find_spec("faiss") is not None


def _faiss() -> Any:
    import faiss

    # Searches split a query over shards on our own threads; faiss's OpenMP team would only
    # add a second layer of threads (and libgomp's spin-waits) to a one-query search.
    faiss.omp_set_num_threads(1)
    return faiss


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(SHARDS - 1, thread_name_prefix="facedesk-codes")
        return _POOL


@dataclass(frozen=True)
class _Codes:
    """One code set: shard i's face j has key ``keys[i][j]``."""

    shards: tuple[Any, ...]
    keys: tuple[I64Array, ...]

    def scan(
        self, q: F32Array, count: int, finish: Callable[[F32Array, I64Array], T]
    ) -> tuple[list[T], float]:
        """Each shard's ``finish(estimated distances, keys)`` of its lowest estimates (about
        ``count`` in all, an equal share each), run on that shard's thread; and the bound every
        face not returned is estimated at or beyond (inf if all were returned).

        ``finish`` is where the re-rank goes: the rows it gathers are scattered over the
        matrix, and two cores waiting on memory at once finish sooner (2048 candidates at 1M
        faces: 4.19 -> 4.04 ms a search)."""
        q2 = q.reshape(1, -1)
        share = -(-count // len(self.keys))

        def one(i: int) -> tuple[T, float]:
            wanted = min(share, len(self.keys[i]))
            d2, pos = self.shards[i].search(q2, wanted)
            pos = pos[0][pos[0] >= 0]
            est = np.sqrt(np.maximum(d2[0][: pos.shape[0]], 0.0)).astype(np.float32)
            full = wanted < len(self.keys[i]) and est.shape[0] > 0
            return finish(est, self.keys[i][pos]), float(est[-1]) if full else np.inf

        rest = [_pool().submit(one, i) for i in range(1, len(self.shards))]
        done = [one(0), *(f.result() for f in rest)]
        return [r for r, _ in done], min(b for _, b in done)

    def __len__(self) -> int:
        return sum(int(k.shape[0]) for k in self.keys)

    def with_added(self, keys: I64Array, vectors: F32Array) -> _Codes:
        """Copies with ``vectors`` encoded into the smallest shard (the others are shared)."""
        i = int(np.argmin([len(k) for k in self.keys]))
        shard = _faiss().clone_index(self.shards[i])
        shard.add(np.ascontiguousarray(vectors, np.float32))
        shards = (*self.shards[:i], shard, *self.shards[i + 1 :])
        all_keys = (*self.keys[:i], np.concatenate([self.keys[i], keys]), *self.keys[i + 1 :])
        return _Codes(shards, all_keys)


def _encode(
    m: int, sample: F32Array, keys: I64Array, vectors: F32Array, cancel: threading.Event | None
) -> _Codes | None:
    if cancel is not None and cancel.is_set():
        return None
    faiss = _faiss()
    trained = faiss.IndexPQFastScan(vectors.shape[1], m, 4)
    trained.train(sample)
    bounds = np.linspace(0, keys.shape[0], SHARDS + 1).astype(np.int64)
    shards, shard_keys = [], []
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        shard = faiss.clone_index(trained)
        for c in range(a, b, BUILD_CHUNK):
            if cancel is not None and cancel.is_set():
                return None
            shard.add(np.ascontiguousarray(vectors[c : min(b, c + BUILD_CHUNK)], np.float32))
        shards.append(shard)
        shard_keys.append(np.array(keys[a:b], dtype=np.int64))
    return _Codes(tuple(shards), tuple(shard_keys))


@dataclass(frozen=True)
class _State:
    top: _Codes
    fine: _Codes
    tail_keys: I64Array
    tail: F32Array  # (len(tail_keys), dim) float32, not yet encoded
    removed: I64Array  # sorted keys whose codes stay behind

    def __len__(self) -> int:
        return len(self.top) + int(self.tail_keys.shape[0]) - int(self.removed.shape[0])


class CodeScan:
    """The two code sets, the tail and the threshold margin (see the module docstring)."""

    suffix = ".codes.npz"

    def __init__(self, state: _State, margin: float) -> None:
        self._state = state
        self.margin = margin

    def __len__(self) -> int:
        return len(self._state)

    @classmethod
    def build(
        cls, keys: I64Array, vectors: F32Array, cancel: threading.Event | None = None
    ) -> CodeScan | None:
        """Code sets of ``vectors`` under ``keys``, with the margin calibrated on them;
        None if ``cancel`` was set."""
        rng = np.random.default_rng(keys.shape[0])
        pick = rng.choice(keys.shape[0], min(TRAIN_ROWS, keys.shape[0]), replace=False)
        sample = np.ascontiguousarray(vectors[np.sort(pick)], np.float32)
        top = _encode(TOP_M, sample, keys, vectors, cancel)
        fine = None if top is None else _encode(FINE_M, sample, keys, vectors, cancel)
        if top is None or fine is None:
            return None
        empty = np.empty(0, np.int64)
        state = _State(top, fine, empty, np.empty((0, vectors.shape[1]), np.float32), empty)
        margin = _calibrate(fine, keys, vectors, rng, cancel)
        return None if margin is None else cls(state, margin)

    # ---------------------------------------------------------------- writes

    def add(self, keys: Sequence[int] | I64Array, vectors: F32Array) -> None:
        s = self._state
        k = np.asarray(keys, dtype=np.int64)
        if k.shape[0] == 0:
            return
        tail_keys = np.concatenate([s.tail_keys, k])
        tail = np.concatenate([s.tail, np.asarray(vectors, np.float32)])
        if tail_keys.shape[0] < TAIL_MAX:
            self._state = replace(s, tail_keys=tail_keys, tail=tail)
            return
        self._state = replace(
            s,
            top=s.top.with_added(tail_keys, tail),
            fine=s.fine.with_added(tail_keys, tail),
            tail_keys=tail_keys[:0],
            tail=tail[:0],
        )

    def remove(self, keys: Sequence[int] | I64Array) -> None:
        s = self._state
        k = np.asarray(keys, dtype=np.int64)
        in_tail = np.isin(s.tail_keys, k)
        coded = k[~np.isin(k, s.tail_keys)]
        self._state = replace(
            s,
            tail_keys=s.tail_keys[~in_tail],
            tail=s.tail[~in_tail],
            removed=np.union1d(s.removed, coded),
        )

    # ----------------------------------------------------------------- reads

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
        s = self._state

        def exact(slots: I64Array) -> tuple[I64Array, F32Array]:
            return rerank(slots, row_of, n, matrix, q, excluded_rows)

        if k <= TOP_K_MAX:
            # Removed faces keep their codes, spread over the lists like the live ones: the
            # list grows by their share so it still holds TOP_CANDIDATES live faces.
            coded = len(s.top)
            live = max(1, coded - int(s.removed.shape[0]))
            count = -(-TOP_CANDIDATES * coded // live) + len(excluded_rows)
            parts, _ = s.top.scan(q, count, lambda _, keys: exact(keys))
            rows, d = _merged([*parts, exact(s.tail_keys)])
            rows, d = rows[:k], d[:k]
            if max_distance is not None:
                inside = within(d, max_distance)
                rows, d = rows[inside], d[inside]
            return list(zip(rows.tolist(), d.tolist(), strict=True))
        if max_distance is None:
            return None
        reach = max_distance + self.margin
        count = FIRST_CANDIDATES
        while True:
            # Re-ranked before the bound is known: a list that falls short (7 % of threshold
            # searches at 1M) wastes its re-rank, the others gain the second core's.
            parts, bound = s.fine.scan(q, count, lambda est, keys: exact(keys[est <= reach]))
            if bound > reach:
                break
            if count >= MAX_CANDIDATES:
                return None
            count *= GROWTH
        rows, d = _merged([*parts, exact(s.tail_keys)])
        inside = within(d, max_distance)
        rows, d = rows[inside][:k], d[inside][:k]
        return list(zip(rows.tolist(), d.tolist(), strict=True))

    # ------------------------------------------------------------ the file

    def save(self, path: Path) -> None:
        faiss, s = _faiss(), self._state
        parts: dict[str, np.ndarray] = {
            "margin": np.array([self.margin]),
            "tail_keys": s.tail_keys,
            "tail": s.tail,
            "removed": s.removed,
        }
        for name, codes in (("top", s.top), ("fine", s.fine)):
            for i, (shard, keys) in enumerate(zip(codes.shards, codes.keys, strict=True)):
                parts[f"{name}{i}"] = faiss.serialize_index(shard)
                parts[f"{name}{i}_keys"] = keys
        with path.open("wb") as f:
            np.savez(f, allow_pickle=False, **parts)

    @classmethod
    def load(cls, path: Path, dim: int) -> CodeScan:
        """Read a saved scan; ValueError if it is not one for ``dim``-d descriptors."""
        faiss = _faiss()
        with np.load(path) as z:
            sets = []
            for name in ("top", "fine"):
                shards = tuple(faiss.deserialize_index(z[f"{name}{i}"]) for i in range(SHARDS))
                keys = tuple(np.asarray(z[f"{name}{i}_keys"], np.int64) for i in range(SHARDS))
                if any(s.d != dim or s.ntotal != len(k) for s, k in zip(shards, keys, strict=True)):
                    raise ValueError(f"{path} is not a code scan of {dim}-d descriptors")
                sets.append(_Codes(shards, keys))
            tail = np.asarray(z["tail"], np.float32).reshape(-1, dim)
            state = _State(
                sets[0],
                sets[1],
                np.asarray(z["tail_keys"], np.int64),
                tail,
                np.asarray(z["removed"], np.int64),
            )
            return cls(state, float(z["margin"][0]))


def _merged(parts: list[tuple[I64Array, F32Array]]) -> tuple[I64Array, F32Array]:
    """Re-ranked (rows, distances) parts as one list, nearest first, ties by row."""
    rows = np.concatenate([r for r, _ in parts])
    d = np.concatenate([x for _, x in parts])
    order = np.lexsort((rows, d))
    return rows[order], d[order]


def _calibrate(
    fine: _Codes,
    keys: I64Array,
    vectors: F32Array,
    rng: np.random.Generator,
    cancel: threading.Event | None,
) -> float | None:
    """The margin: the largest (estimate - exact distance) over the true matches within
    :data:`CALIBRATION_BAND` of the default threshold, for :data:`CALIBRATION_FACES` of the
    faces as queries; None if ``cancel`` was set.

    A match not even among the ``MAX_CANDIDATES`` lowest estimates counts with the bound of
    the list, so a poor code set gets a margin its threshold searches cannot reach, and the
    exact scan answers them."""
    faces = rng.choice(keys.shape[0], min(CALIBRATION_FACES, keys.shape[0]), replace=False)
    half_sq = row_sqnorms(vectors)
    worst = 0.0
    for row in np.sort(faces).tolist():
        if cancel is not None and cancel.is_set():
            return None
        q = np.ascontiguousarray(vectors[row], np.float32)
        t = half_sq - vectors @ q  # 0.5 (||a - q||^2 - ||q||^2)
        limit = 0.5 * (DEFAULT_DISTANCE**2 - float(q @ q)) + 1e-4
        near = np.flatnonzero(t <= limit)
        d = exact_distances(vectors[near], q)
        band = keys[near[(d <= DEFAULT_DISTANCE) & (d >= DEFAULT_DISTANCE - CALIBRATION_BAND)]]
        if band.shape[0] == 0:
            continue
        parts, bound = fine.scan(q, MAX_CANDIDATES, lambda est, keys: (est, keys))
        by_key = {
            key: e
            for shard_est, shard_keys in parts
            for key, e in zip(shard_keys.tolist(), shard_est.tolist(), strict=True)
        }
        exact = dict(zip(keys[near].tolist(), d.tolist(), strict=True))
        for key in band.tolist():
            worst = max(worst, by_key.get(key, bound) - exact[key])
    return worst + MARGIN_SLACK
