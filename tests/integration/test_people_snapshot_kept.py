"""After each people action the People view lists its groups from the kept suggestions'
state (no second read of every group row): the same tiles as the stored listing and a full
recompute of the suggestions give, on real photos with known identities."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from facedesk.qt.people_snapshot import PeopleSnapshot, load_snapshot
from facedesk.service import suggest_state
from facedesk.service.groups import list_groups
from facedesk.service.people import PeopleGroups, find_person
from facedesk.service.people_listing import people_listing
from facedesk.service.suggest import CANDIDATES
from tests.support.labelled_faces import LABELLED_CID, app_and_fresh_client, split_into_people

CID = LABELLED_CID


@pytest.fixture
def lab(
    labelled_db: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[tuple[Any, Any, PeopleGroups, dict[str, str]]]:
    """The app's client (its listings keep their state) and a second one on the same file,
    whose every listing is read and scored from scratch."""
    src, labels = labelled_db
    with app_and_fresh_client(src, tmp_path, store_thumbnails=True) as (app, other):
        yield app, other, PeopleGroups(app.context), labels


def _expected(other: Any) -> tuple[list[Any], list[Any]]:
    """People and group tiles as the stored listing (SQL) and a full recompute give them."""
    suggest_state.forget(other.context, CID)
    full = list_groups(other.context, CID)
    listing = people_listing(other.context, CID)  # every group row read again
    names = {p.user_id: p.name for p in listing.people}
    by_group = {g.group_id: g for g in full.groups}
    people = [(p.user_id, p.name, p.face_count, p.cover) for p in listing.people]
    groups = []
    for group_id, count, first in listing.groups:
        if count > 1:
            group = by_group[group_id]
            faces, s = group.face_ids, group.suggestion
        else:
            faces, s = (first,), full.ungrouped_suggestions.get(first)
        user = s.user_id if s else None
        groups.append(
            (
                group_id,
                count,
                first,
                faces,
                user,
                names.get(user) if user else None,
                s.similarity if s else None,
            )
        )
    return people, groups


def _tiles(snapshot: PeopleSnapshot) -> tuple[list[Any], list[Any]]:
    people = [(t.key, t.title, t.count, t.cover) for t in snapshot.people]
    groups = [
        (t.key, t.count, t.cover, t.face_ids, t.suggested_user, t.suggested_name, t.similarity)
        for t in snapshot.groups
    ]
    return people, groups


def test_groups_from_the_kept_state_equal_the_stored_listing(lab: Any) -> None:
    app, other, people, labels = lab
    # more people than the candidates scored per group, so the kept path is the one taken
    by_label = split_into_people(people, CID, labels)
    assert len(people.people(CID)) > CANDIDATES

    first = load_snapshot(app.library, CID)  # the state to keep
    assert _tiles(first) == _expected(other)
    steps = 0

    def check() -> PeopleSnapshot:
        nonlocal steps
        steps += 1
        before = suggest_state.COUNTS["updated"]
        snapshot = load_snapshot(app.library, CID)
        assert suggest_state.COUNTS["updated"] == before + 1, steps  # the kept path ran
        assert _tiles(snapshot) == _expected(other), steps
        return snapshot

    snap = check()
    tile = next(t for t in snap.groups if t.suggested_user and t.count > 1)
    assert tile.suggested_user is not None
    people.accept(CID, list(tile.face_ids), tile.suggested_user)
    snap = check()
    assert all(t.key != tile.key for t in snap.groups)  # the accepted group is gone
    tile = next(t for t in snap.groups if t.suggested_user)
    assert tile.suggested_user is not None
    people.reject(CID, list(tile.face_ids), tile.suggested_user)
    check()
    people.take_out(CID, by_label["J"][:1])  # back to unnamed: grouped again
    check()
    v_one, v_two = (find_person(app.context, CID, f"V {n}") for n in ("one", "two"))
    assert v_one is not None and v_two is not None
    people.merge(CID, v_two.user_id, v_one.user_id)
    check()
    people.delete(CID, v_one.user_id)  # its faces unnamed again, in groups again
    check()
    assert people.undo(CID) is not None
    check()
    assert steps == 7
