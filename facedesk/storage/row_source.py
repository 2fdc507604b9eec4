"""What a collection's persisted vector set is checked against: the database (its generation,
face ids and, for the few that changed, descriptors), and where the set lives beside the
library file. The files themselves are :mod:`facedesk.storage.index_files`'s."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from facedesk.storage.database import Database
from facedesk.storage.orm import CollectionRow, FaceRow

F32Array = npt.NDArray[np.float32]


def store_folder(database_path: Path, collection_id: str) -> Path:
    """Where a collection's index lives: beside the library file, named by a hash of the id
    (collection ids may hold characters a file system refuses)."""
    digest = hashlib.sha256(collection_id.encode()).hexdigest()[:24]
    return database_path.with_name(database_path.name + "-vectors") / digest


class RowSource:
    """What the persisted index is checked against: the collection's generation, its face ids
    and (for the few that changed) their descriptors, read from the database.

    ``on_generation`` is told the generation every read saw, so the caller can tell later
    whether another process wrote since (``ServiceContext`` keeps that per collection).
    """

    def __init__(
        self,
        db: Database,
        collection_id: str,
        on_generation: Callable[[int], None] | None = None,
    ) -> None:
        self.db = db
        self.collection_id = collection_id
        self._on_generation = on_generation
        self.last_generation = -1  # what the last state() read

    @property
    def folder(self) -> Path | None:
        """The index folder, or None when the database is not a file (no persistence)."""
        if self.db.path is None:
            return None
        return store_folder(self.db.path, self.collection_id)

    def generation(self) -> int:
        """The collection's generation alone (KeyError if the collection is gone)."""
        with self.db.unit_of_work(read_only=True) as uow:
            gen = uow.session.scalar(
                select(CollectionRow.generation).where(
                    CollectionRow.collection_id == self.collection_id
                )
            )
        if gen is None:
            raise KeyError(self.collection_id)
        self.last_generation = int(gen)
        if self._on_generation is not None:
            self._on_generation(int(gen))
        return int(gen)

    def state(self) -> tuple[int, list[str]]:
        """(generation, face ids) read in one transaction, so they agree."""
        with self.db.unit_of_work(read_only=True) as uow:
            s = uow.session
            row = s.execute(
                select(CollectionRow.pk, CollectionRow.generation).where(
                    CollectionRow.collection_id == self.collection_id
                )
            ).one_or_none()
            if row is None:
                raise KeyError(self.collection_id)
            # Sorted (the primary key's order, so free) to compare with the set's ids_digest.
            ids = list(
                s.scalars(
                    select(FaceRow.face_id)
                    .where(FaceRow.collection_pk == row[0])
                    .order_by(FaceRow.face_id)
                )
            )
        self.last_generation = int(row[1])
        if self._on_generation is not None:
            self._on_generation(int(row[1]))
        return int(row[1]), ids

    def embeddings(self, face_ids: Sequence[str], dim: int) -> F32Array:
        """The descriptors of ``face_ids`` in that order (KeyError if one is gone)."""
        out = np.empty((len(face_ids), dim), dtype=np.float32)
        where = {fid: i for i, fid in enumerate(face_ids)}
        found = 0
        with self.db.unit_of_work(read_only=True) as uow:
            s = uow.session
            pk = s.scalar(
                select(CollectionRow.pk).where(CollectionRow.collection_id == self.collection_id)
            )
            ids = list(face_ids)
            for a in range(0, len(ids), 500):  # under SQLite's bound-parameter limit
                rows = s.execute(
                    select(FaceRow.face_id, FaceRow.embedding).where(
                        FaceRow.collection_pk == pk, FaceRow.face_id.in_(ids[a : a + 500])
                    )
                )
                for fid, blob in rows:
                    out[where[fid]] = np.frombuffer(blob, dtype="<f4")
                    found += 1
        if found != len(face_ids):
            raise KeyError("faces vanished while their descriptors were read")
        return out
