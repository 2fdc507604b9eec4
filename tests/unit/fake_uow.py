"""An in-memory store and unit of work (cosmicpython's FakeUnitOfWork) for the service rules.

It satisfies facedesk.service.ports (mypy checks it: see [tool.mypy] files), keeps the real
one's semantics that the rules rely on (ResourceNotFound for an unknown collection, nothing
kept without commit, FaceId order in listings, events published after a commit) and holds
everything in dicts: no SQLite, no dlib.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

import numpy as np

from facedesk.core.errors import (
    ConflictException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    collection_not_found,
)
from facedesk.core.events import CollectionDropped, Event, FacesChanged
from facedesk.core.types import (
    CollectionInfo,
    Embedding,
    ImageInfo,
    IndexRecord,
    StoredFace,
    UserInfo,
)
from facedesk.service import ports


@dataclass
class CollectionData:
    info: CollectionInfo
    generation: int = 0
    faces: dict[str, StoredFace] = field(default_factory=dict)
    records: dict[tuple[str, str | None], IndexRecord] = field(default_factory=dict)
    users: dict[str, tuple[int, UserInfo]] = field(default_factory=dict)
    tokens: dict[tuple[str, str], tuple[str, dict[str, Any]]] = field(default_factory=dict)
    added: dict[str, StoredFace] = field(default_factory=dict)  # this unit of work's changes
    removed: dict[str, None] = field(default_factory=dict)

    def clone(self) -> CollectionData:
        # The values are frozen dataclasses: copying the dicts is a full snapshot.
        return CollectionData(
            self.info,
            self.generation,
            dict(self.faces),
            dict(self.records),
            dict(self.users),
            dict(self.tokens),
        )


@dataclass
class State:
    collections: dict[str, CollectionData] = field(default_factory=dict)
    images: dict[str, ImageInfo] = field(default_factory=dict)

    def clone(self) -> State:
        return State({c: d.clone() for c, d in self.collections.items()}, dict(self.images))


class FakeFaces:
    def __init__(self, data: CollectionData) -> None:
        self._d = data

    def add_many(
        self, faces: Sequence[StoredFace], thumbnails: Mapping[str, bytes] | None = None
    ) -> None:
        for f in faces:
            if f.user_id is not None and f.user_id not in self._d.users:
                raise ResourceNotFoundException(f"The user id: {f.user_id} does not exist")
            self._d.faces.setdefault(f.face_id, f)  # a duplicate FaceId is the same face
            self._d.added[f.face_id] = f

    def get_many(self, face_ids: Sequence[str]) -> list[StoredFace]:
        return [self._d.faces[f] for f in dict.fromkeys(face_ids) if f in self._d.faces]

    def get(self, face_id: str) -> StoredFace | None:
        return self._d.faces.get(face_id)

    def list_page(
        self,
        after_face_id: str | None,
        limit: int,
        user_id: str | None = None,
        face_ids: Sequence[str] | None = None,
        with_embeddings: bool = True,
    ) -> list[StoredFace]:
        out = [
            f
            for fid, f in sorted(self._d.faces.items())
            if (after_face_id is None or fid > after_face_id)
            and (user_id is None or f.user_id == user_id)
            and (face_ids is None or fid in face_ids)
        ]
        return out[:limit]

    def by_image(self, image_id: str, external_image_id: str | None) -> list[StoredFace]:
        return [
            f
            for _, f in sorted(self._d.faces.items())
            if f.image_id == image_id and f.external_image_id == external_image_id
        ]

    def delete_many(self, face_ids: Sequence[str]) -> list[str]:
        gone = [f for f in dict.fromkeys(face_ids) if self._d.faces.pop(f, None) is not None]
        for fid in gone:
            self._d.added.pop(fid, None)
            self._d.removed[fid] = None
        return gone

    def set_user(self, face_ids: Sequence[str], user_id: str | None) -> int:
        if user_id is not None and user_id not in self._d.users:
            raise ResourceNotFoundException(f"The user id: {user_id} does not exist")
        changed = 0
        for fid in dict.fromkeys(face_ids):
            if fid in self._d.faces:
                self._d.faces[fid] = replace(self._d.faces[fid], user_id=user_id)
                changed += 1
        return changed

    def embeddings(self) -> tuple[list[str], Embedding]:
        ids = sorted(self._d.faces)
        if not ids:
            return [], np.zeros((0, 128), dtype=np.float32)
        return ids, np.stack([self._d.faces[f].embedding for f in ids]).astype(np.float32)

    def nearest(
        self,
        query: Embedding,
        k: int,
        max_distance: float | None = None,
        exclude: set[str] | None = None,
    ) -> list[tuple[str, float]]:
        raise NotImplementedError("in-database search needs PostgreSQL with pgvector")


class FakeIndexRecords:
    def __init__(self, data: CollectionData) -> None:
        self._d = data

    def lock_for_write(self, image_id: str, external_image_id: str | None) -> None:
        pass  # one writer at a time by construction

    def get(self, image_id: str, external_image_id: str | None) -> IndexRecord | None:
        return self._d.records.get((image_id, external_image_id))

    def add(self, record: IndexRecord) -> None:
        self._d.records[(record.image_id, record.external_image_id)] = record

    def delete_for_image(self, image_id: str, external_image_id: str | None) -> bool:
        return self._d.records.pop((image_id, external_image_id), None) is not None


class FakeUsers:
    _positions = itertools.count(1)

    def __init__(self, data: CollectionData) -> None:
        self._d = data

    def _counted(self, info: UserInfo) -> UserInfo:
        n = sum(1 for f in self._d.faces.values() if f.user_id == info.user_id)
        return replace(info, face_count=n)

    def add(self, info: UserInfo) -> None:
        if info.user_id in self._d.users:
            raise ConflictException(f"The user id: {info.user_id} already exists.")
        self._d.users[info.user_id] = (next(self._positions), info)

    def get(self, user_id: str) -> UserInfo | None:
        found = self._d.users.get(user_id)
        return None if found is None else self._counted(found[1])

    def delete(self, user_id: str) -> bool:
        return self._d.users.pop(user_id, None) is not None

    def list_page_by_position(
        self, after_position: int | None, limit: int
    ) -> list[tuple[int, UserInfo]]:
        ordered = sorted(self._d.users.values(), key=lambda pu: pu[0])
        page = [
            (p, self._counted(u))
            for p, u in ordered
            if after_position is None or p > after_position
        ]
        return page[:limit]

    def face_ids(self, user_id: str) -> list[str]:
        return sorted(fid for fid, f in self._d.faces.items() if f.user_id == user_id)

    def nearest_by_mean(
        self, query: Embedding, limit: int, max_distance: float
    ) -> list[str] | None:
        return None  # ranked in process, as on SQLite


class FakeTokens:
    def __init__(self, data: CollectionData) -> None:
        self._d = data

    def get(self, operation: str, token: str) -> tuple[str, dict[str, Any]] | None:
        return self._d.tokens.get((operation, token))

    def put(
        self, operation: str, token: str, params_hash: str, response: Mapping[str, Any]
    ) -> None:
        self._d.tokens[(operation, token)] = (params_hash, dict(response))


class FakeCollection:
    def __init__(self, data: CollectionData) -> None:
        self._data = data
        self._faces = FakeFaces(data)
        self._records = FakeIndexRecords(data)
        self._users = FakeUsers(data)
        self._tokens = FakeTokens(data)

    @property
    def collection_id(self) -> str:
        return self._data.info.collection_id

    @property
    def face_model_version(self) -> str:
        return self._data.info.face_model_version

    @property
    def faces(self) -> FakeFaces:
        return self._faces

    @property
    def index_records(self) -> FakeIndexRecords:
        return self._records

    @property
    def users(self) -> FakeUsers:
        return self._users

    @property
    def tokens(self) -> FakeTokens:
        return self._tokens


class FakeCollections:
    def __init__(self, state: State, dropped: list[str]) -> None:
        self._state = state
        self._dropped = dropped

    def _counted(self, data: CollectionData) -> CollectionInfo:
        return replace(data.info, face_count=len(data.faces), user_count=len(data.users))

    def add(self, info: CollectionInfo) -> None:
        if info.collection_id in self._state.collections:
            raise ResourceAlreadyExistsException(
                f"The collection id: {info.collection_id} already exists."
            )
        self._state.collections[info.collection_id] = CollectionData(info)

    def require(self, collection_id: str) -> CollectionInfo:
        data = self._state.collections.get(collection_id)
        if data is None:
            raise collection_not_found(collection_id)
        return self._counted(data)

    def delete(self, collection_id: str) -> bool:
        if self._state.collections.pop(collection_id, None) is None:
            return False
        self._dropped.append(collection_id)
        return True

    def list_page(self, after: str | None, limit: int) -> list[CollectionInfo]:
        ids = [c for c in sorted(self._state.collections) if after is None or c > after]
        return [self._counted(self._state.collections[c]) for c in ids[:limit]]

    def ids(self) -> list[str]:
        return sorted(self._state.collections)

    def generation(self, collection_id: str) -> int:
        data = self._state.collections.get(collection_id)
        if data is None:
            raise collection_not_found(collection_id)
        return data.generation


class FakeImages:
    def __init__(self, state: State) -> None:
        self._state = state

    def upsert(self, info: ImageInfo) -> None:
        self._state.images.setdefault(info.image_id, info)


class FakeUnitOfWork:
    """Works on a copy of the store's state; commit() swaps it in and publishes events."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._state: State | None = None
        self._dropped: list[str] = []

    def _current(self) -> State:
        if self._state is None:
            raise RuntimeError("FakeUnitOfWork used outside its `with` block")
        return self._state

    @property
    def collections(self) -> FakeCollections:
        return FakeCollections(self._current(), self._dropped)

    @property
    def images(self) -> FakeImages:
        return FakeImages(self._current())

    def collection(self, collection_id: str) -> FakeCollection:
        data = self._current().collections.get(collection_id)
        if data is None:
            raise collection_not_found(collection_id)
        return FakeCollection(data)

    def commit(self) -> None:
        state = self._current()
        events: list[Event] = [CollectionDropped(c) for c in self._dropped]
        for cid, data in state.collections.items():
            if data.added or data.removed:
                data.generation += 1
                added, removed = tuple(data.added.values()), tuple(data.removed)
                events.append(FacesChanged(cid, data.generation, added, removed))
                data.added, data.removed = {}, {}
        self._store.state = state.clone()
        self._store.commits += 1
        self._dropped = []
        for event in events:
            self._store.publish(event)

    def rollback(self) -> None:
        self._state = self._store.state.clone()
        self._dropped = []

    def __enter__(self) -> FakeUnitOfWork:
        self._state = self._store.state.clone()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._state = None  # whatever was not committed is gone


class FakeStore:
    """The fake database: committed state, a commit counter as data_version, subscribers."""

    is_postgresql = False

    def __init__(self) -> None:
        self.state = State()
        self.commits = 0
        self.units = 0  # units of work opened, to check which operations open none
        self._handlers: list[Callable[[Event], None]] = []

    def unit_of_work(self, *, read_only: bool = False) -> FakeUnitOfWork:
        self.units += 1
        return FakeUnitOfWork(self)

    def data_version(self) -> int | None:
        return self.commits

    def subscribe(self, handler: Callable[[Event], None]) -> None:
        self._handlers.append(handler)

    def publish(self, event: Event) -> None:
        for handler in self._handlers:
            handler(event)


# mypy checks that the fakes satisfy the service's Protocols, as the real ones must.
_store: ports.Store = FakeStore()
_uow: ports.UnitOfWork = FakeUnitOfWork(FakeStore())
