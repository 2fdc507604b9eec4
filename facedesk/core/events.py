"""What a committed unit of work tells the rest of the process (cosmicpython's domain events).

Storage collects them while a unit of work writes and publishes them after its commit, so a
handler never hears of a change that was rolled back. The one handler today keeps the
in-memory vector index of each collection current (see facedesk.service.context).
"""

from __future__ import annotations

from dataclasses import dataclass

from facedesk.core.types import StoredFace


@dataclass(frozen=True)
class FacesChanged:
    """Faces added to and removed from one collection by one commit.

    ``generation`` is the collection's write counter after the commit: the change took it
    from ``generation - 1``, so a listener that knows the collection at ``generation - 1``
    can apply the change; one that knows an older state missed a write and must reload.
    """

    collection_id: str
    generation: int
    added: tuple[StoredFace, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class CollectionDropped:
    collection_id: str


Event = FacesChanged | CollectionDropped
