"""Finding and making people by name, and the checks every people action starts with.

A new person's UserId is derived from its display name (``facedesk.core.names``), unique
in the collection, so ids stay recognisable outside the app (the CLI, the boto3 client).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from facedesk.core.errors import InvalidParameterException, ResourceNotFoundException
from facedesk.core.names import normalise_display_name, user_id_from_name
from facedesk.core.types import StoredFace, UserInfo
from facedesk.service.context import ServiceContext


def clean_name(display_name: str) -> str:
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
    name = clean_name(display_name)
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


def state_of(info: UserInfo, **changes: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "display_name": info.display_name,
        "hidden": info.hidden,
        "cover_face_id": info.cover_face_id,
    }
    state.update(changes)
    return state


def require_person(uow: Any, collection_id: str, user_id: str) -> UserInfo:
    info: UserInfo | None = uow.users.get(collection_id, user_id)
    if info is None:
        raise ResourceNotFoundException(f"The user id: {user_id} does not exist in {collection_id}")
    return info


def require_faces(uow: Any, collection_id: str, face_ids: Sequence[str]) -> list[StoredFace]:
    wanted = list(dict.fromkeys(face_ids))
    if not wanted:
        raise InvalidParameterException("Choose at least one face.")
    faces: list[StoredFace] = uow.faces.get_many(collection_id, wanted)
    missing = sorted(set(wanted) - {f.face_id for f in faces})
    if missing:
        raise ResourceNotFoundException(f"The face id: {missing[0]} does not exist")
    return faces
