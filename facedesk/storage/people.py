"""People storage beside the Rekognition users: display names, hidden flags, cover faces.

Kept apart from ``repositories.py`` (Rekognition's own shapes); the same Session and unit
of work. Speaks in UserInfo and plain values, never ORM rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import Any

from sqlalchemy import Integer, delete, func, insert, select, update
from sqlalchemy.orm import Session

from facedesk.core.errors import ResourceNotFoundException
from facedesk.core.names import same_name
from facedesk.core.types import Embedding
from facedesk.storage.orm import (
    FaceGroupRow,
    FaceRejectionRow,
    FaceRow,
    PeopleJournalRow,
    UserRow,
)

# The journal's repository lives in people_journal.py; named here too, where the unit of
# work and the service import it from.
from facedesk.storage.people_journal import JournalEntry, JournalRepository
from facedesk.storage.repositories.common import chunks as _chunks
from facedesk.storage.repositories.common import embedding_from_bytes
from facedesk.storage.repositories.common import now as _now
from facedesk.storage.repositories.common import require_pk as _require_pk

__all__ = [
    "FaceGroupRepository",
    "JournalEntry",
    "JournalRepository",
    "PeopleRepository",
    "RejectionRepository",
    "first_faces",
]


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

    def stamp(self, collection_id: str) -> tuple[int, ...]:
        """Changes whenever people change: users made or deleted, journal entries written,
        undone or redone. Cheap (index lookups), so callers can skip rescans."""
        cpk = _require_pk(self._s, collection_id)
        users = self._s.execute(
            select(func.count(), func.max(UserRow.pk)).where(UserRow.collection_pk == cpk)
        ).one()
        journal = self._s.execute(
            select(
                func.count(),
                func.max(PeopleJournalRow.pk),
                func.sum(PeopleJournalRow.undone.cast(Integer)),
            ).where(PeopleJournalRow.collection_pk == cpk)
        ).one()
        return tuple(int(v or 0) for v in (*users, *journal))

    def named_count(self, collection_id: str) -> int:
        """How many faces belong to a person (one range of the covering index; AssociateFaces
        and DisassociateFaces change it without a journal entry or a new stamp)."""
        cpk = _require_pk(self._s, collection_id)
        stmt = select(func.count()).where(
            FaceRow.collection_pk == cpk, FaceRow.user_pk.is_not(None)
        )
        return int(self._s.execute(stmt).scalar_one())

    def first_faces(self, collection_id: str) -> dict[str, str]:
        return first_faces(self._s, collection_id)

    def find_by_name(self, collection_id: str, name: str) -> str | None:
        """The UserId whose display name is ``name`` without regard to case or spacing
        (compared in Python: SQLite's lower() folds ASCII only). The oldest if several."""
        for user_id, display in self.names(collection_id):
            if display is not None and same_name(display, name):
                return user_id
        return None


class FaceGroupRepository:
    """The derived face groups of unnamed faces (``face_groups``), see service/groups.py."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def pending(self, collection_id: str) -> list[tuple[str, str]]:
        """(FaceId, ImageId) of unnamed faces not grouped yet, in FaceId order."""
        cpk = _require_pk(self._s, collection_id)
        stmt = self._pending_select(cpk).order_by(FaceRow.face_id)
        return [(str(r[0]), str(r[1])) for r in self._s.execute(stmt)]

    def _pending_select(self, cpk: int) -> Any:
        return (
            select(FaceRow.face_id, FaceRow.image_id)
            .outerjoin(
                FaceGroupRow,
                (FaceGroupRow.collection_pk == FaceRow.collection_pk)
                & (FaceGroupRow.face_id == FaceRow.face_id),
            )
            .where(
                FaceRow.collection_pk == cpk,
                FaceRow.user_pk.is_(None),
                FaceGroupRow.face_id.is_(None),
            )
        )

    def has_pending(self, collection_id: str) -> bool:
        cpk = _require_pk(self._s, collection_id)
        return self._s.execute(self._pending_select(cpk).limit(1)).first() is not None

    def unnamed(self, collection_id: str) -> list[tuple[str, str, str | None]]:
        """(FaceId, ImageId, GroupId or None) of every unnamed face."""
        cpk = _require_pk(self._s, collection_id)
        rows = self._s.execute(
            select(FaceRow.face_id, FaceRow.image_id, FaceGroupRow.group_id)
            .outerjoin(
                FaceGroupRow,
                (FaceGroupRow.collection_pk == FaceRow.collection_pk)
                & (FaceGroupRow.face_id == FaceRow.face_id),
            )
            .where(FaceRow.collection_pk == cpk, FaceRow.user_pk.is_(None))
            .order_by(FaceRow.face_id)
        )
        return [(str(f), str(i), g) for f, i, g in rows]

    def face_info(
        self, collection_id: str, face_ids: Sequence[str]
    ) -> dict[str, tuple[str, bool, str | None]]:
        """FaceId -> (ImageId, unnamed, GroupId or None) for the faces that exist."""
        cpk = _require_pk(self._s, collection_id)
        out: dict[str, tuple[str, bool, str | None]] = {}
        for chunk in _chunks(list(dict.fromkeys(face_ids))):
            rows = self._s.execute(
                select(FaceRow.face_id, FaceRow.image_id, FaceRow.user_pk, FaceGroupRow.group_id)
                .outerjoin(
                    FaceGroupRow,
                    (FaceGroupRow.collection_pk == FaceRow.collection_pk)
                    & (FaceGroupRow.face_id == FaceRow.face_id),
                )
                .where(FaceRow.collection_pk == cpk, FaceRow.face_id.in_(chunk))
            )
            for fid, image_id, user_pk, group_id in rows:
                out[str(fid)] = (str(image_id), user_pk is None, group_id)
        return out

    def members(
        self, collection_id: str, group_ids: Sequence[str]
    ) -> dict[str, list[tuple[str, str, Embedding]]]:
        """GroupId -> [(FaceId, ImageId, embedding)] of its unnamed faces, FaceId order.

        Two lookups by key (groups, then faces) rather than one join: SQLite planned the
        join as a scan of every face of the collection (1.5 s at 100k faces)."""
        cpk = _require_pk(self._s, collection_id)
        group_of: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(group_ids))):
            rows = self._s.execute(
                select(FaceGroupRow.face_id, FaceGroupRow.group_id).where(
                    FaceGroupRow.collection_pk == cpk, FaceGroupRow.group_id.in_(chunk)
                )
            )
            group_of.update({str(f): str(g) for f, g in rows})
        out: dict[str, list[tuple[str, str, Embedding]]] = {}
        for chunk in _chunks(sorted(group_of)):
            faces = self._s.execute(
                select(FaceRow.face_id, FaceRow.image_id, FaceRow.embedding).where(
                    FaceRow.collection_pk == cpk,
                    FaceRow.face_id.in_(chunk),
                    FaceRow.user_pk.is_(None),
                )
            )
            for fid, image_id, blob in faces:
                out.setdefault(group_of[str(fid)], []).append(
                    (str(fid), str(image_id), embedding_from_bytes(blob))
                )
        return out

    def assign(
        self, collection_id: str, labels: Mapping[str, str], ungrouped: Set[str] = frozenset()
    ) -> None:
        """Set the group of these faces (FaceId -> GroupId), replacing any they had.
        ``ungrouped``: faces known to have no group row, not looked for (from scratch, all
        100k: deleting by key what is not there took a fifth of the grouping)."""
        cpk = _require_pk(self._s, collection_id)
        ids = list(labels)
        self.forget(collection_id, [f for f in ids if f not in ungrouped])
        table = FaceGroupRow.metadata.tables[FaceGroupRow.__tablename__]
        for chunk in _chunks(ids, 5000):  # Core executemany: no ORM objects per row
            self._s.execute(
                insert(table),
                [{"collection_pk": cpk, "face_id": f, "group_id": labels[f]} for f in chunk],
            )

    def forget(self, collection_id: str, face_ids: Sequence[str]) -> None:
        """Drop these faces from their groups (named now, or to be grouped again)."""
        cpk = _require_pk(self._s, collection_id)
        for chunk in _chunks(list(face_ids)):
            self._s.execute(
                delete(FaceGroupRow).where(
                    FaceGroupRow.collection_pk == cpk, FaceGroupRow.face_id.in_(chunk)
                )
            )

    def clear(self, collection_id: str) -> None:
        cpk = _require_pk(self._s, collection_id)
        self._s.execute(delete(FaceGroupRow).where(FaceGroupRow.collection_pk == cpk))

    def listing(self, collection_id: str) -> list[tuple[str, str, str]]:
        """(GroupId, FaceId, ImageId) of every grouped unnamed face."""
        cpk = _require_pk(self._s, collection_id)
        rows = self._s.execute(
            select(FaceGroupRow.group_id, FaceRow.face_id, FaceRow.image_id)
            .join(
                FaceRow,
                (FaceGroupRow.collection_pk == FaceRow.collection_pk)
                & (FaceGroupRow.face_id == FaceRow.face_id),
            )
            .where(FaceGroupRow.collection_pk == cpk, FaceRow.user_pk.is_(None))
            .order_by(FaceGroupRow.group_id, FaceRow.face_id)
        )
        return [(str(g), str(f), str(i)) for g, f, i in rows]

    def named_faces(
        self, collection_id: str, user_ids: Sequence[str] | None = None
    ) -> list[tuple[str, str, str, Embedding]]:
        """(UserId, FaceId, ImageId, embedding) of every face that belongs to a person (to
        one of ``user_ids`` if given), by UserId then FaceId."""
        cpk = _require_pk(self._s, collection_id)
        stmt = (
            select(UserRow.user_id, FaceRow.face_id, FaceRow.image_id, FaceRow.embedding)
            .join(UserRow, UserRow.pk == FaceRow.user_pk)
            .where(FaceRow.collection_pk == cpk)
            .order_by(UserRow.user_id, FaceRow.face_id)
        )
        wanted: list[Sequence[str] | None] = (
            [None] if user_ids is None else list(_chunks(sorted(set(user_ids))))
        )
        out: list[tuple[str, str, str, Embedding]] = []
        for chunk in wanted:  # chunks in UserId order: the rows stay in that order
            # UserRow.collection_pk too: SQLite then starts from the users (0.7 ms), not
            # from every named face of the collection (95 ms at 100k faces)
            rows = self._s.execute(
                stmt
                if chunk is None
                else stmt.where(UserRow.collection_pk == cpk, UserRow.user_id.in_(chunk))
            )
            out.extend((str(u), str(f), str(i), embedding_from_bytes(b)) for u, f, i, b in rows)
        return out


class RejectionRepository:
    """ "This face is not that person" (``face_rejections``)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, collection_id: str, pairs: Sequence[tuple[str, str]]) -> None:
        """Record (FaceId, UserId) pairs; pairs already recorded are kept as they are."""
        cpk = _require_pk(self._s, collection_id)
        for face_id, user_id in dict.fromkeys(pairs):
            if self._s.get(FaceRejectionRow, (cpk, face_id, user_id)) is None:
                self._s.add(
                    FaceRejectionRow(
                        collection_pk=cpk, face_id=face_id, user_id=user_id, created_at=_now()
                    )
                )
        self._s.flush()

    def remove(self, collection_id: str, pairs: Sequence[tuple[str, str]]) -> None:
        cpk = _require_pk(self._s, collection_id)
        for face_id, user_id in pairs:
            self._s.execute(
                delete(FaceRejectionRow).where(
                    FaceRejectionRow.collection_pk == cpk,
                    FaceRejectionRow.face_id == face_id,
                    FaceRejectionRow.user_id == user_id,
                )
            )

    def all(self, collection_id: str) -> dict[str, set[str]]:
        """FaceId -> the UserIds it was rejected for."""
        cpk = _require_pk(self._s, collection_id)
        out: dict[str, set[str]] = {}
        rows = self._s.execute(
            select(FaceRejectionRow.face_id, FaceRejectionRow.user_id).where(
                FaceRejectionRow.collection_pk == cpk
            )
        )
        for face_id, user_id in rows:
            out.setdefault(str(face_id), set()).add(str(user_id))
        return out


def first_faces(session: Session, collection_id: str) -> dict[str, str]:
    """UserId -> its smallest FaceId, for every person with faces (one GROUP BY)."""
    cpk = _require_pk(session, collection_id)
    rows = session.execute(
        select(UserRow.user_id, func.min(FaceRow.face_id))
        .join(FaceRow, FaceRow.user_pk == UserRow.pk)
        .where(UserRow.collection_pk == cpk)
        .group_by(UserRow.user_id)
    )
    return {str(u): str(f) for u, f in rows}
