"""What the service layer needs from storage and the engine, as Protocols.

The real unit of work (facedesk.storage) and the in-memory one of the unit tests
(tests/unit/fake_uow.py) both satisfy these, and mypy checks both against them: the
service rules can then be tested in milliseconds, without SQLite or dlib. Only the calls
the Rekognition operations make are here; the app's other services use the concrete
Database (``ServiceContext.db``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Protocol

from facedesk.core.events import Event
from facedesk.core.types import (
    BoundingBox,
    CollectionInfo,
    DecodedImage,
    DetectedFace,
    Embedding,
    ImageInfo,
    IndexRecord,
    StoredFace,
    UserInfo,
)


class Faces(Protocol):
    def add_many(
        self, faces: Sequence[StoredFace], thumbnails: Mapping[str, bytes] | None = None
    ) -> None: ...
    def get_many(self, face_ids: Sequence[str]) -> list[StoredFace]: ...
    def get(self, face_id: str) -> StoredFace | None: ...
    def list_page(
        self,
        after_face_id: str | None,
        limit: int,
        user_id: str | None = None,
        face_ids: Sequence[str] | None = None,
        with_embeddings: bool = True,
    ) -> list[StoredFace]: ...
    def by_image(self, image_id: str, external_image_id: str | None) -> list[StoredFace]: ...
    def delete_many(self, face_ids: Sequence[str]) -> list[str]: ...
    def set_user(self, face_ids: Sequence[str], user_id: str | None) -> int: ...
    def embeddings(self) -> tuple[list[str], Embedding]: ...
    def nearest(
        self,
        query: Embedding,
        k: int,
        max_distance: float | None = None,
        exclude: set[str] | None = None,
    ) -> list[tuple[str, float]]: ...


class IndexRecords(Protocol):
    def lock_for_write(self, image_id: str, external_image_id: str | None) -> None: ...
    def get(self, image_id: str, external_image_id: str | None) -> IndexRecord | None: ...
    def add(self, record: IndexRecord) -> None: ...
    def delete_for_image(self, image_id: str, external_image_id: str | None) -> bool: ...


class Users(Protocol):
    def add(self, info: UserInfo) -> None: ...
    def get(self, user_id: str) -> UserInfo | None: ...
    def delete(self, user_id: str) -> bool: ...
    def list_page_by_position(
        self, after_position: int | None, limit: int
    ) -> list[tuple[int, UserInfo]]: ...
    def face_ids(self, user_id: str) -> list[str]: ...
    def nearest_by_mean(
        self, query: Embedding, limit: int, max_distance: float
    ) -> list[str] | None: ...


class Tokens(Protocol):
    def get(self, operation: str, token: str) -> tuple[str, dict[str, Any]] | None: ...
    def put(
        self, operation: str, token: str, params_hash: str, response: Mapping[str, Any]
    ) -> None: ...


class Collection(Protocol):
    """The aggregate: one collection, found once, with its repositories."""

    @property
    def collection_id(self) -> str: ...
    @property
    def face_model_version(self) -> str: ...
    @property
    def faces(self) -> Faces: ...
    @property
    def index_records(self) -> IndexRecords: ...
    @property
    def users(self) -> Users: ...
    @property
    def tokens(self) -> Tokens: ...


class Collections(Protocol):
    def add(self, info: CollectionInfo) -> None: ...
    def require(self, collection_id: str) -> CollectionInfo: ...
    def delete(self, collection_id: str) -> bool: ...
    def list_page(self, after: str | None, limit: int) -> list[CollectionInfo]: ...
    def ids(self) -> list[str]: ...
    def generation(self, collection_id: str) -> int: ...


class Images(Protocol):
    def upsert(self, info: ImageInfo) -> None: ...


class UnitOfWork(Protocol):
    """``with store.unit_of_work() as uow: ...; uow.commit()``; leaving without commit rolls
    back. commit() publishes the face events of what it wrote (facedesk.core.events)."""

    @property
    def collections(self) -> Collections: ...
    @property
    def images(self) -> Images: ...
    def collection(self, collection_id: str) -> Collection: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Store(Protocol):
    """Where units of work come from (facedesk.storage.database.Database)."""

    @property
    def is_postgresql(self) -> bool: ...
    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork: ...
    def data_version(self) -> int | None: ...
    def subscribe(self, handler: Callable[[Event], None]) -> None: ...


class Analyzer(Protocol):
    """The face engine (facedesk.engine.FaceAnalyzer): where analysis results enter."""

    def analyze(
        self,
        image: DecodedImage,
        *,
        detector: str | None = None,
        attributes: frozenset[str] = frozenset(),
        descriptors: bool = True,
    ) -> list[DetectedFace]: ...
    def measure_box(
        self,
        image: DecodedImage,
        box: BoundingBox,
        *,
        attributes: frozenset[str] = frozenset(),
        mesh_pose: bool = False,
    ) -> DetectedFace: ...
