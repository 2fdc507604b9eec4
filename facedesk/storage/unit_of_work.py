"""One Session per operation, cosmicpython-style: explicit commit, rollback by default."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy import update

from facedesk.core.events import CollectionDropped, Event, FacesChanged
from facedesk.storage.orm import CollectionRow
from facedesk.storage.people import (
    FaceGroupRepository,
    JournalRepository,
    PeopleRepository,
    RejectionRepository,
)
from facedesk.storage.portable import PortableRepository
from facedesk.storage.repositories import (
    CollectionRepository,
    CollectionScope,
    FacesById,
    ImageRepository,
    IndexRecordsById,
    TokensById,
    UsersById,
)
from facedesk.storage.repositories import changes as _changes
from facedesk.storage.repositories.common import forget_all_collections, require_collection

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

Publish = Callable[[Event], None]


def _ignore(_event: Event) -> None:
    pass


class UnitOfWork:
    """Context manager around one Session.

    ``with db.unit_of_work() as uow: ...; uow.commit()``. Leaving the block without
    ``commit()`` (or by an exception) rolls everything back. On SQLite a writing unit of work
    starts with ``BEGIN IMMEDIATE`` at its first statement, so two writers queue on the
    write lock instead of deadlocking on a lock upgrade.

    ``collection(cid)`` is the aggregate: the collection looked up once, with its
    repositories. Faces added or removed through them are counted on commit (the
    collection's generation moves by one in the same transaction) and published as
    facedesk.core.events once the commit has succeeded.
    """

    collections: CollectionRepository
    images: ImageRepository
    faces: FacesById
    index_records: IndexRecordsById
    users: UsersById
    tokens: TokensById
    people: PeopleRepository
    portable: PortableRepository
    groups: FaceGroupRepository
    rejections: RejectionRepository
    journal: JournalRepository

    def __init__(self, session_factory: sessionmaker[Session], publish: Publish = _ignore) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._publish = publish
        self._scopes: dict[str, CollectionScope] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("UnitOfWork is not re-entrant")
        session = self._session_factory()
        self._session = session
        self._scopes = {}
        self.collections = CollectionRepository(session)
        self.images = ImageRepository(session)
        self.faces = FacesById(self.collection)
        self.index_records = IndexRecordsById(self.collection)
        self.users = UsersById(self.collection)
        self.tokens = TokensById(self.collection, session)
        self.people = PeopleRepository(session)
        self.portable = PortableRepository(session)
        self.groups = FaceGroupRepository(session)
        self.rejections = RejectionRepository(session)
        self.journal = JournalRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()  # no-op after commit(); discards anything not committed
        finally:
            session.close()
            self._session = None
            self._scopes = {}

    def collection(self, collection_id: str) -> CollectionScope:
        """The collection and its repositories; ResourceNotFoundException if it does not
        exist. Looked up once per unit of work (a deleted one is looked up again)."""
        ref = require_collection(self.session, collection_id)
        scope = self._scopes.get(collection_id)
        if scope is None or scope.ref != ref:
            scope = self._scopes[collection_id] = CollectionScope(self.session, ref)
        return scope

    def commit(self) -> None:
        session = self.session
        pending = _changes.take(session)
        generations: dict[str, int] = {}
        for cid, change in pending.faces.items():
            if change.added or change.removed:
                generations[cid] = self._bump(cid)
        session.commit()
        for cid in pending.dropped:
            self._publish(CollectionDropped(cid))
        for cid, generation in generations.items():
            change = pending.faces[cid]
            self._publish(
                FacesChanged(cid, generation, tuple(change.added.values()), tuple(change.removed))
            )

    def _bump(self, collection_id: str) -> int:
        """One more change to the collection's faces, in this transaction: other processes
        see the faces and the new generation together, or neither."""
        pk = require_collection(self.session, collection_id).pk
        bumped = self.session.execute(
            update(CollectionRow)
            .where(CollectionRow.pk == pk)
            .values(generation=CollectionRow.generation + 1)
            .returning(CollectionRow.generation)
        ).scalar_one()
        return int(bumped)

    def rollback(self) -> None:
        self.session.rollback()
        _changes.take(self.session)
        forget_all_collections(self.session)
        self._scopes = {}
