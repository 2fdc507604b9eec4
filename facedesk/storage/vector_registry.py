"""One :class:`VectorIndex` per (database url, collection id), shared by a client's operations.

Kept apart from ``vector_index`` (what one collection's index does) because this is only the
lookup table: which index a client already holds, created on first use and dropped with its
collection or database.
"""

from __future__ import annotations

import threading

from facedesk.core.similarity import DESCRIPTOR_SIZE
from facedesk.storage.index_files import RowSource
from facedesk.storage.vector_index import ANN_MIN_ROWS, BUILD_DELAY_S, Loader, VectorIndex


class VectorIndexRegistry:
    """One :class:`VectorIndex` per (database url, collection id), created on first use."""

    def __init__(self, dim: int = DESCRIPTOR_SIZE, ann_min_rows: int | None = ANN_MIN_ROWS) -> None:
        self._dim = dim
        self._ann_min_rows = ann_min_rows
        self._lock = threading.Lock()
        self._indexes: dict[tuple[str, str], VectorIndex] = {}

    def get(
        self,
        database_url: str,
        collection_id: str,
        loader: Loader,
        source: RowSource | None = None,
    ) -> VectorIndex:
        """The collection's index; ``loader`` (and ``source``, which makes a SQLite library's
        index persist beside it) are only used if the index does not exist yet."""
        key = (database_url, collection_id)
        with self._lock:
            index = self._indexes.get(key)
            if index is None:
                index = VectorIndex(
                    loader,
                    self._dim,
                    source=source,
                    ann_min_rows=self._ann_min_rows,
                    build_delay=BUILD_DELAY_S,
                )
                self._indexes[key] = index
            return index

    def peek(self, database_url: str, collection_id: str) -> VectorIndex | None:
        """The collection's index if one exists (loaded or not), else None."""
        with self._lock:
            return self._indexes.get((database_url, collection_id))

    def drop(self, database_url: str, collection_id: str) -> None:
        """Forget a collection's index (DeleteCollection); a later get starts afresh."""
        with self._lock:
            index = self._indexes.pop((database_url, collection_id), None)
        if index is not None:
            index.delete_files()

    def drop_database(self, database_url: str) -> None:
        """Forget every index of one database (e.g. when it is closed or replaced)."""
        with self._lock:
            for key in [key for key in self._indexes if key[0] == database_url]:
                del self._indexes[key]

    def clear(self) -> None:
        with self._lock:
            self._indexes.clear()
