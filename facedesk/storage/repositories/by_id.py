"""The repositories as ``uow.faces``, ``uow.users``, ... taking a CollectionId per call.

Each call goes through ``uow.collection(cid)`` (the collection is still looked up once per
unit of work); new code should take the scope itself. Kept so that callers written before
the aggregate existed read as they did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from facedesk.core.errors import InvalidPaginationTokenException
from facedesk.core.types import Embedding, ImageSummary, IndexRecord, StoredFace, UserInfo
from facedesk.storage.repositories.queries import FaceGridKey
from facedesk.storage.repositories.scope import CollectionScope
from facedesk.storage.repositories.users import purge_tokens

ScopeOf = Callable[[str], CollectionScope]


class FacesById:
    def __init__(self, scope: ScopeOf) -> None:
        self._scope = scope

    def add_many(
        self, faces: Sequence[StoredFace], thumbnails: Mapping[str, bytes] | None = None
    ) -> None:
        for cid in dict.fromkeys(f.collection_id for f in faces):
            mine = [f for f in faces if f.collection_id == cid]
            self._scope(cid).faces.add_many(mine, thumbnails)

    def get_many(self, collection_id: str, face_ids: Sequence[str]) -> list[StoredFace]:
        return self._scope(collection_id).faces.get_many(face_ids)

    def get(self, collection_id: str, face_id: str) -> StoredFace | None:
        return self._scope(collection_id).faces.get(face_id)

    def list_page(
        self,
        collection_id: str,
        after_face_id: str | None,
        limit: int,
        user_id: str | None = None,
        face_ids: Sequence[str] | None = None,
        with_embeddings: bool = True,
    ) -> list[StoredFace]:
        faces = self._scope(collection_id).faces
        return faces.list_page(after_face_id, limit, user_id, face_ids, with_embeddings)

    def grid_page(
        self,
        collection_id: str,
        after: FaceGridKey | None,
        limit: int,
        *,
        user_id: str | None = None,
        external_id_contains: str | None = None,
    ) -> tuple[list[StoredFace], FaceGridKey | None]:
        return self._scope(collection_id).queries.grid_page(
            after, limit, user_id=user_id, external_id_contains=external_id_contains
        )

    def grid_count(
        self,
        collection_id: str,
        *,
        user_id: str | None = None,
        external_id_contains: str | None = None,
    ) -> int:
        return self._scope(collection_id).queries.grid_count(
            user_id=user_id, external_id_contains=external_id_contains
        )

    def delete_many(self, collection_id: str, face_ids: Sequence[str]) -> list[str]:
        return self._scope(collection_id).faces.delete_many(face_ids)

    def count(self, collection_id: str) -> int:
        return self._scope(collection_id).queries.face_count()

    def embeddings(self, collection_id: str) -> tuple[list[str], Embedding]:
        return self._scope(collection_id).faces.embeddings()

    def nearest(
        self,
        collection_id: str,
        query: Embedding,
        k: int,
        max_distance: float | None = None,
        exclude: set[str] | None = None,
    ) -> list[tuple[str, float]]:
        return self._scope(collection_id).faces.nearest(query, k, max_distance, exclude)

    def thumbnail(self, collection_id: str, face_id: str) -> bytes | None:
        return self._scope(collection_id).faces.thumbnail(face_id)

    def thumbnails(self, collection_id: str, face_ids: Sequence[str]) -> dict[str, bytes]:
        return self._scope(collection_id).faces.thumbnails(face_ids)

    def by_image(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> list[StoredFace]:
        return self._scope(collection_id).faces.by_image(image_id, external_image_id)

    def set_user(self, collection_id: str, face_ids: Sequence[str], user_id: str | None) -> int:
        return self._scope(collection_id).faces.set_user(face_ids, user_id)


class IndexRecordsById:
    def __init__(self, scope: ScopeOf) -> None:
        self._scope = scope

    def lock_for_write(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> None:
        self._scope(collection_id).index_records.lock_for_write(image_id, external_image_id)

    def get(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> IndexRecord | None:
        return self._scope(collection_id).index_records.get(image_id, external_image_id)

    def add(self, record: IndexRecord) -> None:
        self._scope(record.collection_id).index_records.add(record)

    def list_for_collection(self, collection_id: str) -> list[IndexRecord]:
        return self._scope(collection_id).index_records.list_all()

    def summaries(self, collection_id: str) -> list[ImageSummary]:
        return self._scope(collection_id).queries.summaries()

    def summary_order(self, collection_id: str, sort: str) -> list[int]:
        return self._scope(collection_id).queries.summary_order(sort)

    def summaries_by_ids(self, collection_id: str, ids: Sequence[int]) -> list[ImageSummary]:
        return self._scope(collection_id).queries.summaries_by_ids(ids)

    def summary(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> ImageSummary | None:
        return self._scope(collection_id).queries.summary(image_id, external_image_id)

    def find_by_source(self, collection_id: str, source_path: str) -> IndexRecord | None:
        return self._scope(collection_id).index_records.find_by_source(source_path)

    def delete_for_image(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> bool:
        return self._scope(collection_id).index_records.delete_for_image(
            image_id, external_image_id
        )


class UsersById:
    def __init__(self, scope: ScopeOf) -> None:
        self._scope = scope

    def add(self, info: UserInfo) -> None:
        self._scope(info.collection_id).users.add(info)

    def get(self, collection_id: str, user_id: str) -> UserInfo | None:
        return self._scope(collection_id).users.get(user_id)

    def set_status(self, collection_id: str, user_id: str, status: str) -> bool:
        return self._scope(collection_id).users.set_status(user_id, status)

    def delete(self, collection_id: str, user_id: str) -> bool:
        return self._scope(collection_id).users.delete(user_id)

    def list_page_by_position(
        self, collection_id: str, after_position: int | None, limit: int
    ) -> list[tuple[int, UserInfo]]:
        return self._scope(collection_id).users.list_page_by_position(after_position, limit)

    def list_page(
        self, collection_id: str, after_user_id: str | None, limit: int
    ) -> list[UserInfo]:
        """Users in creation order after ``after_user_id`` (which must still exist)."""
        users = self._scope(collection_id).users
        after: int | None = None
        if after_user_id is not None:
            after = users.pk_of(after_user_id)
            if after is None:
                raise InvalidPaginationTokenException()
        return [info for _, info in users.list_page_by_position(after, limit)]

    def face_ids(self, collection_id: str, user_id: str) -> list[str]:
        return self._scope(collection_id).users.face_ids(user_id)

    def count(self, collection_id: str) -> int:
        return self._scope(collection_id).queries.user_count()

    def nearest_by_mean(
        self, collection_id: str, query: Embedding, limit: int, max_distance: float
    ) -> list[str] | None:
        return self._scope(collection_id).users.nearest_by_mean(query, limit, max_distance)


class TokensById:
    def __init__(self, scope: ScopeOf, session: Session) -> None:
        self._scope = scope
        self._s = session

    def get(
        self, collection_id: str, operation: str, token: str
    ) -> tuple[str, dict[str, Any]] | None:
        return self._scope(collection_id).tokens.get(operation, token)

    def put(
        self,
        collection_id: str,
        operation: str,
        token: str,
        params_hash: str,
        response: Mapping[str, Any],
    ) -> None:
        self._scope(collection_id).tokens.put(operation, token, params_hash, response)

    def purge(self, before: datetime) -> int:
        """Forget tokens older than ``before`` in every collection; returns how many."""
        return purge_tokens(self._s, before)
