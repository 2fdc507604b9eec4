"""People: Rekognition users with facedesk's display names, found and made by name.

A person is a Rekognition user (so the boto3 client and the CLI list it) plus a display
name of any Unicode text. A new person's UserId is derived from the name
(``facedesk.core.names``), so ids stay recognisable outside the app.
"""

from __future__ import annotations

from typing import Any

from facedesk.core.errors import InvalidParameterException
from facedesk.core.names import normalise_display_name, user_id_from_name
from facedesk.core.types import UserInfo
from facedesk.service.context import ServiceContext


def _clean_name(display_name: str) -> str:
    name = normalise_display_name(display_name)
    if not name:
        raise InvalidParameterException("A person's name cannot be empty.")
    if len(name) > 512:
        raise InvalidParameterException("A person's name is at most 512 characters.")
    return name


def find_person(ctx: ServiceContext, collection_id: str, display_name: str) -> UserInfo | None:
    """The person named ``display_name`` (exact text, any case or spacing), or None."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        uow.collections.ensure(collection_id)
        user_id = uow.people.find_by_name(collection_id, display_name)
        return None if user_id is None else uow.users.get(collection_id, user_id)


def ensure_person_in(uow: Any, collection_id: str, display_name: str) -> tuple[UserInfo, bool]:
    """Inside an open unit of work: the person of that name, made if missing (UserId from
    the name, unique in the collection). Returns (person, created)."""
    name = _clean_name(display_name)
    existing = uow.people.find_by_name(collection_id, name)
    if existing is not None:
        found: UserInfo = uow.users.get(collection_id, existing)
        return found, False
    taken = [user_id for user_id, _ in uow.people.names(collection_id)]
    user_id = user_id_from_name(name, taken)
    uow.users.add(UserInfo(collection_id, user_id, status="ACTIVE", display_name=name))
    made: UserInfo = uow.users.get(collection_id, user_id)
    return made, True


def person_for_name(ctx: ServiceContext, collection_id: str, display_name: str) -> UserInfo:
    """The person named ``display_name``, created (as a Rekognition user whose UserId is
    derived from the name) if there is none: one unit of work, so two callers racing for
    the same name end with one person."""
    with ctx.db.unit_of_work() as uow:
        uow.collections.ensure(collection_id)
        person, created = ensure_person_in(uow, collection_id, display_name)
        if created:
            uow.commit()
        return person
