"""The suggestions kept between listings (service/suggest_state.py) are exactly what a full
recompute gives, after every people action, on real photos with known identities."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from facedesk.service import suggest_state
from facedesk.service.groups import GroupListing, list_groups
from facedesk.service.people import PeopleGroups, find_person
from facedesk.service.suggest import CANDIDATES
from tests.support.labelled_faces import LABELLED_CID, app_and_fresh_client, split_into_people

CID = LABELLED_CID


@pytest.fixture
def lab(
    labelled_db: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[tuple[Any, Any, PeopleGroups, dict[str, str]]]:
    """The app's client (whose listings keep their state) and a second client on the same
    file, whose every listing is a full recompute (it sees none of the first's actions)."""
    src, labels = labelled_db
    with app_and_fresh_client(src, tmp_path) as (app, other):
        yield app, other, PeopleGroups(app.context), labels


def _full(client: Any) -> GroupListing:
    suggest_state.forget(client.context, CID)
    return list_groups(client.context, CID)


def test_kept_suggestions_equal_a_full_recompute_after_every_action(lab: Any) -> None:
    app, other, people, labels = lab
    by_label = split_into_people(people, CID, labels, second_obama=True)
    # more than CANDIDATES people with faces at every step below (else a full listing is
    # the simpler path, and taken)
    assert len(people.people(CID)) == CANDIDATES + 5

    steps = 0

    def check() -> GroupListing:
        nonlocal steps
        steps += 1
        before = dict(suggest_state.COUNTS)
        kept = list_groups(app.context, CID)
        assert suggest_state.COUNTS["updated"] == before.get("updated", 0) + 1, steps
        full = _full(other)
        assert kept == full, steps
        return kept

    first = list_groups(app.context, CID)  # the state to keep
    assert first == _full(other)
    assert any(g.suggestion for g in first.groups) or first.ungrouped_suggestions

    kept = check()
    suggested = [g for g in kept.groups if g.suggestion is not None]
    assert suggested, "the split actors' other faces are suggested"
    target = suggested[0]
    assert target.suggestion is not None
    people.accept(CID, list(target.face_ids[:1]), target.suggestion.user_id)
    kept = check()
    group = next(g for g in kept.groups if g.suggestion is not None)
    assert group.suggestion is not None
    people.reject(CID, list(group.face_ids), group.suggestion.user_id)
    kept = check()
    v_one = find_person(app.context, CID, "V one")
    v_two = find_person(app.context, CID, "V two")
    assert v_one is not None and v_two is not None
    people.merge(CID, v_two.user_id, v_one.user_id)
    check()
    people.take_out(CID, by_label["J"][:1])  # back to unnamed: grouped again
    check()
    people.rename(CID, v_one.user_id, "Vin Diesel")
    people.hide(CID, v_one.user_id)
    check()
    d_two = find_person(app.context, CID, "D two")
    assert d_two is not None
    people.assign(CID, by_label["D"][2:4], d_two.user_id)
    check()
    people.delete(CID, d_two.user_id)  # its faces unnamed again
    check()
    for _ in range(3):
        assert people.undo(CID) is not None
        check()
    assert people.redo(CID) is not None
    check()
    people.name_faces(CID, by_label["B"][3:4], "Bruce Willis")
    check()
    assert steps == 13


def test_changes_from_outside_the_journal_are_listed_in_full(lab: Any) -> None:
    """AssociateFaces through the boto3 API (no journal) and another client's actions:
    the kept state cannot tell what they touched, so the listing starts from scratch."""
    app, other, people, labels = lab
    listing = people.groups(CID)
    faces = {labels[g.face_ids[0]]: list(g.face_ids) for g in listing.groups}
    for k, label in enumerate(("V", "J", "B", "D", "obama")):
        people.name_faces(CID, faces[label][:1], f"Person {k}")
        people.name_faces(CID, faces[label][1:2], f"Person {k}b")
    list_groups(app.context, CID)

    def listed_in_full() -> bool:
        before = suggest_state.COUNTS["full"]
        kept = list_groups(app.context, CID)
        assert kept == _full(other)
        return suggest_state.COUNTS["full"] == before + 2  # this listing and _full's

    other.associate_faces(CollectionId=CID, UserId="Person_0", FaceIds=faces["V"][2:3])
    assert listed_in_full()
    PeopleGroups(other.context).take_out(CID, faces["V"][:1])
    assert listed_in_full()
    people.take_out(CID, faces["V"][1:2])  # this client's own action: updated, not full
    assert not listed_in_full()


def test_a_person_named_in_a_photo_is_no_longer_suggested_for_its_other_faces(
    lab: Any,
) -> None:
    """Moving the obama_and_biden photo's Obama face to Joe Biden (a wrong move, allowed)
    touches Obama's group only; the photo's Biden face, in another group, must lose the
    suggestion "Joe Biden" (a person is never suggested for a photo it is already in)."""
    app, other, people, labels = lab
    listing = people.groups(CID)
    faces = {labels[g.face_ids[0]]: list(g.face_ids) for g in listing.groups}
    both = app.list_faces(CollectionId=CID)["Faces"]
    pair = {
        labels[f["FaceId"]]: f["FaceId"]
        for f in both
        if f["ExternalImageId"] == "obama_and_biden.jpg"
    }
    for label in ("V", "J", "B", "D"):
        people.name_faces(CID, faces[label][:1], f"{label} one")
        people.name_faces(CID, faces[label][1:2], f"{label} two")
    joe = people.name_faces(CID, [f for f in faces["biden"] if f != pair["biden"]], "Joe Biden")
    people.name_faces(CID, [f for f in faces["obama"] if f != pair["obama"]][:2], "Barack Obama")
    before = list_groups(app.context, CID)
    hint = {f: g.suggestion for g in before.groups for f in g.face_ids}
    hint.update(before.ungrouped_suggestions)
    found = hint[pair["biden"]]
    assert found is not None and found.user_id == joe.user_id

    people.assign(CID, [pair["obama"]], joe.user_id)
    updated = suggest_state.COUNTS["updated"]
    after = list_groups(app.context, CID)
    assert suggest_state.COUNTS["updated"] == updated + 1
    assert after == _full(other)
    hint = {f: g.suggestion for g in after.groups for f in g.face_ids}
    hint.update(after.ungrouped_suggestions)
    found = hint.get(pair["biden"])
    assert found is None or found.user_id != joe.user_id


def test_the_kept_state_lives_on_its_context(lab: Any) -> None:
    """Each client's listings keep their state on its own ServiceContext (none shared by
    two clients of one file), and closing the client drops it."""
    app, other, people, _labels = lab
    people.groups(CID)
    kept = app.context._kept
    assert CID in kept["suggest_state"] and CID in kept["groups.known"]
    assert "suggest_state" not in other.context._kept
    list_groups(other.context, CID)
    assert other.context._kept["suggest_state"][CID] is not kept["suggest_state"][CID]
    app.close()
    assert app.context._kept == {}
