"""Groups, suggestions, people actions and undo on real photos with known identities."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import facedesk
from facedesk.core.errors import InvalidParameterException, ResourceNotFoundException
from facedesk.engine.whispers import chinese_whispers
from facedesk.service.people import PeopleGroups
from tests.support.labelled_faces import LABELLED_CID

CID = LABELLED_CID


@pytest.fixture
def lab(
    labelled_db: tuple[Path, dict[str, str]], tmp_path: Path
) -> Iterator[tuple[Any, PeopleGroups, dict[str, str]]]:
    """A fresh copy of the labelled database per test (tests change people)."""
    src, labels = labelled_db
    dst = tmp_path / "copy.db"
    shutil.copyfile(src, dst)
    client = facedesk.client(database=str(dst))
    yield client, PeopleGroups(client.context), labels
    client.close()


def _pairs(groups: list[list[str]]) -> set[tuple[str, str]]:
    return {(a, b) for g in groups for a in g for b in g if a < b}


def _scores(groups: list[list[str]], labels: dict[str, str]) -> tuple[float, float]:
    """Pairwise precision (purity) and recall (completeness) of a grouping."""
    found = _pairs(groups)
    truth = {(a, b) for a in labels for b in labels if a < b and labels[a] == labels[b]}
    precision = len(found & truth) / len(found) if found else 1.0
    return precision, len(found & truth) / len(truth)


def test_groups_are_pure_and_complete_and_beat_chinese_whispers(lab: Any) -> None:
    client, people, labels = lab
    listing = people.groups(CID)
    groups = [list(g.face_ids) for g in listing.groups]
    assert sorted(sorted(labels[f] for f in g)[0] for g in groups) == sorted(
        ["B", "D", "J", "V", "biden", "obama"]
    )
    for g in groups:
        assert len({labels[f] for f in g}) == 1, [labels[f] for f in g]  # pure
    assert listing.ungrouped == ()  # complete: every identity is one group
    assert [len(g.face_ids) for g in listing.groups] == sorted(
        (len(g.face_ids) for g in listing.groups), reverse=True
    )
    ours = _scores(groups, labels)
    assert ours == (1.0, 1.0)

    ids = sorted(labels)
    vectors = np.stack([client.context.vectors(CID).vector(f) for f in ids])
    cw = chinese_whispers(vectors, 0.5)
    by_label: dict[int, list[str]] = {}
    for f, label in zip(ids, cw, strict=True):
        by_label.setdefault(label, []).append(f)
    theirs = _scores([g for g in by_label.values() if len(g) >= 2], labels)
    assert ours[0] >= theirs[0] and ours[1] >= theirs[1]


def test_two_faces_of_one_photo_never_share_a_group_or_person(lab: Any) -> None:
    client, people, _ = lab
    both = client.list_faces(CollectionId=CID)["Faces"]
    pair = [f["FaceId"] for f in both if f["ExternalImageId"] == "obama_and_biden.jpg"]
    assert len(pair) == 2
    listing = people.groups(CID)
    group_of = {f: g.group_id for g in listing.groups for f in g.face_ids}
    assert group_of[pair[0]] != group_of[pair[1]]
    with pytest.raises(InvalidParameterException, match="same photo"):
        people.name_faces(CID, pair, "Two People")
    assert client.list_users(CollectionId=CID)["Users"] == []  # nothing was made


def test_incremental_updates_keep_group_ids(lab: Any, testdata: Path) -> None:
    client, people, labels = lab
    before = people.groups(CID)
    obama = next(g for g in before.groups if labels[g.face_ids[0]] == "obama")
    r = client.index_faces(
        CollectionId=CID,
        Image={"Bytes": (testdata / "derived/obama_exif_orientation3.jpg").read_bytes()},
        ExternalImageId="new_obama.jpg",
        MaxFaces=1,
    )
    new_face = r["FaceRecords"][0]["Face"]["FaceId"]
    after = people.groups(CID)
    grown = next(g for g in after.groups if g.group_id == obama.group_id)
    assert set(grown.face_ids) == set(obama.face_ids) | {new_face}
    others = {g.group_id: g.face_ids for g in after.groups if g.group_id != obama.group_id}
    assert others == {g.group_id: g.face_ids for g in before.groups if g.group_id != obama.group_id}

    biden = next(g for g in after.groups if labels[g.face_ids[0]] == "biden")
    client.delete_faces(CollectionId=CID, FaceIds=[biden.face_ids[0]])
    final = people.groups(CID)
    assert biden.group_id not in {g.group_id for g in final.groups}
    assert biden.face_ids[1] in final.ungrouped


def test_suggestions_need_confirmation_and_rejections_stick(lab: Any, testdata: Path) -> None:
    client, people, labels = lab
    listing = people.groups(CID)
    obama = next(g for g in listing.groups if labels[g.face_ids[0]] == "obama")
    person = people.name_group(CID, obama.group_id, display_name="Barack Obama")
    assert person.user_id == "Barack_Obama" and person.face_count == len(obama.face_ids)

    r = client.index_faces(
        CollectionId=CID,
        Image={"Bytes": (testdata / "derived/obama_cmyk.jpg").read_bytes()},
        ExternalImageId="another_obama.jpg",
        MaxFaces=1,
    )
    new_face = r["FaceRecords"][0]["Face"]["FaceId"]
    listing = people.groups(CID)
    assert new_face in listing.ungrouped  # arrives unnamed ...
    hint = listing.ungrouped_suggestions[new_face]  # ... and suggested
    assert hint.user_id == "Barack_Obama" and hint.similarity >= 75
    assert client.list_faces(CollectionId=CID, UserId="Barack_Obama")["Faces"].__len__() == len(
        obama.face_ids
    )  # zero faces assigned without confirmation
    for g in listing.groups:  # nobody else looks like Obama
        assert g.suggestion is None, (labels[g.face_ids[0]], g.suggestion)
    assert [s.face_id for s in people.suggestions(CID, "Barack_Obama")] == [new_face]

    people.reject(CID, [new_face], "Barack_Obama")
    assert new_face not in people.groups(CID).ungrouped_suggestions
    assert people.suggestions(CID, "Barack_Obama") == []
    assert people.accept_all(CID, "Barack_Obama", 75) == 0

    people.undo(CID)  # the rejection
    assert people.accept_all(CID, "Barack_Obama", 90) == 1
    assert people.person(CID, "Barack_Obama").face_count == len(obama.face_ids) + 1


def test_every_action_undoes_and_redoes_across_a_restart(lab: Any) -> None:
    client, people, labels = lab
    listing = people.groups(CID)
    by_label = {labels[g.face_ids[0]]: g for g in listing.groups}
    db = client.context.database_url

    def state() -> tuple[Any, ...]:
        users = people.people(CID)
        faces = {f["FaceId"]: f.get("UserId") for f in client.list_faces(CollectionId=CID)["Faces"]}
        return tuple((u.user_id, u.display_name, u.hidden, u.cover_face_id) for u in users), tuple(
            sorted(faces.items())
        )

    states = [state()]
    vin = people.name_group(CID, by_label["V"].group_id, display_name="Vin Diesel")
    states.append(state())
    jason = people.name_faces(CID, by_label["J"].face_ids[:3], "Jason Statham")
    states.append(state())
    people.assign(CID, by_label["J"].face_ids[3:], jason.user_id)
    states.append(state())
    people.rename(CID, jason.user_id, "Jason S.")
    states.append(state())
    people.take_out(CID, by_label["J"].face_ids[:1])
    states.append(state())
    people.set_cover(CID, vin.user_id, by_label["V"].face_ids[2])
    states.append(state())
    people.hide(CID, vin.user_id)
    states.append(state())
    people.merge(CID, jason.user_id, vin.user_id)  # a wrong merge, to be undone
    states.append(state())
    people.delete(CID, vin.user_id)
    states.append(state())
    assert states[-1][0] == () and all(u is None for _, u in states[-1][1])

    # Restart: a new client on the same file undoes all of it, step by step.
    client.close()
    again = facedesk.client(database=db)
    people2 = PeopleGroups(again.context)
    people = people2
    client = again
    for expected in reversed(states[:-1]):
        assert people.undo(CID) is not None
        assert state() == expected
    assert people.undo(CID) is None
    for expected in states[1:]:
        assert people.redo(CID) is not None
        assert state() == expected
    assert people.redo(CID) is None
    again.close()


def test_people_are_users_the_client_sees_with_readable_ids(lab: Any) -> None:
    client, people, _ = lab
    listing = people.groups(CID)
    zoe = people.name_group(CID, listing.groups[0].group_id, display_name="Zoë Ångström")
    assert zoe.user_id == "Zoe_Angstrom" and zoe.display_name == "Zoë Ångström"
    assert client.list_users(CollectionId=CID)["Users"] == [
        {"UserId": "Zoe_Angstrom", "UserStatus": "ACTIVE"}
    ]
    listed = client.list_faces(CollectionId=CID, UserId="Zoe_Angstrom")["Faces"]
    assert {f["FaceId"] for f in listed} == set(listing.groups[0].face_ids)
    with pytest.raises(ResourceNotFoundException):
        people.name_group(CID, "no-such-group", user_id="x")


def test_cli_group_faces_and_name_face_group(lab: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from facedesk import cli

    client, _, _ = lab
    db = client.context.database_url
    assert cli.main(["--database", db, "group-faces", "--collection-id", CID]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"FaceGroups", "UngroupedFaceIds"}
    sizes = [len(g["FaceIds"]) for g in out["FaceGroups"]]
    assert sizes == sorted(sizes, reverse=True) and min(sizes) >= 2
    assert all(set(g) == {"GroupId", "FaceIds"} for g in out["FaceGroups"])  # nobody named yet
    first = out["FaceGroups"][0]

    code = cli.main(
        [
            "--database",
            db,
            "name-face-group",
            "--collection-id",
            CID,
            "--group-id",
            first["GroupId"],
            "--user-id",
            "dwayne",
            "--display-name",
            "Dwayne Johnson",
        ]
    )
    assert code == 0
    named = json.loads(capsys.readouterr().out)
    assert named == {
        "UserId": "dwayne",
        "FaceCount": len(first["FaceIds"]),
        "DisplayName": "Dwayne Johnson",
    }
    listed = client.list_faces(CollectionId=CID, UserId="dwayne")["Faces"]
    assert {f["FaceId"] for f in listed} == set(first["FaceIds"])

    assert cli.main(["--database", db, "group-faces", "--collection-id", CID]) == 0
    again = json.loads(capsys.readouterr().out)
    listed_ids = {f for g in again["FaceGroups"] for f in g["FaceIds"]}
    assert not listed_ids & set(first["FaceIds"])  # named faces are not listed
    assert len(again["FaceGroups"]) == len(out["FaceGroups"]) - 1

    bad = [
        "--database",
        db,
        "name-face-group",
        "--collection-id",
        CID,
        "--group-id",
        "nope",
        "--user-id",
        "x",
    ]
    assert cli.main(bad) == cli.EXIT_SERVICE_ERROR
    assert "does not exist" in capsys.readouterr().err
    spaces = [
        "--database",
        db,
        "name-face-group",
        "--collection-id",
        CID,
        "--group-id",
        again["FaceGroups"][0]["GroupId"],
        "--user-id",
        "has space",
    ]
    assert cli.main(spaces) == cli.EXIT_SERVICE_ERROR
    assert cli.main(["--database", db, "undo-people", "--collection-id", CID]) == 0
    assert json.loads(capsys.readouterr().out)["Action"] == "name"
    assert client.list_users(CollectionId=CID)["Users"] == []


def test_batch_grouping_matches_the_exact_path(lab: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many pending faces go through the inverted-file self-join instead of one exact query
    per face; on the labelled photos both give the same pure, complete groups."""
    from facedesk.service import groups as groups_module

    _, people, labels = lab
    exact = {frozenset(g.face_ids) for g in people.groups(CID).groups}
    monkeypatch.setattr(groups_module, "EXACT_PENDING", 0)
    people.regroup(CID)
    batch = {frozenset(g.face_ids) for g in people.groups(CID).groups}
    assert batch == exact
    assert all(len({labels[f] for f in g}) == 1 for g in batch)


