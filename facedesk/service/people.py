"""People: Rekognition users with facedesk's display names, found and made by name.

A person is a Rekognition user (so the boto3 client and the CLI list it) plus a display
name of any Unicode text. A new person's UserId is derived from the name
(``facedesk.core.names``), so ids stay recognisable outside the app.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from facedesk.core.errors import InvalidParameterException, ResourceNotFoundException
from facedesk.core.names import user_id_from_name
from facedesk.core.types import UserInfo
from facedesk.service import people_log
from facedesk.service.context import ServiceContext
from facedesk.service.groups import (
    SUGGEST_THRESHOLD,
    FaceSuggestion,
    GroupListing,
    list_groups,
    new_group_id,
    person_suggestions,
    regroup,
)
from facedesk.service.people_journal import Change, apply_change, rejection_key, write_state
from facedesk.service.people_names import (
    clean_name,
    ensure_person_in,
    find_person,
    person_for_name,
    require_faces,
    require_person,
    state_of,
)

__all__ = ["People", "PeopleGroups", "ensure_person_in", "find_person", "person_for_name"]

if TYPE_CHECKING:
    from facedesk.storage.people import JournalEntry


class People:
    """Every people action, journalled for undo/redo (the GUI and the CLI call these)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    # -- reading ---------------------------------------------------------------------------
    def people(self, collection_id: str, *, include_hidden: bool = True) -> list[UserInfo]:
        """Every person with its face count, in creation order."""
        out: list[UserInfo] = []
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            after: int | None = None
            while True:
                page = uow.users.list_page_by_position(collection_id, after, 1000)
                if not page:
                    break
                out.extend(u for _, u in page if include_hidden or not u.hidden)
                after = page[-1][0]
        return out

    def covers(
        self, collection_id: str, people: Sequence[UserInfo] | None = None
    ) -> dict[str, str]:
        """UserId -> the face to show for the person: the chosen cover, else its first face.
        ``people``: the collection's people if already read (listing them again is most of
        the time with thousands)."""
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            first: dict[str, str] = uow.people.first_faces(collection_id)
        for person in self.people(collection_id) if people is None else people:
            if person.cover_face_id is not None and person.face_count:
                first[person.user_id] = person.cover_face_id
        return first

    def person(self, collection_id: str, user_id: str) -> UserInfo:
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return require_person(uow, collection_id, user_id)

    def _change(self, collection_id: str, build: Any) -> int:
        with self._ctx.db.unit_of_work() as uow:
            uow.collections.ensure(collection_id)
            before = uow.people.stamp(collection_id)
            change = build(uow)
            entry, touched = apply_change(uow, collection_id, change)
            self._commit(uow, collection_id, before, touched)
            return entry

    def _commit(
        self, uow: Any, collection_id: str, before: people_log.Stamp, touched: people_log.Touched
    ) -> None:
        """Commit, and tell ``people_log`` what changed between the stamps (SQLite only:
        its write transaction holds the lock from the first read, so nothing else came
        between the two stamps; PostgreSQL readers start from scratch)."""
        after = uow.people.stamp(collection_id)
        uow.commit()
        if not self._ctx.db.is_postgresql:
            people_log.record(self._ctx, collection_id, before, after, touched)

    # -- naming and assigning ----------------------------------------------------------------
    def name_faces(
        self,
        collection_id: str,
        face_ids: Sequence[str],
        display_name: str | None = None,
        *,
        user_id: str | None = None,
    ) -> UserInfo:
        """Give these faces a person: the one called ``display_name`` (made if missing, with
        a UserId from the name) or the existing/new user ``user_id``."""
        if display_name is None and user_id is None:
            raise InvalidParameterException("Give a name or a UserId.")

        def build(uow: Any) -> Change:
            require_faces(uow, collection_id, face_ids)
            target = user_id
            existing: UserInfo | None = None
            if target is None:
                assert display_name is not None
                target = uow.people.find_by_name(collection_id, display_name)
            if target is not None:
                existing = uow.users.get(collection_id, target)
            name = clean_name(display_name) if display_name is not None else None
            if existing is None:
                if target is None:
                    assert name is not None
                    taken = [u for u, _ in uow.people.names(collection_id)]
                    target = user_id_from_name(name, taken)
                state = {"display_name": name, "hidden": False, "cover_face_id": None}
            else:
                state = state_of(existing, **({"display_name": name} if name else {}))
                state["hidden"] = False
            assert target is not None
            result_id.append(target)
            shown = name or target
            return Change(
                "name",
                f"Name {len(face_ids)} face(s) {shown}",
                users={target: state},
                faces=dict.fromkeys(face_ids, target),
            )

        result_id: list[str] = []
        self._change(collection_id, build)
        return self.person(collection_id, result_id[0])

    def assign(
        self, collection_id: str, face_ids: Sequence[str], user_id: str, *, action: str = "assign"
    ) -> int:
        """Put faces into an existing person (unnamed faces, or moved from another person)."""

        def build(uow: Any) -> Change:
            person = require_person(uow, collection_id, user_id)
            faces = require_faces(uow, collection_id, face_ids)
            moved = any(f.user_id not in (None, user_id) for f in faces)
            verb = action if action != "assign" or not moved else "move"
            return Change(
                verb,
                f"{verb.capitalize()} {len(faces)} face(s) to {person.name}",
                faces={f.face_id: user_id for f in faces},
            )

        return self._change(collection_id, build)

    def accept(self, collection_id: str, face_ids: Sequence[str], user_id: str) -> int:
        """Accept a suggestion: the faces become that person."""
        return self.assign(collection_id, face_ids, user_id, action="accept")

    def reject(self, collection_id: str, face_ids: Sequence[str], user_id: str) -> int:
        """Not this person: never suggested for it again (and taken out if they were in)."""

        def build(uow: Any) -> Change:
            person = require_person(uow, collection_id, user_id)
            faces = require_faces(uow, collection_id, face_ids)
            return Change(
                "reject",
                f"{len(faces)} face(s) are not {person.name}",
                faces={f.face_id: None for f in faces if f.user_id == user_id},
                rejections={rejection_key(f.face_id, user_id): True for f in faces},
            )

        return self._change(collection_id, build)

    def take_out(self, collection_id: str, face_ids: Sequence[str]) -> int:
        def build(uow: Any) -> Change:
            faces = require_faces(uow, collection_id, face_ids)
            return Change(
                "take_out",
                f"Take {len(faces)} face(s) out of their person",
                faces={f.face_id: None for f in faces},
            )

        return self._change(collection_id, build)

    # -- the person itself ------------------------------------------------------------------
    def rename(self, collection_id: str, user_id: str, display_name: str) -> int:
        def build(uow: Any) -> Change:
            person = require_person(uow, collection_id, user_id)
            name = clean_name(display_name)
            other = uow.people.find_by_name(collection_id, name)
            if other is not None and other != user_id:
                raise InvalidParameterException(
                    f"{name!r} is already the name of {other}: merge the two people instead."
                )
            return Change(
                "rename",
                f"Rename {person.name} to {name}",
                users={user_id: state_of(person, display_name=name)},
            )

        return self._change(collection_id, build)

    def hide(self, collection_id: str, user_id: str, hidden: bool = True) -> int:
        def build(uow: Any) -> Change:
            person = require_person(uow, collection_id, user_id)
            verb = "Hide" if hidden else "Show"
            return Change(
                "hide",
                f"{verb} {person.name}",
                users={user_id: state_of(person, hidden=hidden)},
            )

        return self._change(collection_id, build)

    def set_cover(self, collection_id: str, user_id: str, face_id: str) -> int:
        def build(uow: Any) -> Change:
            person = require_person(uow, collection_id, user_id)
            if face_id not in uow.users.face_ids(collection_id, user_id):
                raise InvalidParameterException(f"Face {face_id} is not {person.name}'s.")
            return Change(
                "cover",
                f"New picture for {person.name}",
                users={user_id: state_of(person, cover_face_id=face_id)},
            )

        return self._change(collection_id, build)

    def delete(self, collection_id: str, user_id: str) -> int:
        """Delete the person; its faces stay, unnamed."""

        def build(uow: Any) -> Change:
            person = require_person(uow, collection_id, user_id)
            faces = uow.users.face_ids(collection_id, user_id)
            return Change(
                "delete",
                f"Delete {person.name} ({len(faces)} face(s) kept, unnamed)",
                users={user_id: None},
                faces=dict.fromkeys(faces),
            )

        return self._change(collection_id, build)

    def merge(self, collection_id: str, source: str, target: str) -> int:
        """``source``'s faces move to ``target``; ``source`` is deleted."""
        if source == target:
            raise InvalidParameterException("Merging a person with itself does nothing.")

        def build(uow: Any) -> Change:
            src = require_person(uow, collection_id, source)
            dst = require_person(uow, collection_id, target)
            faces = uow.users.face_ids(collection_id, source)
            return Change(
                "merge",
                f"Merge {src.name} into {dst.name}",
                users={source: None, target: state_of(dst, hidden=dst.hidden and src.hidden)},
                faces=dict.fromkeys(faces, target),
            )

        return self._change(collection_id, build)

    # -- undo ---------------------------------------------------------------------------------
    def undo(self, collection_id: str) -> JournalEntry | None:
        """Undo the last people action (None if there is none)."""
        return self._replay(collection_id, undo=True)

    def redo(self, collection_id: str) -> JournalEntry | None:
        """Redo the last undone action (None if there is none)."""
        return self._replay(collection_id, undo=False)

    def _replay(self, collection_id: str, undo: bool) -> JournalEntry | None:
        """Write back the state before the last done entry (undo) or after the first
        undone one (redo), and mark it."""
        with self._ctx.db.unit_of_work() as uow:
            before = uow.people.stamp(collection_id)
            journal = uow.journal
            entry: JournalEntry | None = (
                journal.last_done(collection_id) if undo else journal.first_undone(collection_id)
            )
            if entry is None:
                return None
            touched = write_state(uow, collection_id, entry.before if undo else entry.after)
            journal.mark(entry.entry_id, undone=undo)
            self._commit(uow, collection_id, before, touched)
            return entry

    def history(self, collection_id: str) -> list[JournalEntry]:
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            entries: list[JournalEntry] = uow.journal.entries(collection_id)
            return entries


