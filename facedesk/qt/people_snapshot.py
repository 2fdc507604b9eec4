"""What the People view shows, read in a worker thread: the listing (people and groups,
with the first screens' crops), the suggestions, a person's page. Qt-free but for the tile
shape, which the models take as they are."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from facedesk.qt.models.people_tile_model import PeopleTile
from facedesk.service.library import Library

if TYPE_CHECKING:
    from facedesk.service.groups import Suggestion
    from facedesk.service.people_listing import SuggestedGroups

FIRST_CROPS = 64  # tiles per grid whose crops come with the listing (the first screen)


@dataclass(frozen=True)
class PeopleSnapshot:
    collection_id: str
    people: list[PeopleTile]
    groups: list[PeopleTile]  # groups largest first, then lone faces


def load_snapshot(client: Library, collection_id: str, suggest: bool = True) -> PeopleSnapshot:
    """Everything the People view shows, read in a worker thread (JPEG bytes, no QPixmap).

    Without ``suggest``: two aggregate statements (people with counts and covers, groups
    with sizes and first faces, as stored) and the first screens' crops; a group's faces
    are read when it is acted on. That is the first phase, the window waits for nothing
    else. With ``suggest`` (the second phase, seconds at 100k faces; after a people action
    the kept suggestions updated): new faces grouped first, then "Is this ...?" for every
    group and lone face, and every group's faces, the groups listed from that state; the
    people read again."""
    suggested = None
    if suggest:
        # imported here: the first phase must not import the grouping (and SQLAlchemy)
        from facedesk.service.people_listing import suggested_groups

        suggested = suggested_groups(client.context, collection_id)
    with _gc_paused():
        return _snapshot(client, collection_id, suggested)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the listing's 20k rows and tiles are made: none
    of them is garbage, and in the app's heap the collections it triggered were a third
    of the first phase's CPU time (0.35 s against 0.22 s at 100k faces)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _snapshot(
    client: Library, collection_id: str, suggested: SuggestedGroups | None
) -> PeopleSnapshot:
    from facedesk.service.people_listing import first_thumbnails, people_listing

    # with the suggestions, the groups come from their state: the people only are read
    listing = people_listing(client.context, collection_id, groups=suggested is None)
    groups = listing.groups if suggested is None else suggested.groups
    found: Mapping[str, Suggestion] = {} if suggested is None else suggested.suggestions
    members: Mapping[str, tuple[str, ...]] = {} if suggested is None else suggested.members
    names = {p.user_id: p.name for p in listing.people}
    # Crops for the first screens only; the model reads the others as they are painted
    # (reading 25k crops up front was most of the wait at 5k people).
    thumbs = first_thumbnails(
        client.context,
        collection_id,
        [p.cover for p in listing.people[:FIRST_CROPS] if p.cover is not None]
        + [first for _, _, first in groups[:FIRST_CROPS]],
    )
    people_tiles = [
        PeopleTile(
            "person",
            p.user_id,
            p.name,
            (),
            p.face_count,
            jpeg=thumbs.get(p.cover or ""),
            cover=p.cover,
        )
        for p in listing.people
    ]
    group_tiles: list[PeopleTile] = []
    add = group_tiles.append
    for group_id, count, first in groups:
        s = found.get(group_id if count > 1 else first)
        faces = members.get(group_id, ()) if count > 1 else (first,)
        if len(faces) != count or faces[0] != first:
            faces = (first,)  # changed since the suggestions: read when acted on
        user = s.user_id if s else None
        add(
            PeopleTile(
                "group",
                group_id,
                "Unnamed",
                faces,
                count,
                user,
                (names.get(user) or user) if user else None,
                s.similarity if s else None,
                thumbs.get(first),
                first,
            )
        )
    return PeopleSnapshot(collection_id, people_tiles, group_tiles)


def tile_faces(client: Library, collection_id: str, tile: PeopleTile) -> list[str]:
    """Every face of a tile: as listed, or a group's as stored now (a listing's group tile
    holds its first face only until the second phase)."""
    if len(tile.face_ids) >= tile.count:
        return list(tile.face_ids)
    from facedesk.service.people_listing import group_faces

    return list(group_faces(client.context, collection_id, tile.key))


def load_person_page(
    client: Library, collection_id: str, user_id: str
) -> tuple[str, list[PeopleTile], int]:
    """A person's faces, least like the person first, and how many faces are suggested."""
    from facedesk.service.person_page import person_faces

    scored = person_faces(client.context, collection_id, user_id)
    thumbs = client.face_thumbnails(collection_id, [s.face_id for s in scored])
    tiles = [
        PeopleTile(
            "face",
            s.face_id,
            f"{s.similarity:.0f} % like",
            (s.face_id,),
            1,
            jpeg=thumbs.get(s.face_id),
        )
        for s in scored
    ]
    suggested = len(client.people.suggestions(collection_id, user_id))
    return user_id, tiles, suggested
