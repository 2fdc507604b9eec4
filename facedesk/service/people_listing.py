"""What the People view lists first: people with counts and covers, groups with sizes.

Two aggregate statements in one read transaction (``facedesk.storage.people_listing``),
no face rows, no vectors: the first screen of the People view waits for nothing else.
While the database is not open yet (the window's start), the same statements run on the
standard library's sqlite3 (``facedesk.storage.people_quick``): the window then shows
people before SQLAlchemy's import, which the grids pay after them.
A group's faces are read when the group is acted on (``group_faces``); suggestions come
later from ``groups.list_groups``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

from facedesk.core.types import CollectionInfo
from facedesk.service.context import ServiceContext

if TYPE_CHECKING:
    from facedesk.service.suggest import Suggestion


@dataclass(frozen=True)
class PersonSummary:
    user_id: str
    name: str  # the display name, else the UserId
    face_count: int
    cover: str | None  # the chosen cover face, else the first face; None without faces


# (GroupId as stored, unnamed faces in it, smallest FaceId): a plain tuple, since there are
# tens of thousands (one object each would cost as much as the query that reads them)
GroupSummary = tuple[str, int, str]


@dataclass(frozen=True)
class PeopleListing:
    people: tuple[PersonSummary, ...]  # visible people, most faces first, then by name
    groups: list[GroupSummary]  # groups largest first, then lone faces by FaceId

    @property
    def unnamed_faces(self) -> int:
        return sum(n for _, n, _ in self.groups)


@dataclass(frozen=True)
class SuggestedGroups:
    """The groups with their suggestions, from the suggestions' own (kept) state."""

    groups: list[GroupSummary]  # as ``PeopleListing.groups``: largest first, then FaceId
    suggestions: dict[str, Suggestion]  # by GroupId, and by FaceId for lone faces
    members: dict[str, tuple[str, ...]]  # GroupId -> its unnamed faces, FaceId order (>= 2)


def people_listing(
    ctx: ServiceContext, collection_id: str, *, groups: bool = True
) -> PeopleListing:
    """The People view's people and groups (stored groups: new faces are grouped later).
    ``groups=False``: the people only (the groups come from ``suggested_groups``)."""
    quick = ctx.first_reader()
    found: list[GroupSummary] = []
    if quick is not None:  # the window's first screen: no SQLAlchemy to import first
        people, found = quick.people_and_groups(collection_id)
    else:
        from facedesk.storage.people_listing import group_sizes, people_counts

        with ctx.db.unit_of_work(read_only=True) as uow:
            people = people_counts(uow.session, collection_id)
            if groups:
                found = group_sizes(uow.session, collection_id)
    persons = [
        PersonSummary(
            user_id,
            display or user_id,
            count,
            (cover if cover is not None and count else first),
        )
        for user_id, display, cover, count, first in people
    ]
    persons.sort(key=lambda p: (-p.face_count, p.name.casefold()))
    return PeopleListing(tuple(persons), found)


def suggested_groups(ctx: ServiceContext, collection_id: str) -> SuggestedGroups:
    """New faces grouped, then every group (lone faces too) with its suggestion, as
    ``groups.list_groups`` scores them, listed from that same state: after a people action
    the kept state is updated for what it touched, and the groups' sizes need no second
    read of every group row (``group_sizes``: a third of the view's reload at 100k faces).
    The sizes are those of the stored groups' unnamed faces, as ``group_sizes`` counts
    them (tests/integration/test_people_snapshot_kept.py compares the two)."""
    from facedesk.service.groups import refresh_groups
    from facedesk.service.suggest_state import scored_groups

    refresh_groups(ctx, collection_id)
    rows: list[GroupSummary] = []
    suggestions: dict[str, Suggestion] = {}
    members: dict[str, tuple[str, ...]] = {}
    add = rows.append
    for group_id, (faces, scored) in scored_groups(ctx, collection_id).items():
        if not faces:
            continue
        first, n = faces[0][0], len(faces)
        add((group_id, n, first))
        if n > 1:  # a lone face's tile holds its face already: no tuple for 15k of them
            members[group_id] = tuple([f for f, _ in faces])
        if scored.suggestion is not None:
            suggestions[group_id if n > 1 else first] = scored.suggestion
    # largest first, ties by first FaceId: two stable sorts (reverse keeps ties' order)
    rows.sort(key=itemgetter(2))
    rows.sort(key=itemgetter(1), reverse=True)
    return SuggestedGroups(rows, suggestions, members)


def first_thumbnails(
    ctx: ServiceContext, collection_id: str, face_ids: Sequence[str]
) -> dict[str, bytes]:
    """``Library.face_thumbnails``, read without SQLAlchemy while the database is not open."""
    quick = ctx.first_reader()
    if quick is not None:
        return quick.thumbnails(collection_id, face_ids)
    with ctx.db.unit_of_work(read_only=True) as uow:
        return uow.faces.thumbnails(collection_id, face_ids)


def first_collections(ctx: ServiceContext) -> list[CollectionInfo] | None:
    """``Library.collections`` without SQLAlchemy while the database is not open; None when
    that cannot be (then ``Library.collections`` opens it)."""
    quick = ctx.first_reader()
    return None if quick is None else quick.collections()


def group_faces(ctx: ServiceContext, collection_id: str, group_id: str) -> tuple[str, ...]:
    """The unnamed faces of a stored group, in FaceId order."""
    from facedesk.storage.people_listing import group_face_ids

    with ctx.db.unit_of_work(read_only=True) as uow:
        return tuple(group_face_ids(uow.session, collection_id, group_id))
