"""The immutable snapshots ``VectorIndex`` publishes, and the pure steps that derive new ones.

A snapshot is what one reader sees: the first ``n`` rows of ``buffer``/``sqnorms``/``ids``/
``slots``. Those arrays may be shared with later snapshots that appended rows after ``n``; rows
below ``n`` are never written again. ``buffer`` may be a private (copy-on-write) memory map of
the persisted vectors file, so appending into its spare rows costs only the pages written.

Slots are the HNSW graph's keys: a face keeps its slot for life, while its row moves when
earlier rows are removed; ``row_of`` maps slot -> row (-1: removed).

Deletes leave tombstones (:func:`tombstoned`, O(deleted)): the row stays, its half squared
norm becomes +inf (so the exact scan's score ``0.5||a||^2 - a.q`` is +inf and never selected),
its slot maps to -1 (so the graph re-rank drops it) and usearch removes its key. Rows below
``n`` are written here, but only ever to exclude a face whose delete is already committed, so
an older snapshot's reader may stop seeing it early, never see a wrong row. Once tombstones
pass :data:`COMPACT_FRACTION` of the rows, :func:`removed` copies the survivors (amortised
O(1) per delete); a save writes only live rows.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from facedesk.storage.proposer import Proposer

F32Array = npt.NDArray[np.float32]
I64Array = npt.NDArray[np.int64]

MIN_CAPACITY = 64
#: Tombstones past this fraction of the rows are compacted away (a copy of the survivors).
COMPACT_FRACTION = 0.25

T = TypeVar("T", bound=np.generic)


class RowMap:
    """Face id -> row, built on first use: a search without ``exclude`` never needs it, and
    building it for 1M ids costs 0.3-4 s (idle-loaded) of a fresh process's first search.

    Rows whose norm is +inf (tombstones) when it is built are left out. Writers mutate it
    under the index's write lock; readers only ``get``."""

    __slots__ = ("_ids", "_lock", "_map", "_n", "_sqnorms")

    def __init__(self, ids: list[str], n: int, sqnorms: F32Array) -> None:
        self._ids, self._n, self._sqnorms = ids, n, sqnorms
        self._map: dict[str, int] | None = None
        self._lock = threading.Lock()

    def _built(self) -> dict[str, int]:
        m = self._map
        if m is None:
            with self._lock:
                if self._map is None:
                    ids, n = self._ids, self._n
                    alive = np.isfinite(self._sqnorms[:n])
                    if alive.all():
                        self._map = dict(zip(ids[:n], range(n), strict=True))
                    else:
                        self._map = {ids[i]: i for i in np.flatnonzero(alive).tolist()}
                m = self._map
        return m

    def get(self, face_id: str) -> int | None:
        return self._built().get(face_id)

    def __contains__(self, face_id: object) -> bool:
        return face_id in self._built()

    def __getitem__(self, face_id: str) -> int:
        return self._built()[face_id]

    def __setitem__(self, face_id: str, row: int) -> None:
        self._built()[face_id] = row

    def pop(self, face_id: str, default: int | None = None) -> int | None:
        return self._built().pop(face_id, default)


@dataclass(frozen=True, slots=True)
class Snapshot:
    n: int
    buffer: F32Array  # (capacity, dim)
    sqnorms: F32Array  # (capacity,) half squared norms, 0.5 * ||a||^2
    ids: list[str]  # len >= n
    rows: RowMap  # face id -> row, may also hold rows >= n
    max_sqnorm: float  # largest ||a||^2, scales the rounding slack
    slots: I64Array  # (capacity,) each row's graph key
    row_of: I64Array  # slot -> row, -1 if gone; may hold slots >= next_slot
    next_slot: int
    graph: Proposer | None  # shared; may already hold later snapshots' slots
    dead: int = 0  # tombstoned rows below n (sqnorms +inf)

    @property
    def matrix(self) -> F32Array:
        return self.buffer[: self.n]

    @property
    def live(self) -> int:
        return self.n - self.dead

    def alive(self) -> npt.NDArray[np.bool_]:
        """(n,) True for rows not tombstoned."""
        return np.isfinite(self.sqnorms[: self.n])


def _max_sqnorm(sqnorms: F32Array) -> float:
    """2 * the largest finite half squared norm (tombstones are +inf)."""
    if sqnorms.shape[0] == 0:
        return 0.0
    return 2.0 * float(np.max(sqnorms, where=np.isfinite(sqnorms), initial=0.0))


def row_sqnorms(m: F32Array) -> F32Array:
    """Half the squared row norms: ``0.5||a||^2 - a.q`` orders rows like ``||a - q||^2``."""
    sq = np.einsum("ij,ij->i", m, m, dtype=np.float32)
    return np.asarray(sq * np.float32(0.5), dtype=np.float32)


