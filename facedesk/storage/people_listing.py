"""Read-side queries of the People view: one statement for the people, one for the groups.

At 100k faces and 5k people the view used to read every unnamed face's group row and every
person's faces; these aggregate in SQL and read only the covering indexes of migration 0005
(``faces (collection_pk, user_pk, face_id)``, ``face_groups (collection_pk, group_id,
face_id)``), never the face rows with their embeddings. Plain tuples out, no ORM rows.
The listings run on the driver's cursor and return its tuples: the ORM's and Core's
per-row handling of 20k rows cost as much as SQLite's aggregate.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facedesk.storage.orm import FaceGroupRow, FaceRow, UserRow
from facedesk.storage.repositories.common import core_rows, require_pk

# (UserId, display name, chosen cover FaceId, face count, smallest FaceId)
PersonTuple = tuple[str, str | None, str | None, int, str | None]
# (GroupId, unnamed faces in it, smallest FaceId)
GroupTuple = tuple[str, int, str]


def people_counts(
    session: Session, collection_id: str, include_hidden: bool = False
) -> list[PersonTuple]:
    """Every person with its face count and first face, in creation order."""
    stmt = people_statement(require_pk(session, collection_id), include_hidden)
    return list(core_rows(session, stmt, raw=True))


def people_statement(cpk: int, include_hidden: bool = False) -> Any:
    """The counts come from a GROUP BY over the index range (collection, user_pk IS NOT
    NULL), joined to the users afterwards: grouping the users' join instead made SQLite
    build a temporary B-tree and read every named face's row (0.4 s against 0.11 s at 5k
    people on a loaded machine)."""
    counts = (
        select(
            FaceRow.user_pk.label("user_pk"),
            func.count().label("n"),
            func.min(FaceRow.face_id).label("first"),
        )
        .where(FaceRow.collection_pk == cpk, FaceRow.user_pk.is_not(None))
        .group_by(FaceRow.user_pk)
        .subquery()
    )
    stmt = (
        select(
            UserRow.user_id,
            UserRow.display_name,
            UserRow.cover_face_id,
            func.coalesce(counts.c.n, 0),
            counts.c.first,
        )
        .outerjoin(counts, counts.c.user_pk == UserRow.pk)
        .where(UserRow.collection_pk == cpk)
        .order_by(UserRow.pk)
    )
    return stmt if include_hidden else stmt.where(UserRow.hidden.is_(False))


def group_sizes(session: Session, collection_id: str) -> list[GroupTuple]:
    """Every group of unnamed faces with its size and smallest FaceId, largest first (ties
    by that FaceId). A group row of a face named since (possible through the Rekognition
    API) is not counted."""
    stmt = groups_statement(require_pk(session, collection_id))
    # Core rows, not the ORM's: its per-row processing was a third of the listing's time
    return list(core_rows(session, stmt, raw=True))  # (str, int, str) as the drivers return them


def groups_statement(cpk: int) -> Any:
    """One aggregate over the two covering indexes. ``IN (unnamed faces)`` rather than a
    join: SQLite then reads the group index once and the faces index once (a join looked up
    every face row, twice the time)."""
    unnamed = select(FaceRow.face_id).where(FaceRow.collection_pk == cpk, FaceRow.user_pk.is_(None))
    n = func.count().label("n")
    first = func.min(FaceGroupRow.face_id).label("first")
    return (
        select(FaceGroupRow.group_id, n, first)
        .where(FaceGroupRow.collection_pk == cpk, FaceGroupRow.face_id.in_(unnamed))
        .group_by(FaceGroupRow.group_id)
        .order_by(n.desc(), first)
    )


def group_face_ids(session: Session, collection_id: str, group_id: str) -> list[str]:
    """The unnamed faces of one group, in FaceId order (read when the group is acted on)."""
    cpk = require_pk(session, collection_id)
    rows = session.execute(
        select(FaceGroupRow.face_id)
        .join(
            FaceRow,
            (FaceRow.collection_pk == FaceGroupRow.collection_pk)
            & (FaceRow.face_id == FaceGroupRow.face_id),
        )
        .where(
            FaceGroupRow.collection_pk == cpk,
            FaceGroupRow.group_id == group_id,
            FaceRow.user_pk.is_(None),
        )
        .order_by(FaceGroupRow.face_id)
    )
    return [str(f) for (f,) in rows]
