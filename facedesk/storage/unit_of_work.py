"""One Session per operation, cosmicpython-style: explicit commit, rollback by default."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from facedesk.storage.people import (
    FaceGroupRepository,
    JournalRepository,
    PeopleRepository,
    RejectionRepository,
)
from facedesk.storage.portable import PortableRepository
from facedesk.storage.repositories import (
    CollectionRepository,
    FaceRepository,
    ImageRepository,
    IndexRecordRepository,
    TokenRepository,
    UserRepository,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """Context manager around one Session.

    ``with db.unit_of_work() as uow: ...; uow.commit()``. Leaving the block without
    ``commit()`` (or by an exception) rolls everything back. On SQLite a writing unit of work
    starts with ``BEGIN IMMEDIATE`` at its first statement, so two writers queue on the
    write lock instead of deadlocking on a lock upgrade.
    """

    collections: CollectionRepository
    images: ImageRepository
    faces: FaceRepository
    index_records: IndexRecordRepository
    users: UserRepository
    tokens: TokenRepository
    people: PeopleRepository
    portable: PortableRepository
    groups: FaceGroupRepository
    rejections: RejectionRepository
    journal: JournalRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

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
        self.collections = CollectionRepository(session)
        self.images = ImageRepository(session)
        self.faces = FaceRepository(session)
        self.index_records = IndexRecordRepository(session)
        self.users = UserRepository(session)
        self.tokens = TokenRepository(session)
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

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
