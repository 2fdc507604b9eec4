"""In-memory exact nearest-neighbour search over one collection's face descriptors.

Each collection keeps one contiguous float32 matrix (rows = faces) with the rows' squared norms,
so a query costs one BLAS matrix-vector product::

    ||a - q||^2 = ||a||^2 + ||q||^2 - 2 a.q,   ranked as   t = 0.5||a||^2 - a.q

(half squared norms are stored, so one subtraction pass follows the product), then an O(N)
selection (``argpartition``, on large collections narrowed first by a cut taken from every 16th
score) and a sort of only the k selected rows, whose distances are then recomputed exactly from
the difference vectors (float32 cancellation in the expansion would otherwise blur distances near
0, i.e. similarities near 100).

From ``ann_min_rows`` faces on (the registry's default: :data:`ANN_MIN_ROWS`), searches take
their candidates from a candidate source instead and re-rank them with the same exact
distances: a scan of compact codes (:mod:`facedesk.storage.code_scan`) when faiss is
installed, else an HNSW graph (:mod:`facedesk.storage.ann_index`). The matrix, the candidate
source ("the graph" below, either kind) and the face ids are persisted beside a SQLite
library (:mod:`facedesk.storage.index_files`) so a large collection opens without reading
every descriptor or rebuilding the graph. A graph is published only after it has answered as
the exact scan does on a sample of the collection's own faces
(:mod:`facedesk.storage.graph_check`); one that fails leaves the collection on the exact scan.

Concurrency: readers never lock. Every read takes the current immutable :class:`Snapshot` (one
attribute read) and only looks at its first ``n`` rows. Writers (load, add, remove) serialise on
one lock and publish a new snapshot with one assignment:

- ``add`` appends after row ``n`` in the shared buffer (rows no published snapshot can see) and
  doubles the capacity when full, so an add costs O(new rows) amortised;
- ``remove`` leaves tombstones (O(removed), see :func:`vector_snapshot.tombstoned`): the
  scan and the re-rank skip them, usearch removes their keys; once they pass a quarter of
  the rows the survivors are copied into a new buffer (compacting in place would move rows
  under readers' feet).

The loader runs under the writer lock too, so a face committed while the index was loading is
either seen by the loader or applied by the ``add`` that waits for the load; ``add`` skips ids it
already holds, which makes that overlap harmless. The caller must update the index *after* the
database commit; an ``add`` or ``remove`` on an index that is not loaded yet is a no-op because
the next load reads the committed rows.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from facedesk.core.similarity import DESCRIPTOR_SIZE
from facedesk.storage import code_scan, graph_check, vector_exit
from facedesk.storage.graph_build import build_checked, catch_up
from facedesk.storage.index_files import load_persisted, save_store
from facedesk.storage.proposer import Proposer
from facedesk.storage.row_source import RowSource
from facedesk.storage.vector_scan import exact_search, exact_search_many, graph_search
from facedesk.storage.vector_snapshot import (
    Snapshot,
    appended,
    as_matrix,
    from_rows,
    tombstoned,
)

F32Array = npt.NDArray[np.float32]
I64Array = npt.NDArray[np.int64]
Loader = Callable[[], tuple[list[str], np.ndarray]]

#: Collections of at least this many faces search an HNSW graph (registry default); below it
#: the exact scan is as fast (bench/search_ann.py, BENCHMARKS.md).
ANN_MIN_ROWS = 50_000
#: Re-exported: the registry's default build delay (see :mod:`facedesk.storage.vector_exit`).
BUILD_DELAY_S = vector_exit.BUILD_DELAY_S


class VectorIndex:
    """Euclidean k-NN over one collection's descriptors (see the module docstring).

    ``ann_min_rows``: from this many faces on, searches take candidates from a graph (built
    in a background thread; exact scans answer until it is ready) and re-rank them exactly;
    None keeps the exact scan at every size. ``codes``: build the code scan rather than the
    HNSW graph (default: when faiss is installed). ``source``: the database the index is
    checked against, which makes it persist itself next to the SQLite file (see
    :mod:`facedesk.storage.index_files`) and open from there instead of calling ``loader``.
    """

    def __init__(
        self,
        loader: Loader,
        dim: int = DESCRIPTOR_SIZE,
        *,
        source: RowSource | None = None,
        ann_min_rows: int | None = None,
        build_delay: float = 0.0,
        codes: bool | None = None,
    ) -> None:
        self._loader = loader
        self._dim = dim
        self._source = source
        self._ann_min_rows = ann_min_rows
        self._codes = code_scan.available() if codes is None else codes
        self._write_lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._builder: threading.Thread | None = None
        self._deleted = False
        self._build_delay = build_delay
        self._rejected: int | None = None  # live rows when this process's graph failed its check

    # ----------------------------------------------------------------- state

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def loaded(self) -> bool:
        return self._snapshot is not None

    @property
    def uses_graph(self) -> bool:
        """True when searches take their candidates from the HNSW graph."""
        snap = self._snapshot
        return snap is not None and snap.graph is not None

    def __len__(self) -> int:
        return self._current().live

    def face_ids(self) -> list[str]:
        snap = self._current()
        if snap.dead:
            return [snap.ids[r] for r in np.flatnonzero(snap.alive()).tolist()]
        return snap.ids[: snap.n]

    def __contains__(self, face_id: object) -> bool:
        snap = self._current()
        row = snap.rows.get(face_id) if isinstance(face_id, str) else None
        return row is not None and row < snap.n

    def vector(self, face_id: str) -> F32Array:
        """A copy of one stored descriptor; KeyError if the face is not indexed."""
        snap = self._current()
        row = snap.rows.get(face_id)
        if row is None or row >= snap.n:
            raise KeyError(face_id)
        return np.array(snap.buffer[row], copy=True)

    def nbytes(self) -> int:
        """Bytes held by the current buffers (capacity, not just used rows)."""
        snap = self._current()
        return int(snap.buffer.nbytes + snap.sqnorms.nbytes)

    def invalidate(self) -> None:
        """Forget the matrix; the next read reloads it (through the persisted set if any)."""
        with self._write_lock:
            self._snapshot = None

    def wait_for_graph(self, timeout: float | None = None) -> bool:
        """Wait for a background graph build, if one runs; True once none is running."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)
            return not builder.is_alive()
        return True

    def _current(self) -> Snapshot:
        snap = self._snapshot
        if snap is not None:
            return snap
        with self._write_lock:
            if self._snapshot is None:
                self._snapshot = self._load()
                self._maybe_build(self._snapshot)
            return self._snapshot

    def _load(self) -> Snapshot:
        folder = self._source.folder if self._source is not None else None
        if self._source is not None and folder is not None:
            vector_exit.mark_saved(self)

            def full() -> Snapshot:
                snap = self._from_loader()
                self._mark_unsaved(snap)  # no usable set on disk
                return snap

            snap: Snapshot = load_persisted(self._source, folder, self._dim, full)
            return snap
        return self._from_loader()

    def _from_loader(self) -> Snapshot:
        ids, matrix = self._loader()
        return from_rows(ids, matrix, self._dim)

    # ------------------------------------------------------------ the graph

    def _maybe_build(self, snap: Snapshot) -> None:
        """Start building the graph in the background once the collection is large enough.

        Called under the write lock. Searches stay exact until the graph is published."""
        if (
            self._ann_min_rows is None
            or snap.graph is not None
            or snap.live < self._ann_min_rows
            or (self._builder is not None and self._builder.is_alive())
            or not graph_check.may_build(
                self._folder(), snap.live, self._rejected, graph_check.kind(self._codes)
            )
        ):
            return
        self._builder = vector_exit.start_builder(
            lambda: self._build(snap), name="facedesk-hnsw-build"
        )

    def _build(self, snap: Snapshot) -> None:
        if self._build_delay and vector_exit.EXITING.wait(self._build_delay):
            return
        built = build_checked(snap, self._folder(), vector_exit.EXITING, self._codes)
        if built.rejected:
            self._rejected = snap.live
        graph = built.graph
        if graph is None:
            return
        with self._write_lock:
            cur = self._snapshot
            if cur is None:  # invalidated meanwhile: the next load starts again
                return
            catch_up(graph, built.keys, cur)
            self._snapshot = cur = replace(cur, graph=graph)
        self._persist(cur)

    def use_graph(self, graph: Proposer) -> None:
        """Search through a graph built or loaded elsewhere (bench/search_ann.py); its keys
        must be the loaded rows' slots (0..n-1 after a plain load)."""
        with self._write_lock:
            snap = self._snapshot if self._snapshot is not None else self._load()
            self._snapshot = replace(snap, graph=graph)

    def delete_files(self) -> None:
        """Remove the persisted set (the collection is deleted); nothing is saved after this."""
        self._deleted = True
        folder = self._folder()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            graph_check.forget(folder)

    def _folder(self) -> Path | None:
        return self._source.folder if self._source is not None else None

    def _persist(self, snap: Snapshot) -> None:
        folder = self._source.folder if self._source is not None else None
        if self._source is not None and folder is not None and not self._deleted:
            vector_exit.mark_saved(self)
            save_store(folder, self._source.last_generation, snap)

    def _mark_unsaved(self, snap: Snapshot) -> None:
        """Called under the write lock: the set on disk (if any) is older than ``snap``."""
        if (
            self._source is not None
            and self._ann_min_rows is not None
            and snap.live >= self._ann_min_rows
        ):
            vector_exit.mark_unsaved(self)

    def persist_at_exit(self) -> None:
        """At exit, save what this process holds if the set on disk is older (only above the
        cut-over, where a set is kept at all): ~1 s per 1M faces written, against 7-8 s for
        the next process to read every descriptor from SQLite (BENCHMARKS.md)."""
        with self._write_lock:
            snap = self._snapshot
            if snap is not None and vector_exit.is_unsaved(self):
                self._persist(snap)

    # ---------------------------------------------------------------- writes

    def add(self, face_ids: Sequence[str], matrix: np.ndarray) -> int:
        """Append descriptors (one row per id) after a committed insert; returns rows added.

        Ids already indexed are skipped (re-indexing is idempotent, and a lazy load may already
        have read them). No-op while the index is not loaded.
        """
        m = as_matrix(matrix, len(face_ids), self._dim)
        if len(set(face_ids)) != len(face_ids):
            raise ValueError("duplicate face ids in one add")
        with self._write_lock:
            snap = self._snapshot
            if snap is None:
                return 0
            keep = [i for i, fid in enumerate(face_ids) if fid not in snap.rows]
            if not keep:
                return 0
            new_ids = [face_ids[i] for i in keep]
            new_rows = m[keep] if len(keep) != len(face_ids) else m
            self._snapshot = appended(snap, new_ids, new_rows)
            self._mark_unsaved(self._snapshot)
            self._maybe_build(self._snapshot)
            return len(keep)

    def remove(self, face_ids: Iterable[str]) -> int:
        """Drop faces after a committed delete; unknown ids are ignored. Returns rows removed.

        Costs O(removed) (tombstones) until they pass a quarter of the rows (then O(N))."""
        with self._write_lock:
            snap = self._snapshot
            if snap is None:
                return 0
            gone = {snap.rows[f] for f in set(face_ids) if f in snap.rows}
            gone = {r for r in gone if r < snap.n}
            if not gone:
                return 0
            self._snapshot = tombstoned(snap, gone)
            self._mark_unsaved(self._snapshot)
            return len(gone)

    # ----------------------------------------------------------------- reads

    def _query(self, query: np.ndarray) -> F32Array:
        q = np.ascontiguousarray(query, dtype=np.float32)
        if q.shape != (self._dim,):
            raise ValueError(f"query must have shape ({self._dim},), got {q.shape}")
        if not np.isfinite(q).all():
            raise ValueError("query holds NaN or inf")
        return q

    def search(
        self,
        query: np.ndarray,
        k: int,
        max_distance: float | None = None,
        exclude: set[str] | None = None,
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest faces as (face_id, distance), nearest first.

        Only faces with distance <= ``max_distance`` (if given) and not in ``exclude`` are
        returned. Distances are Euclidean, computed in float32.
        """
        if k < 1:
            raise ValueError("k must be >= 1")
        q = self._query(query)
        snap = self._current()
        if snap.n == 0:
            return []
        if snap.graph is not None:
            found = graph_search(snap, q, k, max_distance, exclude)
            if found is not None:
                return found
        return exact_search(snap, q, k, max_distance, exclude)

    def search_many(
        self,
        queries: np.ndarray,
        k: int,
        max_distance: float | None = None,
        exclude: set[str] | None = None,
    ) -> list[list[tuple[str, float]]]:
        """:meth:`search` for each row of ``queries`` (M, dim), one matrix product per block."""
        if k < 1:
            raise ValueError("k must be >= 1")
        qs = np.ascontiguousarray(queries, dtype=np.float32)
        if qs.ndim != 2 or qs.shape[1] != self._dim:
            raise ValueError(f"queries must have shape (M, {self._dim}), got {qs.shape}")
        if not np.isfinite(qs).all():
            raise ValueError("queries hold NaN or inf")
        snap = self._current()
        if snap.n == 0 or qs.shape[0] == 0:
            return [[] for _ in range(qs.shape[0])]
        if snap.graph is not None:
            # A graph search per query touches ~1000 rows; a GEMM block reads all N per block.
            return [self.search(q, k, max_distance, exclude) for q in qs]
        return exact_search_many(snap, qs, k, max_distance, exclude)
