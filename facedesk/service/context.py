"""What every operation needs: the database, the face analyzer and the vector indexes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from facedesk.core.types import StoredFace

if TYPE_CHECKING:
    from facedesk.engine import FaceAnalyzer
    from facedesk.storage.database import Database
    from facedesk.storage.vector_index import VectorIndex, VectorIndexRegistry

ACCOUNT = "000000000000"
REGION = "local"


_REGISTRY: VectorIndexRegistry | None = None


def _registry() -> VectorIndexRegistry:
    """One vector index per (database, collection) for the whole process, shared by clients."""
    global _REGISTRY
    if _REGISTRY is None:
        from facedesk.storage.vector_index import VectorIndexRegistry

        _REGISTRY = VectorIndexRegistry()
    return _REGISTRY


def collection_arn(collection_id: str) -> str:
    return f"arn:aws:rekognition:{REGION}:{ACCOUNT}:collection/{collection_id}"


@dataclass
class ServiceContext:
    """Shared by the operations of one client. Thread-safe: the database opens one Session
    per operation and the analyzer keeps its dlib models per thread."""

    database_url: str
    detector: str = "hog"
    store_thumbnails: bool = False
    _db: Database | None = field(default=None, repr=False)
    _analyzer: FaceAnalyzer | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            with self._lock:
                if self._db is None:
                    from facedesk.storage.database import Database

                    self._db = Database(self.database_url)
        return self._db

    @property
    def analyzer(self) -> FaceAnalyzer:
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    from facedesk.engine import FaceAnalyzer

                    self._analyzer = FaceAnalyzer(detector=self.detector)
        return self._analyzer

    def vectors(self, collection_id: str) -> VectorIndex:
        """The collection's in-memory search matrix, loaded on first use."""

        def load() -> tuple[list[str], npt.NDArray[np.float32]]:
            with self.db.unit_of_work() as uow:
                return uow.faces.embeddings(collection_id)

        return _registry().get(self.database_url, collection_id, load)

    def faces_added(self, collection_id: str, faces: list[StoredFace]) -> None:
        index = _registry().peek(self.database_url, collection_id)
        if index is not None and faces:
            index.add([f.face_id for f in faces], np.stack([f.embedding for f in faces]))

    def faces_removed(self, collection_id: str, face_ids: list[str]) -> None:
        index = _registry().peek(self.database_url, collection_id)
        if index is not None and face_ids:
            index.remove(face_ids)

    def collection_dropped(self, collection_id: str) -> None:
        _registry().drop(self.database_url, collection_id)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None