class PeopleGroups(People):
    """People plus the groups of unnamed faces and their suggestions."""

    def groups(self, collection_id: str) -> GroupListing:
        return list_groups(self._ctx, collection_id)

    def regroup(self, collection_id: str) -> None:
        regroup(self._ctx, collection_id)

    def name_group(
        self,
        collection_id: str,
        group_id: str,
        *,
        user_id: str | None = None,
        display_name: str | None = None,
    ) -> UserInfo:
        """Every face of the group becomes one person: ``user_id`` (made if missing, or
        extended) or the person called ``display_name`` (made if missing)."""
        listing = list_groups(self._ctx, collection_id)
        group = next((g for g in listing.groups if g.group_id == group_id), None)
        if group is None:
            single = [f for f in listing.ungrouped if new_group_id(f) == group_id]
            if not single:
                raise ResourceNotFoundException(
                    f"The group id: {group_id} does not exist in {collection_id} "
                    "(groups change as faces are named; list them again)."
                )
            faces: Sequence[str] = single
        else:
            faces = group.face_ids
        return self.name_faces(collection_id, faces, display_name, user_id=user_id)

    def suggestions(
        self, collection_id: str, user_id: str, threshold: float = SUGGEST_THRESHOLD
    ) -> list[FaceSuggestion]:
        """Suggested faces for a person, most similar first."""
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            require_person(uow, collection_id, user_id)
        return person_suggestions(self._ctx, collection_id, user_id, threshold)

    def accept_all(self, collection_id: str, user_id: str, min_similarity: float) -> int:
        """Accept every suggestion for ``user_id`` at or above ``min_similarity`` percent
        (one undoable action); returns how many faces were added."""
        if not SUGGEST_THRESHOLD <= min_similarity <= 100:
            raise InvalidParameterException(
                f"Accept suggestions above {SUGGEST_THRESHOLD:g}..100 %, not {min_similarity:g}."
            )
        faces = [s.face_id for s in self.suggestions(collection_id, user_id, min_similarity)]
        if not faces:
            return 0
        self.accept(collection_id, faces, user_id)
        return len(faces)