def _grown(a: npt.NDArray[T], n: int, cap: int) -> npt.NDArray[T]:
    out = np.empty((cap, *a.shape[1:]), dtype=a.dtype)
    out[:n] = a[:n]
    return out


def make_snapshot(
    ids: list[str],
    buffer: F32Array,
    n: int,
    slots: I64Array,
    next_slot: int,
    graph: Proposer | None,
    sqnorms: F32Array | None = None,
) -> Snapshot:
    """A snapshot of ``buffer[:n]``; ``slots``/``sqnorms`` are padded to the buffer's capacity.

    ``sqnorms`` may come precomputed (persisted), which spares reading every row of a
    memory-mapped buffer at open."""
    cap = buffer.shape[0]
    if sqnorms is None:
        sqnorms = np.empty(cap, dtype=np.float32)
        sqnorms[:n] = row_sqnorms(buffer[:n])
    elif sqnorms.shape[0] < cap:
        sqnorms = _grown(sqnorms, n, cap)
    if slots.shape[0] < cap:
        slots = _grown(slots, n, cap)
    row_of = np.full(max(next_slot, MIN_CAPACITY), -1, dtype=np.int64)
    row_of[slots[:n]] = np.arange(n, dtype=np.int64)
    alive = np.isfinite(sqnorms[:n])
    dead = n - int(alive.sum())
    if dead:
        row_of[slots[:n][~alive]] = -1
    return Snapshot(
        n=n,
        buffer=buffer,
        sqnorms=sqnorms,
        ids=ids,
        rows=RowMap(ids, n, sqnorms),
        max_sqnorm=_max_sqnorm(sqnorms[:n]),
        slots=slots,
        row_of=row_of,
        next_slot=next_slot,
        graph=graph,
        dead=dead,
    )


def empty_snapshot(dim: int) -> Snapshot:
    return make_snapshot(
        [], np.empty((MIN_CAPACITY, dim), np.float32), 0, np.empty(0, np.int64), 0, None
    )


def appended(snap: Snapshot, new_ids: Sequence[str], new_rows: F32Array) -> Snapshot:
    """``snap`` plus rows (ids not already in it); O(new rows) amortised.

    Rows n.. and slots next_slot.. are invisible to every published snapshot, so they are
    written in place; a full buffer is replaced by one twice the size. The graph gets the new
    slots before the snapshot is published (readers of older snapshots drop them)."""
    n, k = snap.n, len(new_ids)
    buffer, sqnorms, slots, row_of = snap.buffer, snap.sqnorms, snap.slots, snap.row_of
    if n + k > buffer.shape[0]:
        cap = max(buffer.shape[0] * 2, n + k)
        buffer = _grown(buffer, n, cap)
        sqnorms = _grown(sqnorms, n, cap)
        slots = _grown(slots, n, cap)
    first = snap.next_slot
    if first + k > row_of.shape[0]:
        grown = np.full(max(row_of.shape[0] * 2, first + k), -1, dtype=np.int64)
        grown[:first] = row_of[:first]
        row_of = grown
    new_slots = np.arange(first, first + k, dtype=np.int64)
    buffer[n : n + k] = new_rows
    sqnorms[n : n + k] = row_sqnorms(buffer[n : n + k])
    slots[n : n + k] = new_slots
    row_of[first : first + k] = np.arange(n, n + k, dtype=np.int64)
    ids = snap.ids
    del ids[n:]  # ids past n belong to no published snapshot
    ids.extend(new_ids)
    rows = snap.rows
    for j, fid in enumerate(new_ids):
        rows[fid] = n + j
    if snap.graph is not None:
        snap.graph.add(new_slots, buffer[n : n + k])
    return Snapshot(
        n=n + k,
        buffer=buffer,
        sqnorms=sqnorms,
        ids=ids,
        rows=rows,
        max_sqnorm=max(snap.max_sqnorm, 2.0 * float(sqnorms[n : n + k].max())),
        slots=slots,
        row_of=row_of,
        next_slot=first + k,
        graph=snap.graph,
        dead=snap.dead,
    )


def tombstoned(snap: Snapshot, gone: set[int]) -> Snapshot:
    """``snap`` without the live rows ``gone``, in O(len(gone)) (see the module docstring);
    compacted by :func:`removed` once tombstones pass :data:`COMPACT_FRACTION` of the rows."""
    rows = np.fromiter(gone, dtype=np.int64, count=len(gone))
    rows = rows[(rows < snap.n) & np.isfinite(snap.sqnorms[rows])]
    if rows.shape[0] == 0:
        return snap
    dead = snap.dead + int(rows.shape[0])
    if dead > COMPACT_FRACTION * snap.n:
        return removed(snap, set(rows.tolist()))
    # Order matters for a concurrent reader: the slot is unmapped before the graph forgets
    # the key and the score is +inf before the id leaves the map, so no moment shows a row
    # half deleted in a way that returns it.
    slots = snap.slots[rows]
    snap.row_of[slots] = -1
    snap.sqnorms[rows] = np.inf
    if snap.graph is not None:
        snap.graph.remove(slots)
    for r in rows.tolist():
        snap.rows.pop(snap.ids[r], None)
    return replace(snap, dead=dead)


