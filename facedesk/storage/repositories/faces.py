"""One collection's faces: write, fetch, delete, associate, and their descriptors."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from sqlalchemy import String, bindparam, delete, func, select, type_coerce, update
from sqlalchemy.orm import Session

from facedesk.core.errors import ResourceNotFoundException
from facedesk.core.types import BoundingBox, Embedding, StoredFace
from facedesk.storage import postgres, postgres_check
from facedesk.storage.orm import FaceRow, FaceThumbnailRow, UserRow
from facedesk.storage.repositories.changes import pending
from facedesk.storage.repositories.common import (
    EMBEDDING_DIM,
    EMBEDDING_DTYPE,
    IN_CHUNK,
    CollectionRef,
    chunks,
    core_rows,
    embedding_from_bytes,
    embedding_to_bytes,
    insert_ignoring_duplicates,
    is_postgresql,
    now,
)
from facedesk.storage.utc import aware_utc

FACE_COLUMNS = (
    FaceRow.face_id,
    FaceRow.image_id,
    FaceRow.external_image_id,
    FaceRow.box_left,
    FaceRow.box_top,
    FaceRow.box_width,
    FaceRow.box_height,
    FaceRow.confidence,
    FaceRow.model_version,
    FaceRow.embedding,
    UserRow.user_id,
    # Read as the database gives it, converted by _utc in face_from_row: on SQLite the
    # column is naive-UTC ISO 8601 text, and SQLAlchemy's DATETIME processing plus
    # UTCDateTime's replace(tzinfo=UTC) cost ~10 us a row, half of a page of faces.
    type_coerce(FaceRow.indexed_at, String()).label("indexed_at"),
)
FACE_COLUMNS_WITHOUT_EMBEDDING = FACE_COLUMNS[:9] + FACE_COLUMNS[10:]  # all but the embedding
# What a face listed without its descriptor carries in StoredFace.embedding (shape (0,)).
NO_EMBEDDING: Embedding = np.zeros(0, dtype=np.float32)


def _face_select(with_embeddings: bool) -> Any:
    """The columns ``face_from_row`` reads, faces joined with their user."""
    columns = FACE_COLUMNS if with_embeddings else FACE_COLUMNS_WITHOUT_EMBEDDING
    return select(*columns).outerjoin(UserRow, UserRow.pk == FaceRow.user_pk)


def select_faces(collection_pk: int, with_embeddings: bool = True) -> Any:
    return _face_select(with_embeddings).where(FaceRow.collection_pk == collection_pk)


@functools.cache
def _page_statement(with_embeddings: bool, after: bool, by_user: bool, by_ids: bool) -> Any:
    """``list_page``'s statement for one combination of filters, built once per process:
    building and cache-keying a fresh select costs more than running it for 100 faces."""
    stmt = (
        _face_select(with_embeddings)
        .where(FaceRow.collection_pk == bindparam("pk"))
        .order_by(FaceRow.face_id)
        .limit(bindparam("limit"))
    )
    if after:
        stmt = stmt.where(FaceRow.face_id > bindparam("after"))
    if by_user:
        stmt = stmt.where(UserRow.user_id == bindparam("user_id"))
    if by_ids:
        stmt = stmt.where(FaceRow.face_id.in_(bindparam("face_ids", expanding=True)))
    return stmt


@functools.cache
def _by_ids_statement() -> Any:
    return _face_select(True).where(
        FaceRow.collection_pk == bindparam("pk"),
        FaceRow.face_id.in_(bindparam("face_ids", expanding=True)),
    )


def face_from_row(collection_id: str, row: Any, with_embedding: bool = True) -> StoredFace:
    """A StoredFace from a row of ``select_faces`` (positional: this runs 512 times a page)."""
    if with_embedding:
        fid, image_id, ext, left, top, width, height, conf, version, blob, user, at = row[:12]
        embedding = embedding_from_bytes(blob)
    else:
        fid, image_id, ext, left, top, width, height, conf, version, user, at = row[:11]
        embedding = NO_EMBEDDING
    return StoredFace(
        face_id=fid,
        collection_id=collection_id,
        image_id=image_id,
        external_image_id=ext,
        bounding_box=BoundingBox(left=left, top=top, width=width, height=height),
        confidence=conf,
        model_version=version,
        embedding=embedding,
        user_id=user,
        indexed_at=None if at is None else aware_utc(at),
    )


def user_pks(session: Session, collection_pk: int, user_ids: Iterable[str]) -> dict[str, int]:
    """Row keys of these users of the collection; ResourceNotFoundException for a stranger."""
    wanted = sorted(set(user_ids))
    found: dict[str, int] = {}
    for chunk in chunks(wanted):
        rows = session.execute(
            select(UserRow.user_id, UserRow.pk).where(
                UserRow.collection_pk == collection_pk, UserRow.user_id.in_(chunk)
            )
        )
        found.update({str(row[0]): int(row[1]) for row in rows})
    missing = [u for u in wanted if u not in found]
    if missing:
        raise ResourceNotFoundException(f"The user id: {missing[0]} does not exist")
    return found


class FaceRepository:
    """The faces of one collection (found once by the unit of work, see CollectionScope)."""

    def __init__(self, session: Session, ref: CollectionRef) -> None:
        self._s = session
        self._cid = ref.collection_id
        self._pk = ref.pk

    def _face(self, row: Any, with_embedding: bool = True) -> StoredFace:
        return face_from_row(self._cid, row, with_embedding)

    def add_many(
        self, faces: Sequence[StoredFace], thumbnails: Mapping[str, bytes] | None = None
    ) -> None:
        """Insert faces (their images must exist). ``thumbnails`` maps face_id to JPEG bytes."""
        if not faces:
            return
        foreign = {f.collection_id for f in faces} - {self._cid}
        if foreign:
            raise ValueError(f"faces of {sorted(foreign)} added to {self._cid}")
        users = user_pks(self._s, self._pk, (f.user_id for f in faces if f.user_id is not None))
        at = now()
        rows = [
            {
                "collection_pk": self._pk,
                "face_id": f.face_id,
                "image_id": f.image_id,
                "external_image_id": f.external_image_id,
                "box_left": f.bounding_box.left,
                "box_top": f.bounding_box.top,
                "box_width": f.bounding_box.width,
                "box_height": f.bounding_box.height,
                "confidence": f.confidence,
                "model_version": f.model_version,
                "user_pk": None if f.user_id is None else users[f.user_id],
                "embedding": embedding_to_bytes(f.embedding),
                "indexed_at": f.indexed_at or at,
            }
            for f in faces
        ]
        # FaceIds are functions of the image, the model and the box: a duplicate is the same
        # face, already stored by a concurrent writer.
        self._s.execute(insert_ignoring_duplicates(self._s, FaceRow), rows)
        pending(self._s).faces_added(self._cid, list(faces))
        if thumbnails:
            ids = {f.face_id for f in faces}
            thumbs = [
                {"collection_pk": self._pk, "face_id": fid, "jpeg": jpeg}
                for fid, jpeg in thumbnails.items()
                if fid in ids
            ]
            if thumbs:
                self._s.execute(insert_ignoring_duplicates(self._s, FaceThumbnailRow), thumbs)

    def get_many(self, face_ids: Sequence[str]) -> list[StoredFace]:
        """The stored faces among ``face_ids``, in the order given (unknown ids are skipped)."""
        found: dict[str, StoredFace] = {}
        stmt = _by_ids_statement()
        for chunk in chunks(list(dict.fromkeys(face_ids))):
            for row in core_rows(self._s, stmt, {"pk": self._pk, "face_ids": list(chunk)}):
                found[row[0]] = self._face(row)
        return [found[fid] for fid in dict.fromkeys(face_ids) if fid in found]

    def get(self, face_id: str) -> StoredFace | None:
        faces = self.get_many([face_id])
        return faces[0] if faces else None

    def list_page(
        self,
        after_face_id: str | None,
        limit: int,
        user_id: str | None = None,
        face_ids: Sequence[str] | None = None,
        with_embeddings: bool = True,
    ) -> list[StoredFace]:
        """Faces in FaceId order; without embeddings (``NO_EMBEDDING``) when not needed."""
        if face_ids is not None and len(face_ids) > IN_CHUNK:
            raise ValueError(f"at most {IN_CHUNK} face ids per filter")
        stmt = _page_statement(
            with_embeddings, after_face_id is not None, user_id is not None, face_ids is not None
        )
        params: dict[str, Any] = {"pk": self._pk, "limit": limit}
        if after_face_id is not None:
            params["after"] = after_face_id
        if user_id is not None:
            params["user_id"] = user_id
        if face_ids is not None:
            params["face_ids"] = list(face_ids)
        rows = core_rows(self._s, stmt, params)
        return [face_from_row(self._cid, row, with_embeddings) for row in rows]

    def by_image(self, image_id: str, external_image_id: str | None) -> list[StoredFace]:
        """Faces indexed from one image under one ExternalImageId (None matches None only)."""
        stmt = select_faces(self._pk).where(FaceRow.image_id == image_id).order_by(FaceRow.face_id)
        if external_image_id is None:
            stmt = stmt.where(FaceRow.external_image_id.is_(None))
        else:
            stmt = stmt.where(FaceRow.external_image_id == external_image_id)
        return [self._face(row) for row in self._s.execute(stmt)]

    def delete_many(self, face_ids: Sequence[str]) -> list[str]:
        """Delete the given faces; returns those that existed, in the order given."""
        wanted = list(dict.fromkeys(face_ids))
        existing: set[str] = set()
        mine = FaceRow.collection_pk == self._pk
        for chunk in chunks(wanted):
            existing.update(
                self._s.scalars(select(FaceRow.face_id).where(mine, FaceRow.face_id.in_(chunk)))
            )
            self._s.execute(delete(FaceRow).where(mine, FaceRow.face_id.in_(chunk)))
        deleted = [fid for fid in wanted if fid in existing]
        pending(self._s).faces_removed(self._cid, deleted)
        return deleted

    def set_user(self, face_ids: Sequence[str], user_id: str | None) -> int:
        """Associate faces with a user (or disassociate with None); returns rows changed."""
        user_pk = None if user_id is None else user_pks(self._s, self._pk, [user_id])[user_id]
        changed = 0
        for chunk in chunks(list(dict.fromkeys(face_ids))):
            result = self._s.execute(
                update(FaceRow)
                .where(FaceRow.collection_pk == self._pk, FaceRow.face_id.in_(chunk))
                .values(user_pk=user_pk)
            )
            changed += int(getattr(result, "rowcount", 0))
        return changed

    def embeddings(self) -> tuple[list[str], Embedding]:
        """All face ids (ascending) and their embeddings as one contiguous (N, D) float32 matrix."""
        # Streamed into a preallocated matrix: at 1M faces the rows, bytes objects and a
        # joined copy would otherwise triple the 512 MB the matrix needs.
        mine = FaceRow.collection_pk == self._pk
        n = int(self._s.scalar(select(func.count()).where(mine)) or 0)
        matrix = np.empty((n, EMBEDDING_DIM), dtype=np.float32)
        ids: list[str] = []
        rows = self._s.execute(
            select(FaceRow.face_id, FaceRow.embedding)
            .where(mine)
            .order_by(FaceRow.face_id)
            .execution_options(yield_per=4096)
        )
        for i, (face_id, blob) in enumerate(rows):
            vector = np.frombuffer(blob, dtype=EMBEDDING_DTYPE)
            if vector.shape != (EMBEDDING_DIM,):
                raise ValueError(f"face {face_id} in {self._cid} has a {vector.size}-d embedding")
            matrix[i] = vector
            ids.append(face_id)
        if len(ids) != n:  # rows changed between the count and the read: same transaction
            raise RuntimeError("faces changed while their embeddings were read")
        return ids, matrix

    def nearest(
        self,
        query: Embedding,
        k: int,
        max_distance: float | None = None,
        exclude: set[str] | None = None,
    ) -> list[tuple[str, float]]:
        """PostgreSQL: the ``k`` nearest faces as (face_id, distance), searched in the
        database (see facedesk.storage.postgres). Other backends search in process."""
        if not is_postgresql(self._s):
            raise NotImplementedError("in-database search needs PostgreSQL with pgvector")
        first = postgres_check.first_list(self._s, self._pk)
        return postgres.nearest(
            self._s, self._pk, np.asarray(query), k, max_distance, exclude, first_list=first
        )

    def thumbnail(self, face_id: str) -> bytes | None:
        return self._s.scalar(
            select(FaceThumbnailRow.jpeg).where(
                FaceThumbnailRow.collection_pk == self._pk, FaceThumbnailRow.face_id == face_id
            )
        )

    def thumbnails(self, face_ids: Sequence[str]) -> dict[str, bytes]:
        """The stored thumbnails of these faces (faces without one are left out)."""
        found: dict[str, bytes] = {}
        for chunk in chunks(list(face_ids)):
            rows = self._s.execute(
                select(FaceThumbnailRow.face_id, FaceThumbnailRow.jpeg).where(
                    FaceThumbnailRow.collection_pk == self._pk,
                    FaceThumbnailRow.face_id.in_(chunk),
                )
            )
            found.update((fid, jpeg) for fid, jpeg in rows)
        return found
