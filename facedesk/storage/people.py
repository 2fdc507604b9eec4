"""People storage beside the Rekognition users: display names, hidden flags, cover faces.

Kept apart from ``repositories.py`` (Rekognition's own shapes); the same Session and unit
of work. Speaks in UserInfo and plain values, never ORM rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from facedesk.core.errors import ResourceNotFoundException
from facedesk.core.names import same_name
from facedesk.storage.orm import UserRow
from facedesk.storage.repositories import _require_pk


class PeopleRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _set(self, collection_id: str, user_id: str, **values: Any) -> None:
        cpk = _require_pk(self._s, collection_id)
        result = self._s.execute(
            update(UserRow)
            .where(UserRow.collection_pk == cpk, UserRow.user_id == user_id)
            .values(**values)
        )
        if not getattr(result, "rowcount", 0):
            raise ResourceNotFoundException(
                f"The user id: {user_id} does not exist in {collection_id}"
            )

    def set_display_name(self, collection_id: str, user_id: str, name: str | None) -> None:
        self._set(collection_id, user_id, display_name=name)

    def set_hidden(self, collection_id: str, user_id: str, hidden: bool) -> None:
        self._set(collection_id, user_id, hidden=hidden)

    def set_cover(self, collection_id: str, user_id: str, face_id: str | None) -> None:
        self._set(collection_id, user_id, cover_face_id=face_id)

    def names(self, collection_id: str) -> list[tuple[str, str | None]]:
        """(UserId, display name) of every user, in creation order."""
        cpk = _require_pk(self._s, collection_id)
        rows = self._s.execute(
            select(UserRow.user_id, UserRow.display_name)
            .where(UserRow.collection_pk == cpk)
            .order_by(UserRow.pk)
        )
        return [(str(r[0]), r[1]) for r in rows]

    def find_by_name(self, collection_id: str, name: str) -> str | None:
        """The UserId whose display name is ``name`` without regard to case or spacing
        (compared in Python: SQLite's lower() folds ASCII only). The oldest if several."""
        for user_id, display in self.names(collection_id):
            if display is not None and same_name(display, name):
                return user_id
        return None
