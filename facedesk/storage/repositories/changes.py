"""The face changes a unit of work has made so far, kept on its Session until commit.

Repositories note what they wrote here; UnitOfWork.commit turns the notes into
facedesk.core.events (cosmicpython's ``collect_new_events``) once the database has them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from facedesk.core.types import StoredFace

_CHANGES_KEY = "facedesk_changes"


@dataclass
class CollectionChanges:
    # By FaceId, so a face written twice in one transaction is announced once.
    added: dict[str, StoredFace] = field(default_factory=dict)
    removed: dict[str, None] = field(default_factory=dict)  # an ordered set


@dataclass
class PendingChanges:
    faces: dict[str, CollectionChanges] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)

    def faces_added(self, collection_id: str, faces: list[StoredFace]) -> None:
        mine = self.faces.setdefault(collection_id, CollectionChanges())
        mine.added.update((f.face_id, f) for f in faces)

    def faces_removed(self, collection_id: str, face_ids: list[str]) -> None:
        # Listeners apply removals before additions: a face added and then removed in one
        # transaction must leave the added list, one removed and re-added stays in both.
        mine = self.faces.setdefault(collection_id, CollectionChanges())
        for fid in face_ids:
            mine.added.pop(fid, None)
            mine.removed[fid] = None

    def collection_dropped(self, collection_id: str) -> None:
        self.faces.pop(collection_id, None)
        self.dropped.append(collection_id)


def pending(session: Session) -> PendingChanges:
    changes: PendingChanges = session.info.setdefault(_CHANGES_KEY, PendingChanges())
    return changes


def take(session: Session) -> PendingChanges:
    """The changes noted so far, forgetting them (after a commit, or on rollback)."""
    changes: PendingChanges = session.info.pop(_CHANGES_KEY, None) or PendingChanges()
    return changes
