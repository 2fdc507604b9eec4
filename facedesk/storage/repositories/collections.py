"""The collection rows themselves: create, describe, list, delete, the write counter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from facedesk.core.errors import ResourceAlreadyExistsException, collection_not_found
from facedesk.core.types import CollectionInfo
from facedesk.storage import postgres
from facedesk.storage.orm import CollectionRow, FaceRow, UserRow
from facedesk.storage.repositories.changes import pending
from facedesk.storage.repositories.common import (
    find_collection,
    forget_collection,
    insert_ignoring_duplicates,
    is_postgresql,
    require_collection,
)


class CollectionRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _select(self) -> Any:  # Select's type parameters differ between SQLAlchemy 2.0 and 2.1
        faces = (
            select(func.count())
            .where(FaceRow.collection_pk == CollectionRow.pk)
            .correlate(CollectionRow)
            .scalar_subquery()
        )
        users = (
            select(func.count())
            .where(UserRow.collection_pk == CollectionRow.pk)
            .correlate(CollectionRow)
            .scalar_subquery()
        )
        return select(CollectionRow, faces, users)

    @staticmethod
    def _info(row: CollectionRow, face_count: int, user_count: int) -> CollectionInfo:
        return CollectionInfo(
            collection_id=row.collection_id,
            face_model_version=row.face_model_version,
            arn=row.arn,
            created_at=row.created_at,
            face_count=face_count,
            user_count=user_count,
            display_name=row.display_name,
        )

    def add(self, info: CollectionInfo) -> None:
        # ON CONFLICT DO NOTHING: two processes creating one collection at once get one row
        # and one ResourceAlreadyExistsException, not an IntegrityError.
        inserted = self._s.execute(
            insert_ignoring_duplicates(self._s, CollectionRow)
            .values(
                collection_id=info.collection_id,
                face_model_version=info.face_model_version,
                arn=info.arn,
                created_at=info.created_at,
                display_name=info.display_name,
            )
            .returning(CollectionRow.pk)  # rowcount is not reliable with RETURNING
        ).first()
        if inserted is None:
            raise ResourceAlreadyExistsException(
                f"The collection id: {info.collection_id} already exists."
            )
        if is_postgresql(self._s):
            postgres.create_hnsw_index(self._s, int(inserted[0]))

    def set_display_name(self, collection_id: str, display_name: str | None) -> None:
        pk = require_collection(self._s, collection_id).pk
        self._s.execute(
            update(CollectionRow).where(CollectionRow.pk == pk).values(display_name=display_name)
        )

    def get(self, collection_id: str) -> CollectionInfo | None:
        row = self._s.execute(
            self._select().where(CollectionRow.collection_id == collection_id)
        ).one_or_none()
        return None if row is None else self._info(*row)

    def require(self, collection_id: str) -> CollectionInfo:
        info = self.get(collection_id)
        if info is None:
            raise collection_not_found(collection_id)
        return info

    def ensure(self, collection_id: str) -> None:
        """ResourceNotFoundException unless the collection exists (without counting faces)."""
        require_collection(self._s, collection_id)

    def pk(self, collection_id: str) -> int:
        """The collection's row key (ResourceNotFoundException if there is none)."""
        return require_collection(self._s, collection_id).pk

    def face_model_version(self, collection_id: str) -> str:
        return require_collection(self._s, collection_id).face_model_version

    def generation(self, collection_id: str) -> int:
        """The collection's write counter (read each time: other processes move it)."""
        pk = require_collection(self._s, collection_id).pk
        value = self._s.scalar(select(CollectionRow.generation).where(CollectionRow.pk == pk))
        return int(value or 0)

    def bump_generation(self, collection_id: str) -> int:
        """Count one more change to the collection's faces; returns the new generation.

        A unit of work whose faces changed does this itself on commit (see UnitOfWork);
        only code writing faces past the repositories needs to call it."""
        pk = require_collection(self._s, collection_id).pk
        self._s.execute(
            update(CollectionRow)
            .where(CollectionRow.pk == pk)
            .values(generation=CollectionRow.generation + 1)
        )
        return self.generation(collection_id)

    def delete(self, collection_id: str) -> bool:
        # Faces, thumbnails, users, index records and tokens go by ON DELETE CASCADE.
        ref = find_collection(self._s, collection_id)
        if ref is None:
            return False
        if is_postgresql(self._s):
            postgres.drop_hnsw_index(self._s, ref.pk)
        result = self._s.execute(delete(CollectionRow).where(CollectionRow.pk == ref.pk))
        forget_collection(self._s, collection_id)
        pending(self._s).collection_dropped(collection_id)
        return bool(getattr(result, "rowcount", 0))

    def list_page(self, after: str | None, limit: int) -> list[CollectionInfo]:
        stmt = self._select().order_by(CollectionRow.collection_id).limit(limit)
        if after is not None:
            stmt = stmt.where(CollectionRow.collection_id > after)
        return [self._info(*row) for row in self._s.execute(stmt)]

    def ids(self) -> list[str]:
        return list(
            self._s.scalars(
                select(CollectionRow.collection_id).order_by(CollectionRow.collection_id)
            )
        )
