"""Repositories: take a Session, speak in facedesk.core shapes, never hand out ORM rows.

Split by aggregate: the collection rows (collections), and, bound to one collection by
``uow.collection(cid)`` (scope), its faces, index records, users and tokens, with the read
side (grids, summaries, counts) in queries. ``by_id`` keeps the older call shape that names
the collection on every call. Every per-collection call raises ResourceNotFoundException
(facedesk.core.errors.collection_not_found) for an unknown collection.
"""

from __future__ import annotations

from facedesk.storage.repositories.by_id import (
    FaceRepository,
    IndexRecordRepository,
    TokenRepository,
    UserRepository,
)
from facedesk.storage.repositories.collections import CollectionRepository
from facedesk.storage.repositories.common import (
    EMBEDDING_DIM,
    CollectionRef,
    embedding_from_bytes,
    embedding_to_bytes,
)
from facedesk.storage.repositories.faces import NO_EMBEDDING
from facedesk.storage.repositories.index_records import ImageRepository
from facedesk.storage.repositories.queries import FaceGridKey
from facedesk.storage.repositories.scope import CollectionScope
from facedesk.storage.repositories.users import TOKEN_WINDOW

__all__ = [
    "EMBEDDING_DIM",
    "NO_EMBEDDING",
    "TOKEN_WINDOW",
    "CollectionRef",
    "CollectionRepository",
    "CollectionScope",
    "FaceGridKey",
    "FaceRepository",
    "ImageRepository",
    "IndexRecordRepository",
    "TokenRepository",
    "UserRepository",
    "embedding_from_bytes",
    "embedding_to_bytes",
]