def removed(snap: Snapshot, gone: set[int]) -> Snapshot:
    """``snap`` without the rows ``gone`` and its tombstones: the survivors are copied into new
    arrays (O(N)), because compacting in place would move rows under readers' feet."""
    alive = snap.alive()
    was_alive = alive.copy()
    alive[list(gone)] = False
    n = int(alive.sum())
    cap = snap.buffer.shape[0]
    if n < cap // 4:
        cap = max(MIN_CAPACITY, n * 2)
    buffer = np.empty((cap, snap.buffer.shape[1]), dtype=np.float32)
    buffer[:n] = snap.buffer[: snap.n][alive]
    sqnorms = np.empty(cap, dtype=np.float32)
    sqnorms[:n] = snap.sqnorms[: snap.n][alive]
    slots = np.empty(cap, dtype=np.int64)
    slots[:n] = snap.slots[: snap.n][alive]
    if snap.graph is not None:
        snap.graph.remove(snap.slots[: snap.n][was_alive & ~alive])
    ids = [fid for fid, a in zip(snap.ids[: snap.n], alive.tolist(), strict=True) if a]
    rows = RowMap(ids, n, sqnorms)
    rows.get("")  # built now, while the writer holds the lock, not by the next reader
    row_of = np.full(snap.row_of.shape[0], -1, dtype=np.int64)
    row_of[slots[:n]] = np.arange(n, dtype=np.int64)
    return Snapshot(
        n=n,
        buffer=buffer,
        sqnorms=sqnorms,
        ids=ids,
        rows=rows,
        max_sqnorm=_max_sqnorm(sqnorms[:n]),
        slots=slots,
        row_of=row_of,
        next_slot=snap.next_slot,
        graph=snap.graph,
    )


# Rows per block of the NaN/inf check (8 MiB of float32).
_FINITE_BLOCK = 16384


def as_matrix(matrix: np.ndarray, rows: int, dim: int) -> F32Array:
    m = np.ascontiguousarray(matrix, dtype=np.float32)
    if rows == 0 and m.size == 0:
        return np.empty((0, dim), dtype=np.float32)
    if m.ndim != 2 or m.shape != (rows, dim):
        raise ValueError(f"expected a ({rows}, {dim}) matrix, got shape {m.shape}")
    # By blocks: a whole-matrix np.isfinite is a 1-byte temporary per value (128 MB at 1M
    # faces), which was part of the first CLI call's peak RSS.
    for a in range(0, rows, _FINITE_BLOCK):
        if not np.isfinite(m[a : a + _FINITE_BLOCK]).all():
            raise ValueError("descriptor matrix holds NaN or inf")
    return m


def strictly_ascending(ids: Sequence[str]) -> bool:
    """True if every id is greater than the one before: sorted and without duplicates, which
    is what a load from the database gives (ids in primary-key order)."""
    return all(a < b for a, b in itertools.pairwise(ids))


def has_duplicates(ids: list[str]) -> bool:
    # Ascending ids (the database's loader's order) tell by their neighbours, without a set
    # of every id (~60 MB of hash table at 1M faces, at the first search's peak).
    if strictly_ascending(ids):
        return False
    return len(set(ids)) != len(ids)


def from_rows(ids: Sequence[str], matrix: np.ndarray, dim: int) -> Snapshot:
    """A snapshot of a loader's rows: ids checked for duplicates, the matrix for shape, NaN and
    inf; slots 0..n-1, no graph."""
    ids = list(ids)  # appends extend it: never the loader's own list
    if has_duplicates(ids):
        raise ValueError("loader returned duplicate face ids")
    m = as_matrix(matrix, len(ids), dim)
    n = len(ids)
    if n >= MIN_CAPACITY and m.base is None:
        # Adopt the loader's matrix instead of copying it: at 1M faces a copy doubles
        # the 512 MB peak. It is never written: rows are only ever appended past n,
        # which for a full buffer means a new one, and removals build a new one.
        buffer = m
    else:
        buffer = np.empty((max(n, MIN_CAPACITY), dim), dtype=np.float32)
        buffer[:n] = m
    return make_snapshot(ids, buffer, n, np.arange(n, dtype=np.int64), n, None)
