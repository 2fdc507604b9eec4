"""Display names on real SQLite: stored apart from the UserId, found by name, reused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import facedesk
from facedesk.core.errors import InvalidParameterException
from facedesk.core.types import CollectionInfo
from facedesk.service.context import ServiceContext
from facedesk.service.people import find_person, person_for_name


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ServiceContext]:
    context = ServiceContext(str(tmp_path / "people.db"))
    with context.db.unit_of_work() as uow:
        uow.collections.add(CollectionInfo("c", "6.0", "arn", created_at=datetime.now(UTC)))
        uow.commit()
    yield context
    context.close()


def test_person_for_name_creates_once_and_reuses(ctx: ServiceContext) -> None:
    ada = person_for_name(ctx, "c", "Ada Lovelace")
    assert ada.user_id == "Ada_Lovelace"
    assert ada.display_name == "Ada Lovelace" and ada.name == "Ada Lovelace"
    assert not ada.hidden and ada.cover_face_id is None
    again = person_for_name(ctx, "c", "  ada   LOVELACE ")
    assert again.user_id == "Ada_Lovelace"
    found = find_person(ctx, "c", "ADA lovelace")
    assert found is not None and found.user_id == "Ada_Lovelace"
    assert find_person(ctx, "c", "Ada") is None


def test_same_slug_different_names_get_unique_ids(ctx: ServiceContext) -> None:
    a = person_for_name(ctx, "c", "Zoë Ångström")
    b = person_for_name(ctx, "c", "Zoe Angstrom")
    assert (a.user_id, b.user_id) == ("Zoe_Angstrom", "Zoe_Angstrom_2")
    assert (a.display_name, b.display_name) == ("Zoë Ångström", "Zoe Angstrom")


def test_people_are_rekognition_users(ctx: ServiceContext) -> None:
    person_for_name(ctx, "c", "王小明")
    client = facedesk.client(database=ctx.database_url)
    users = client.list_users(CollectionId="c")["Users"]
    assert users == [{"UserId": "person", "UserStatus": "ACTIVE"}]
    # A user made by the client has no display name and shows its UserId.
    client.create_user(CollectionId="c", UserId="bob")
    with ctx.db.unit_of_work(read_only=True) as uow:
        bob = uow.users.get("c", "bob")
    assert bob is not None and bob.display_name is None and bob.name == "bob"


def test_empty_name_is_refused_and_nothing_is_made(ctx: ServiceContext) -> None:
    with pytest.raises(InvalidParameterException):
        person_for_name(ctx, "c", "   ")
    with ctx.db.unit_of_work(read_only=True) as uow:
        assert uow.users.count("c") == 0
