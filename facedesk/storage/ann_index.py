"""An HNSW graph over one collection's descriptors that proposes search candidates.

The graph only proposes: ``VectorIndex`` re-ranks its candidates exactly in float32
(``exact_distances``, as PostgreSQL does) and falls back to the exact scan when a threshold
search might miss a match, so distances and similarities never come from here.

usearch (Apache-2.0, wheels for Linux/Windows/macOS on CPython 3.11-3.13; 57 MB installed on
Linux with its numkong SIMD kernels) was chosen over faiss-cpu (66 MB with its OpenBLAS; its
HNSW reached the same recall per beam in bench/search_ann.py) and hnswlib (source only on
PyPI): it removes keys natively (faiss's HNSW cannot) and saves the graph as one file. Vectors
are stored as float16: L2 distances between dlib descriptors (coordinates ~0.1, strangers
0.7-0.9 apart) lose nothing that matters to the ranking, and the re-rank is exact anyway.
Parameters were chosen in bench/search_ann.py (BENCHMARKS.md): descriptors all sit near one
common mean, so the graph needs a large connectivity and search expansion for recall 0.99.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from facedesk.storage.proposer import Hits, rerank, within

F32Array = npt.NDArray[np.float32]
I64Array = npt.NDArray[np.int64]

CONNECTIVITY = 32
EXPANSION_ADD = 80
EXPANSION_SEARCH = 256
DTYPE = "f16"
# The self-search for unreachable faces (AnnGraph.find_orphans) as a cascade of beams: every
# face at the first, cheapest stage (one result, beam 8), then only each stage's misses at the
# next, up to the search beam. A larger beam explores at least what a smaller one does, so a
# face found early is found at the full beam too (at 100k faces each stage's misses were a
# subset of the previous stage's, bench/ann_build.py), and the result is the set a self-search
# of every face at EXPANSION_SEARCH misses. Before: one pass at beam 32, its misses at 256.
ORPHAN_CASCADE: tuple[tuple[int, int], ...] = (
    (1, 8),
    (10, 16),
    (10, 32),
    (10, 64),
    (10, 128),
    (10, EXPANSION_SEARCH),
)
# Rows per add call while building: ~0.1-0.5 s of work, the longest a cancel waits.
BUILD_CHUNK = 2048


#: First candidate list: at 100k-1M dlib-like faces, top-10 recall >= 0.99 (bench/search_ann.py).
CANDIDATES = 64
#: Candidate lists grow 4x while every candidate passes the threshold; past this many, the
#: exact scan is cheaper than more graph search and cannot miss.
MAX_CANDIDATES = 4096


class AnnGraph:
    """usearch HNSW over (key, descriptor) pairs; keys are the caller's stable slot numbers.

    Searches may run concurrently with each other and with writes (usearch locks per node);
    writes are serialised by the caller.
    """

    suffix = ".usearch"

    def __init__(self, dim: int, index: object | None = None) -> None:
        from usearch.index import Index

        self._dim = dim
        self._index: Index = (
            index
            if isinstance(index, Index)
            else Index(
                ndim=dim,
                metric="l2sq",
                dtype=DTYPE,
                connectivity=CONNECTIVITY,
                expansion_add=EXPANSION_ADD,
                expansion_search=EXPANSION_SEARCH,
            )
        )
        self._index.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]  # has a setter
        # A graph opened from its file is a read-only memory map (usearch's view): opening
        # costs nothing and only the pages searches touch are read. usearch writes into a
        # view crash the process, so the first add or remove copies it into memory.
        self._viewed = False
        # Keys no search reaches: HNSW leaves a few nodes without incoming links (4 in 20k
        # dlib-like faces, even built on one thread), and such a face, even a close match, would
        # never be a candidate. They are found once (a search for each face's own vector) and
        # every search adds them to its candidates. Replaced, never mutated: readers see one.
        self.orphans: I64Array = np.empty(0, dtype=np.int64)

    @classmethod
    def build(
        cls,
        keys: I64Array,
        vectors: F32Array,
        threads: int = 0,
        cancel: threading.Event | None = None,
    ) -> AnnGraph | None:
        """A graph of ``vectors`` under ``keys`` (``threads`` 0: all cores); None if ``cancel``
        was set. Rows go in by chunks so a cancel (process exit) waits at most one chunk."""
        graph = cls(int(vectors.shape[1]))
        for a in range(0, len(keys), BUILD_CHUNK):
            if cancel is not None and cancel.is_set():
                return None
            graph.add(
                keys[a : a + BUILD_CHUNK],
                vectors[a : a + BUILD_CHUNK],
                threads=threads,
                check=False,  # later insertions change the links: checked once at the end
            )
        return graph if graph.settle(keys, vectors, threads=threads, cancel=cancel) else None

    def settle(
        self,
        keys: I64Array,
        vectors: F32Array,
        threads: int = 1,
        cancel: threading.Event | None = None,
    ) -> bool:
        """After a build's inserts: find the unreachable faces, insert them again and set
        :attr:`orphans` to what is still unreachable; False if ``cancel`` was set."""
        orphans = self.find_orphans(keys, vectors, threads=threads, cancel=cancel)
        if orphans is not None and orphans.shape[0]:
            # Most unreachable faces were inserted early and lost their incoming links to
            # later, closer neighbours. Inserted again into the finished graph they get fresh
            # links (100k faces: 256 unreachable, 2 after; bench/ann_build.py), and every
            # search adds fewer candidates. Re-inserting can prune someone else's last link,
            # so the whole graph is searched again.
            again = np.isin(keys, orphans)
            self.remove(keys[again])
            self.add(keys[again], vectors[again], threads=threads, check=False)
            orphans = self.find_orphans(keys, vectors, threads=threads, cancel=cancel)
        if orphans is None:
            return False
        self.orphans = orphans
        return True

    def find_orphans(
        self,
        keys: I64Array,
        vectors: F32Array,
        threads: int = 1,
        cancel: threading.Event | None = None,
    ) -> I64Array | None:
        """The ``keys`` a search for their own vector at the full beam does not find, found by
        :data:`ORPHAN_CASCADE` (None if ``cancel`` was set). Changes the beam while it runs:
        only for a graph no search uses yet (a build's, before it is published)."""
        lost = []
        for a in range(0, len(keys), BUILD_CHUNK):
            if cancel is not None and cancel.is_set():
                return None
            chunk_keys, chunk = keys[a : a + BUILD_CHUNK], vectors[a : a + BUILD_CHUNK]
            for count, beam in ORPHAN_CASCADE:
                if chunk_keys.shape[0] == 0:
                    break
                self.expansion_search = beam
                missed = self.unreachable(chunk_keys, chunk, threads=threads, count=count)
                again = np.isin(chunk_keys, missed)
                chunk_keys, chunk = chunk_keys[again], chunk[again]
            lost.append(chunk_keys)
        self.expansion_search = EXPANSION_SEARCH
        return np.concatenate([np.empty(0, np.int64), *lost]).astype(np.int64)

    def unreachable(
        self,
        keys: Sequence[int] | I64Array,
        vectors: F32Array,
        threads: int = 1,
        count: int = 10,
    ) -> I64Array:
        """The ``keys`` a search for their own vector (``count`` results, at the current beam)
        does not find."""
        k = np.asarray(keys, dtype=np.int64)
        if k.shape[0] == 0:
            return k
        found = self._index.search(
            np.ascontiguousarray(vectors, np.float32), count, threads=threads
        )
        hits = np.asarray(found.keys, dtype=np.int64).reshape(k.shape[0], -1)
        return np.asarray(k[~(hits == k[:, None]).any(axis=1)], dtype=np.int64)

    def __len__(self) -> int:
        return len(self._index)

    @property
    def expansion_search(self) -> int:
        return int(self._index.expansion_search)

    @expansion_search.setter
    def expansion_search(self, ef: int) -> None:
        """The search beam (bench/search_ann.py sweeps it; the default is EXPANSION_SEARCH)."""
        self._index.expansion_search = ef  # type: ignore[misc]  # usearch has a setter

    def memory_usage(self) -> int:
        return int(self._index.memory_usage)

    @property
    def viewed(self) -> bool:
        """True while the graph is still the read-only memory map of its file."""
        return self._viewed

    def _writable(self) -> None:
        if self._viewed:
            # Searches running on the view keep it (the mapping outlives even its file).
            copy = self._index.copy()
            copy.expansion_search = self._index.expansion_search  # type: ignore[misc]
            self._index = copy
            self._viewed = False

    def add(
        self,
        keys: Sequence[int] | I64Array,
        vectors: F32Array,
        threads: int = 1,
        check: bool = True,
    ) -> None:
        if len(keys) == 0:
            return
        self._writable()
        self._index.add(
            np.asarray(keys, dtype=np.uint64),
            np.ascontiguousarray(vectors, dtype=np.float32),
            threads=threads,
        )
        if check:
            lost = self.unreachable(keys, vectors)
            if lost.shape[0]:
                self.orphans = np.concatenate([self.orphans, lost])

    def remove(self, keys: Sequence[int] | I64Array) -> None:
        if len(keys) == 0:
            return
        self._writable()
        self._index.remove(np.asarray(keys, dtype=np.uint64))

    def candidates(self, query: F32Array, count: int) -> I64Array:
        """Keys of up to ``count`` approximate nearest neighbours of ``query``."""
        count = max(1, min(count, len(self._index)))
        # usearch searches with a beam of max(expansion_search, count).
        found = self._index.search(query, count, threads=1)
        keys = np.asarray(found.keys, dtype=np.int64)[: len(found)]
        orphans = self.orphans
        if orphans.shape[0]:
            keys = np.unique(np.concatenate([keys, orphans]))
        return keys

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
        """(row, exact distance) of the ``k`` nearest rows below ``n``, nearest first (ties by
        row): the graph's candidates, re-ranked by :func:`facedesk.storage.proposer.rerank`.
        With a threshold the list grows while every candidate passes it (a match may lie just
        past the list), and past :data:`MAX_CANDIDATES` it returns None: the caller's exact
        scan answers instead."""
        count = max(CANDIDATES, k + len(excluded_rows))
        while True:
            rows, d = rerank(self.candidates(q, count), row_of, n, matrix, q, excluded_rows)
            if max_distance is None:
                if rows.shape[0] >= k:
                    return list(zip(rows[:k].tolist(), d[:k].tolist(), strict=True))
            else:
                inside = within(d, max_distance)
                hits = int(inside.sum())
                if hits >= k or hits < rows.shape[0]:
                    rows, d = rows[inside][:k], d[inside][:k]
                    return list(zip(rows.tolist(), d.tolist(), strict=True))
            # Too few results: the graph may not have reached every row, even when asked for all.
            if count >= MAX_CANDIDATES or count >= len(self):
                return None
            count = min(count * 4, MAX_CANDIDATES)

    def save(self, path: Path) -> None:
        self._index.save(str(path))

    @classmethod
    def load(cls, path: Path, dim: int, view: bool = False) -> AnnGraph:
        """Read a saved graph (``view``: memory-map it read-only, see ``_viewed``); ValueError
        if it is not one for ``dim``-d descriptors."""
        from usearch.index import Index

        meta = Index.metadata(str(path))
        if meta is None or int(meta.get("dimensions", -1)) != dim:
            raise ValueError(f"{path} is not a {dim}-d usearch index")
        index = Index(ndim=dim, metric="l2sq", dtype=DTYPE, connectivity=CONNECTIVITY)
        if view:
            index.view(str(path))
        else:
            index.load(str(path))
        graph = cls(dim, index)
        graph._viewed = view
        return graph
