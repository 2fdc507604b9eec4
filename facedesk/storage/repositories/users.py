"""One collection's users (Rekognition's user vectors) and its ClientRequestToken memory."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from facedesk.core.errors import ConflictException
from facedesk.core.types import Embedding, UserInfo
from facedesk.storage import postgres
from facedesk.storage.orm import FaceRow, RequestTokenRow, UserRow
from facedesk.storage.repositories.common import CollectionRef, is_postgresql, now

# How long a ClientRequestToken replays its response. Rekognition does not document its
# window; 24 hours is the floor AWS documents for client tokens elsewhere (EC2), and far
# longer than any retry of a lost response, so the token table no longer grows for ever.
TOKEN_WINDOW = timedelta(hours=24)


def _select(cpk: int) -> Any:
    faces = (
        select(func.count())
        .where(FaceRow.user_pk == UserRow.pk)
        .correlate(UserRow)
        .scalar_subquery()
    )
    return select(
        UserRow.pk,
        UserRow.user_id,
        UserRow.status,
        UserRow.created_at,
        faces,
        UserRow.display_name,
        UserRow.hidden,
        UserRow.cover_face_id,
    ).where(UserRow.collection_pk == cpk)


class UserRepository:
    def __init__(self, session: Session, ref: CollectionRef) -> None:
        self._s = session
        self._cid = ref.collection_id
        self._pk = ref.pk

    def _info(self, row: Any) -> UserInfo:
        return UserInfo(
            collection_id=self._cid,
            user_id=row[1],
            status=row[2],
            face_count=int(row[4]),
            created_at=row[3],
            display_name=row[5],
            hidden=bool(row[6]),
            cover_face_id=row[7],
        )

    def _pk_of(self, user_id: str) -> int | None:
        return self._s.scalar(
            select(UserRow.pk).where(UserRow.collection_pk == self._pk, UserRow.user_id == user_id)
        )

    def add(self, info: UserInfo) -> None:
        if info.collection_id != self._cid:
            raise ValueError(f"a user of {info.collection_id} added to {self._cid}")
        if self._pk_of(info.user_id) is not None:
            raise ConflictException(f"The user id: {info.user_id} already exists.")
        self._s.add(
            UserRow(
                collection_pk=self._pk,
                user_id=info.user_id,
                status=info.status,
                created_at=info.created_at or now(),
                display_name=info.display_name,
                hidden=info.hidden,
                cover_face_id=info.cover_face_id,
            )
        )
        self._s.flush()

    def get(self, user_id: str) -> UserInfo | None:
        row = self._s.execute(_select(self._pk).where(UserRow.user_id == user_id)).one_or_none()
        return None if row is None else self._info(row)

    def pk_of(self, user_id: str) -> int | None:
        """The user's row key (a paging position), or None if there is no such user."""
        return self._pk_of(user_id)

    def set_status(self, user_id: str, status: str) -> bool:
        result = self._s.execute(
            update(UserRow)
            .where(UserRow.collection_pk == self._pk, UserRow.user_id == user_id)
            .values(status=status)
        )
        return bool(getattr(result, "rowcount", 0))

    def delete(self, user_id: str) -> bool:
        """Delete the user; its faces stay, unassociated (ON DELETE SET NULL)."""
        result = self._s.execute(
            delete(UserRow).where(UserRow.collection_pk == self._pk, UserRow.user_id == user_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def list_page_by_position(
        self, after_position: int | None, limit: int
    ) -> list[tuple[int, UserInfo]]:
        """Users in creation order as (position, info); a position stays valid after deletes."""
        stmt = _select(self._pk).order_by(UserRow.pk).limit(limit)
        if after_position is not None:
            stmt = stmt.where(UserRow.pk > after_position)
        return [(int(row[0]), self._info(row)) for row in self._s.execute(stmt)]

    def face_ids(self, user_id: str) -> list[str]:
        return list(
            self._s.scalars(
                select(FaceRow.face_id)
                .join(UserRow, UserRow.pk == FaceRow.user_pk)
                .where(UserRow.collection_pk == self._pk, UserRow.user_id == user_id)
                .order_by(FaceRow.face_id)
            )
        )

    def nearest_by_mean(
        self, query: Embedding, limit: int, max_distance: float
    ) -> list[str] | None:
        """PostgreSQL: candidate users ranked in the database by their mean vector (see
        facedesk.storage.postgres). None on backends that rank users in process."""
        if not is_postgresql(self._s):
            return None
        return postgres.nearest_users_by_mean(
            self._s, self._pk, np.asarray(query), limit, max_distance
        )


class TokenRepository:
    """ClientRequestToken memory: the same token with the same parameters replays the response
    for TOKEN_WINDOW; older tokens are forgotten as new ones are written."""

    def __init__(self, session: Session, ref: CollectionRef) -> None:
        self._s = session
        self._pk = ref.pk

    def get(self, operation: str, token: str) -> tuple[str, dict[str, Any]] | None:
        row = self._s.get(RequestTokenRow, (self._pk, operation, token))
        if row is None or row.created_at < now() - TOKEN_WINDOW:
            return None  # an expired token is a new request, as after Rekognition's window
        return row.params_hash, row.response

    def put(
        self, operation: str, token: str, params_hash: str, response: Mapping[str, Any]
    ) -> None:
        self._s.merge(
            RequestTokenRow(
                collection_pk=self._pk,
                operation=operation,
                token=token,
                params_hash=params_hash,
                response=dict(response),
                created_at=now(),
            )
        )
        self._s.flush()
        # On write, not on a timer: facedesk runs no background work, and the collection's
        # tokens are its primary key's prefix, so this is one short range delete.
        purge_tokens(self._s, now() - TOKEN_WINDOW, self._pk)


def purge_tokens(session: Session, before: datetime, collection_pk: int | None = None) -> int:
    """Forget tokens older than ``before`` (of one collection, or all); returns how many."""
    stmt = delete(RequestTokenRow).where(RequestTokenRow.created_at < before)
    if collection_pk is not None:
        stmt = stmt.where(RequestTokenRow.collection_pk == collection_pk)
    result = session.execute(stmt)
    return int(getattr(result, "rowcount", 0))
