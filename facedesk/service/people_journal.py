"""People actions as state changes: what changes, recorded before and after, undoable.

Every people action (name, assign, accept, reject, merge, move, take out, rename, hide,
delete, cover) is expressed as the *after* state of the things it touches:

- ``users``: UserId -> {"display_name", "hidden", "cover_face_id"}, or None for "no such
  person";
- ``faces``: FaceId -> UserId or None (unnamed);
- ``rejections``: "FaceId UserId" -> True (recorded) or False (not recorded).

``apply_change`` reads the *before* state of exactly those keys, writes the after state, and
journals both in the same transaction; undo writes the before state back, redo the after
state. So one mechanism undoes every action, and the journal survives a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from facedesk.core.errors import InvalidParameterException, ServiceQuotaExceededException
from facedesk.core.types import UserInfo
from facedesk.service.people_log import Touched

MAX_FACES_PER_USER = 100  # Rekognition's limit for one user


@dataclass(frozen=True)
class Change:
    action: str
    summary: str
    users: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    faces: Mapping[str, str | None] = field(default_factory=dict)
    rejections: Mapping[str, bool] = field(default_factory=dict)


def rejection_key(face_id: str, user_id: str) -> str:
    return f"{face_id} {user_id}"


def _user_state(info: UserInfo | None) -> dict[str, Any] | None:
    if info is None:
        return None
    return {
        "display_name": info.display_name,
        "hidden": info.hidden,
        "cover_face_id": info.cover_face_id,
    }


def read_state(uow: Any, collection_id: str, change: Change) -> dict[str, Any]:
    """The current state of every key ``change`` touches, in the journal's shape."""
    users = {u: _user_state(uow.users.get(collection_id, u)) for u in change.users}
    stored = {f.face_id: f.user_id for f in uow.faces.get_many(collection_id, list(change.faces))}
    faces = {f: stored[f] for f in change.faces if f in stored}
    recorded = uow.rejections.all(collection_id) if change.rejections else {}
    rejections = {}
    for key in change.rejections:
        face_id, user_id = key.split(" ", 1)
        rejections[key] = user_id in recorded.get(face_id, set())
    return {"users": users, "faces": faces, "rejections": rejections}


def write_state(uow: Any, collection_id: str, state: Mapping[str, Any]) -> Touched:
    """Make the stored state equal ``state`` (users first, then faces, then removals);
    returns what it wrote (``people_log``)."""
    users: Mapping[str, Mapping[str, Any] | None] = state.get("users", {})
    for user_id, wanted in users.items():
        if wanted is None:
            continue
        if uow.users.get(collection_id, user_id) is None:
            uow.users.add(UserInfo(collection_id, user_id, status="ACTIVE"))
        uow.people.set_display_name(collection_id, user_id, wanted.get("display_name"))
        uow.people.set_hidden(collection_id, user_id, bool(wanted.get("hidden", False)))
        uow.people.set_cover(collection_id, user_id, wanted.get("cover_face_id"))
    faces: Mapping[str, str | None] = state.get("faces", {})
    existing = {f.face_id for f in uow.faces.get_many(collection_id, list(faces))}
    by_user: dict[str | None, list[str]] = {}
    for face_id, owner in faces.items():
        if face_id in existing:  # a face deleted since stays deleted
            by_user.setdefault(owner, []).append(face_id)
    for owner, face_ids in by_user.items():
        uow.faces.set_user(collection_id, face_ids, owner)
    # Named faces leave their group; unnamed ones are grouped again on the next refresh.
    uow.groups.forget(collection_id, [f for f in faces if f in existing])
    touched = {f for f in faces if f in existing}
    for user_id, wanted in users.items():
        if wanted is None and uow.users.get(collection_id, user_id) is not None:
            left = uow.users.face_ids(collection_id, user_id)
            touched.update(left)
            uow.faces.set_user(collection_id, left, None)
            uow.users.delete(collection_id, user_id)
    add: list[tuple[str, str]] = []
    remove: list[tuple[str, str]] = []
    for key, recorded in state.get("rejections", {}).items():
        face_id, rejected = key.split(" ", 1)
        (add if recorded else remove).append((face_id, rejected))
    if add:
        add = [p for p in add if p[0] in _existing(uow, collection_id, [p[0] for p in add])]
        uow.rejections.add(collection_id, add)
    if remove:
        uow.rejections.remove(collection_id, remove)
    _check_people(uow, collection_id, {u for u in faces.values() if u is not None})
    return Touched(
        frozenset(touched), frozenset(users), frozenset(f for f, _ in add) | {f for f, _ in remove}
    )


def _existing(uow: Any, collection_id: str, face_ids: list[str]) -> set[str]:
    return {f.face_id for f in uow.faces.get_many(collection_id, face_ids)}


def _check_people(uow: Any, collection_id: str, user_ids: set[str]) -> None:
    """Rekognition's 100 faces per user, and never two faces of one photo in one person."""
    for user_id in sorted(user_ids):
        face_ids = uow.users.face_ids(collection_id, user_id)
        if len(face_ids) > MAX_FACES_PER_USER:
            raise ServiceQuotaExceededException(
                f"A person can have at most {MAX_FACES_PER_USER} faces (a Rekognition user's "
                f"limit); {user_id} would have {len(face_ids)}. Nothing was changed."
            )
        images: dict[str, str] = {}
        for face in uow.faces.get_many(collection_id, face_ids):
            other = images.setdefault(face.image_id, face.face_id)
            if other != face.face_id:
                raise InvalidParameterException(
                    f"Faces {other} and {face.face_id} are in the same photo, so they cannot "
                    f"both be {user_id}. Nothing was changed."
                )


def apply_change(uow: Any, collection_id: str, change: Change) -> tuple[int, Touched]:
    """Write ``change`` and journal it; returns the journal entry's id and what was
    written. The caller commits."""
    before = read_state(uow, collection_id, change)
    after = {
        "users": {k: (dict(v) if v is not None else None) for k, v in change.users.items()},
        "faces": dict(change.faces),
        "rejections": dict(change.rejections),
    }
    touched = write_state(uow, collection_id, after)
    entry_id: int = uow.journal.add(collection_id, change.action, change.summary, before, after)
    return entry_id, touched
