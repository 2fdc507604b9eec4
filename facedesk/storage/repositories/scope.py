"""``uow.collection(cid)``: the aggregate's entry point, its repositories bound to one row."""

from __future__ import annotations

from sqlalchemy.orm import Session

from facedesk.storage.repositories.common import CollectionRef
from facedesk.storage.repositories.faces import FaceRepository
from facedesk.storage.repositories.index_records import IndexRecordRepository
from facedesk.storage.repositories.queries import CollectionQueries
from facedesk.storage.repositories.users import TokenRepository, UserRepository


class CollectionScope:
    """One collection, looked up once: its faces, index records, users, tokens and read
    queries, none of which looks the collection up again."""

    def __init__(self, session: Session, ref: CollectionRef) -> None:
        self.ref = ref
        self.collection_id = ref.collection_id
        self.face_model_version = ref.face_model_version
        self.faces = FaceRepository(session, ref)
        self.index_records = IndexRecordRepository(session, ref)
        self.users = UserRepository(session, ref)
        self.tokens = TokenRepository(session, ref)
        self.queries = CollectionQueries(session, ref)