def test_person_page_puts_the_outlier_first(lab: Any) -> None:
    from facedesk.service.person_page import person_faces

    client, people, labels = lab
    by_label = {labels[g.face_ids[0]]: g for g in people.groups(CID).groups}
    wrong = by_label["D"].face_ids[0]
    person = people.name_faces(CID, [*by_label["V"].face_ids, wrong], "Vin Diesel")
    page = person_faces(client.context, CID, person.user_id)
    assert len(page) == 7 and page[0].face_id == wrong
    assert [s.similarity for s in page] == sorted(s.similarity for s in page)
    assert people.covers(CID) == {person.user_id: min(person_faces_ids(page))}


def person_faces_ids(page: Any) -> list[str]:
    return [s.face_id for s in page]


def test_people_listing_agrees_with_the_full_listing(lab: Any) -> None:
    """The People view's two aggregate statements give the groups (sizes, order, first
    faces) and people (counts, covers, hidden left out) the full listing gives."""
    from facedesk.service.people_listing import group_faces, people_listing

    client, people, labels = lab
    full = people.groups(CID)
    listing = people_listing(client.context, CID)
    assert [g for g in listing.groups if g[1] > 1] == [
        (g.group_id, len(g.face_ids), g.face_ids[0]) for g in full.groups
    ]
    assert [first for _, n, first in listing.groups if n == 1] == list(full.ungrouped)
    assert listing.people == () and listing.unnamed_faces == len(labels)
    for g in full.groups:
        assert group_faces(client.context, CID, g.group_id) == g.face_ids

    by_label = {labels[g.face_ids[0]]: g for g in full.groups}
    vin = people.name_group(CID, by_label["V"].group_id, display_name="Vin Diesel")
    jason = people.name_faces(CID, by_label["J"].face_ids[:2], "Jason Statham")
    biden = people.name_faces(CID, by_label["biden"].face_ids, "Joe Biden")
    people.set_cover(CID, vin.user_id, by_label["V"].face_ids[3])
    people.hide(CID, biden.user_id)
    # a face named through the Rekognition API keeps its group row: not counted, not listed
    bruce = by_label["B"]
    client.create_user(CollectionId=CID, UserId="bruce")
    client.associate_faces(CollectionId=CID, UserId="bruce", FaceIds=[bruce.face_ids[0]])

    listing = people_listing(client.context, CID)
    shown = [(p.user_id, p.name, p.face_count, p.cover) for p in listing.people]
    assert shown == [
        (vin.user_id, "Vin Diesel", 6, by_label["V"].face_ids[3]),
        (jason.user_id, "Jason Statham", 2, by_label["J"].face_ids[0]),
        ("bruce", "bruce", 1, bruce.face_ids[0]),
    ]
    sizes = {group_id: n for group_id, n, _ in listing.groups}
    assert sizes[bruce.group_id] == len(bruce.face_ids) - 1
    assert group_faces(client.context, CID, bruce.group_id) == bruce.face_ids[1:]
    assert not set(by_label["V"].face_ids) & {first for _, _, first in listing.groups}
    counts = [n for _, n, _ in listing.groups]
    assert counts == sorted(counts, reverse=True)


def test_people_listing_reads_indexes_only(lab: Any) -> None:
    """EXPLAIN QUERY PLAN: both statements read covering indexes (migration 0005), never
    the face rows with their embeddings, and the groups come from one aggregate."""
    from sqlalchemy import text

    from facedesk.storage.people_listing import groups_statement, people_statement
    from facedesk.storage.repositories.common import require_pk

    client, people, _ = lab
    people.groups(CID)
    with client.context.db.unit_of_work(read_only=True) as uow:
        session = uow.session
        cpk = require_pk(session, CID)
        for stmt in (people_statement(cpk), groups_statement(cpk)):
            sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
            plan = " / ".join(
                str(row[-1]) for row in session.execute(text("EXPLAIN QUERY PLAN " + sql))
            )
            steps = [s for s in plan.split(" / ") if " faces " in s or " face_groups " in s]
            assert steps and all("COVERING INDEX" in s for s in steps), plan
            assert "SCAN faces" not in plan and "SCAN face_groups" not in plan, plan
