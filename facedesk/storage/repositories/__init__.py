"""Repositories: take a Session, speak in facedesk.core shapes, never hand out ORM rows.

Split by aggregate: the collection rows (collections), and, bound to one collection by
``uow.collection(cid)`` (scope), its faces, index records, users and tokens, with the read
side (grids, summaries, counts) in queries. ``by_id`` (``uow.faces`` and so on) keeps the
older call shape that names the collection on every call and forwards to the scope. Every
per-collection call raises ResourceNotFoundException (core.errors.collection_not_found)
for an unknown collection.
"""

from __future__ import annotations

from facedesk.storage.repositories.by_id import FacesById, IndexRecordsById, TokensById, UsersById
from facedesk.storage.repositories.collections import CollectionRepository
from facedesk.storage.repositories.common import (
    EMBEDDING_DIM,
    CollectionRef,
    embedding_from_bytes,
    embedding_to_bytes,
)
from facedesk.storage.repositories.faces import NO_EMBEDDING, FaceRepository
from facedesk.storage.repositories.index_records import ImageRepository, IndexRecordRepository
from facedesk.storage.repositories.queries import CollectionQueries, FaceGridKey
from facedesk.storage.repositories.scope import CollectionScope
from facedesk.storage.repositories.users import TOKEN_WINDOW, TokenRepository, UserRepository

__all__ = [
    "EMBEDDING_DIM",
    "NO_EMBEDDING",
    "TOKEN_WINDOW",
    "CollectionQueries",
    "CollectionRef",
    "CollectionRepository",
    "CollectionScope",
    "FaceGridKey",
    "FaceRepository",
    "FacesById",
    "ImageRepository",
    "IndexRecordRepository",
    "IndexRecordsById",
    "TokenRepository",
    "TokensById",
    "UserRepository",
    "UsersById",
    "embedding_from_bytes",
    "embedding_to_bytes",
]
