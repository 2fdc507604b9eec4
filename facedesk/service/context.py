"""What every operation needs: the database, the face analyzer and the vector indexes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt

from facedesk.core.events import CollectionDropped, Event, FacesChanged
from facedesk.core.types import DecodedImage, DetectedFace

if TYPE_CHECKING:
    from facedesk.service.ports import Analyzer, Store, UnitOfWork
    from facedesk.storage.database import Database
    from facedesk.storage.people_quick import QuickReader
    from facedesk.storage.vector_index import VectorIndex
    from facedesk.storage.vector_registry import VectorIndexRegistry

T = TypeVar("T")
ACCOUNT = "000000000000"
REGION = "local"


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
    # The engine; tests of the service rules give one that returns faces they made.
    _analyzer: Analyzer | None = field(default=None, repr=False)
    # Where the Rekognition operations' units of work come from: the database unless a test
    # gives an in-memory store (tests/unit/fake_uow.py).
    _store: Store | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # The collections' in-memory search matrices (made on first search), the generation each
    # loaded matrix reflects, and the database's data_version when that was last checked.
    _registry: VectorIndexRegistry | None = field(default=None, repr=False)
    _loaded_at: dict[str, int] = field(default_factory=dict, repr=False)
    _checked_at: dict[str, int] = field(default_factory=dict, repr=False)
    _generation_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # What the people features keep between calls for this context's database (people_log's
    # actions, suggest_state's last listings, groups' fully grouped marks), one entry per
    # owner; it lives as long as the database is open here (``close`` drops it).
    _kept: dict[str, Any] = field(default_factory=dict, repr=False)
    _kept_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def db(self) -> Database:
        if self._db is None:
            with self._lock:
                if self._db is None:
                    from facedesk.storage.database import Database

                    db = Database(self.database_url)
                    db.subscribe(self._on_event)
                    self._db = db
        return self._db

    def kept(self, owner: str, make: Callable[[], T]) -> T:
        """The state ``owner`` keeps here (made by ``make`` on first use)."""
        with self._kept_lock:
            if owner not in self._kept:
                self._kept[owner] = make()
            found: T = self._kept[owner]
        return found

    def first_reader(self) -> QuickReader | None:
        """The window's first screen without SQLAlchemy (storage/people_quick.py): a reader
        while the Database is not open yet and the database is a SQLite file at the
        current schema; None otherwise (then ``db`` answers, opening it)."""
        if self._db is not None or self._store is not None:
            return None
        from facedesk.storage.people_quick import QuickReader

        return QuickReader.open(self.database_url)

    def __post_init__(self) -> None:
        if self._store is not None:
            self._store.subscribe(self._on_event)

    @property
    def store(self) -> Store:
        return self.db if self._store is None else self._store

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work of ``store``, typed by the service's Protocol (ports.UnitOfWork)."""
        return self.store.unit_of_work(read_only=read_only)

    @property
    def analyzer(self) -> Analyzer:
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
        with self.unit_of_work(read_only=True) as uow:
            return uow.collection(collection_id).face_model_version

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
        """Faces in ``image`` as the engine of ``version`` (default: ours) finds them.

        One interactive call: its detector may use an idle core (a batch never comes here)."""
        from facedesk.engine.cpu_share import interactive

        with interactive():
            return self.analyzer.analyze(
                image,
                detector=self.detector_for(version),
                attributes=attributes,
                descriptors=descriptors,
            )

    def _vector_registry(self) -> VectorIndexRegistry:
        if self._registry is None:
            with self._lock:
                if self._registry is None:
                    from facedesk.storage.vector_registry import VectorIndexRegistry

                    self._registry = VectorIndexRegistry()
        return self._registry

    def vectors(self, collection_id: str) -> VectorIndex:
        """The collection's in-memory search matrix, current with the database.

        The matrix is loaded on first use and then kept up to date by the events of this
        process's commits (``_on_event``). A write by another process (the CLI beside the
        app, say) moves the collection's generation past the matrix's, which then reloads.
        The generation is read only when the database says something was committed since
        the last look (SQLite's data_version); where no such counter exists (PostgreSQL,
        whose searches run in the database anyway) it is read every time.
        """

        def load() -> tuple[list[str], npt.NDArray[np.float32]]:
            with self.unit_of_work(read_only=True) as uow:  # one snapshot for both reads
                generation = uow.collections.generation(collection_id)
                ids, matrix = uow.collection(collection_id).faces.embeddings()
            self._loaded_at[collection_id] = generation
            return ids, matrix

        def seen(generation: int) -> None:  # the persisted index read the database at this
            self._loaded_at[collection_id] = generation

        source = None
        if self._store is None:  # a real database: the index persists beside it
            from facedesk.storage.index_files import RowSource

            source = RowSource(self.db, collection_id, seen)
        index = self._vector_registry().get(self.database_url, collection_id, load, source)
        stamp = self.store.data_version()  # before the generation: a commit after it is seen
        if stamp is not None and self._checked_at.get(collection_id) == stamp:
            return index  # nothing committed by anyone since the generation was compared
        with self.unit_of_work(read_only=True) as uow:
            current = uow.collections.generation(collection_id)
        with self._generation_lock:
            if index.loaded and self._loaded_at.get(collection_id) != current:
                index.invalidate()
            if stamp is not None:
                self._checked_at[collection_id] = stamp
        return index

    def _on_event(self, event: Event) -> None:
        """The one handler of committed face changes: keep the loaded matrix current."""
        registry = self._vector_registry()
        cid = event.collection_id
        if isinstance(event, CollectionDropped):
            registry.drop(self.database_url, cid)
            self._loaded_at.pop(cid, None)
            self._checked_at.pop(cid, None)
            return
        assert isinstance(event, FacesChanged)
        index = registry.peek(self.database_url, cid)
        if index is None:
            return
        with self._generation_lock:
            if not index.loaded:
                return
            if self._loaded_at.get(cid) != event.generation - 1:
                index.invalidate()  # someone else wrote in between: reload on next search
                return
            try:
                if event.removed:
                    index.remove(event.removed)
                if event.added:
                    ids = [f.face_id for f in event.added]
                    index.add(ids, np.stack([f.embedding for f in event.added]))
            except ValueError:
                # The write is committed whatever the matrix makes of it: never fail the
                # operation here; reload from the database on the next search instead.
                index.invalidate()
            self._loaded_at[cid] = event.generation

    def close(self) -> None:
        with self._kept_lock:
            self._kept.clear()  # it described the database closed here
        if self._db is not None:
            self._db.dispose()
            self._db = None
