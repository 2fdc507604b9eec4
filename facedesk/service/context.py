"""What every operation needs: the database, the face analyzer and the vector indexes."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from facedesk.core.types import DecodedImage, DetectedFace, StoredFace

if TYPE_CHECKING:
    from facedesk.engine import FaceAnalyzer
    from facedesk.storage.database import Database
    from facedesk.storage.vector_index import VectorIndex, VectorIndexRegistry

ACCOUNT = "000000000000"
REGION = "local"


_REGISTRY: VectorIndexRegistry | None = None
# Generation of each loaded matrix, keyed like the registry (database url, collection id).
_LOADED_AT: dict[tuple[str, str], int] = {}
_GENERATION_LOCK = threading.Lock()


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
    detector: str = "hog"  # FaceModelVersion 1.0's detector: "hog" or dlib's MMOD "cnn"
    store_thumbnails: bool = False
    # The FaceModelVersion of new collections and of DetectFaces/CompareFaces (which have
    # no collection); None: the engine's default (7.0 where its wheel installs).
    model_version: str | None = None
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

    def default_version(self) -> str:
        from facedesk.engine.versions import check_version, default_model_version

        return check_version(self.model_version or default_model_version())

    def collection_version(self, collection_id: str) -> str:
        """The FaceModelVersion the collection was created with (ResourceNotFound if none)."""
        with self.db.unit_of_work(read_only=True) as uow:
            return uow.collections.face_model_version(collection_id)

    def detector_for(self, version: str | None = None, requested: str | None = None) -> str:
        from facedesk.engine.versions import detector_for

        return detector_for(version or self.default_version(), requested or self.detector)

    def analyze(
        self,
        image: DecodedImage,
        version: str | None = None,
        *,
        attributes: frozenset[str] = frozenset(),
        descriptors: bool = True,
    ) -> list[DetectedFace]:
        """Faces in ``image`` as the engine of ``version`` (default: ours) finds them."""
        return self.analyzer.analyze(
            image,
            detector=self.detector_for(version),
            attributes=attributes,
            descriptors=descriptors,
        )

    def vectors(self, collection_id: str) -> VectorIndex:
        """The collection's in-memory search matrix, current with the database.

        The matrix is loaded on first use and then kept up to date by this process's own
        writes; the collection's generation counter tells when another process (the CLI
        beside the app, say) changed the faces, and the matrix is then reloaded.
        """
        key = (self.database_url, collection_id)

        def load() -> tuple[list[str], npt.NDArray[np.float32]]:
            with self.db.unit_of_work(read_only=True) as uow:  # one snapshot for both reads
                generation = uow.collections.generation(collection_id)
                ids, matrix = uow.faces.embeddings(collection_id)
            _LOADED_AT[key] = generation
            return ids, matrix

        def seen(generation: int) -> None:  # the persisted index read the database at this
            _LOADED_AT[key] = generation

        from facedesk.storage.index_files import RowSource

        with self.db.unit_of_work(read_only=True) as uow:
            current = uow.collections.generation(collection_id)
        source = RowSource(self.db, collection_id, seen)
        index = _registry().get(self.database_url, collection_id, load, source)
        with _GENERATION_LOCK:
            if index.loaded and _LOADED_AT.get(key) != current:
                index.invalidate()
        return index

    def faces_changed(
        self, collection_id: str, generation: int, added: list[StoredFace], removed: list[str]
    ) -> None:
        """Apply a committed write to the loaded matrix, or drop it if it missed one."""
        key = (self.database_url, collection_id)
        index = _registry().peek(self.database_url, collection_id)
        if index is None:
            return
        with _GENERATION_LOCK:
            if not index.loaded:
                return
            if _LOADED_AT.get(key) != generation - 1:
                index.invalidate()  # someone else wrote in between: reload on next search
                return
            if added:
                index.add([f.face_id for f in added], np.stack([f.embedding for f in added]))
            if removed:
                index.remove(removed)
            _LOADED_AT[key] = generation

    def collection_dropped(self, collection_id: str) -> None:
        _registry().drop(self.database_url, collection_id)
        _LOADED_AT.pop((self.database_url, collection_id), None)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None
