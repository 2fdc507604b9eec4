"""``uow.collection(cid)``: the aggregate's entry point, its repositories bound to one row."""

from __future__ import annotations

from sqlalchemy.orm import Session

from facedesk.storage.repositories.common import CollectionRef
from facedesk.storage.repositories.faces import CollectionFaces
from facedesk.storage.repositories.index_records import CollectionIndexRecords
from facedesk.storage.repositories.queries import CollectionQueries
from facedesk.storage.repositories.users import CollectionTokens, CollectionUsers


class CollectionScope:
    """One collection, looked up once: its faces, index records, users, tokens and read
    queries, none of which looks the collection up again."""

    def __init__(self, session: Session, ref: CollectionRef) -> None:
        self.ref = ref
        self.collection_id = ref.collection_id
        self.face_model_version = ref.face_model_version
        self.faces = CollectionFaces(session, ref)
        self.index_records = CollectionIndexRecords(session, ref)
        self.users = CollectionUsers(session, ref)
        self.tokens = CollectionTokens(session, ref)
        self.queries = CollectionQueries(session, ref)
