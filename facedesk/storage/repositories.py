"""Repositories: take a Session, speak in facedesk.core shapes, never hand out ORM rows.

Every per-collection method raises ResourceNotFoundException for an unknown collection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import delete, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from facedesk.core.errors import (
    ConflictException,
    InvalidPaginationTokenException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from facedesk.core.types import (
    BoundingBox,
    CollectionInfo,
    Embedding,
    ImageInfo,
    ImageSummary,
    IndexRecord,
    StoredFace,
    UserInfo,
)
from facedesk.storage.orm import (
    CollectionRow,
    FaceRow,
    FaceThumbnailRow,
    ImageRow,
    IndexRecordRow,
    RequestTokenRow,
    UserRow,
)

EMBEDDING_DIM = 128
_EMBEDDING_DTYPE = np.dtype("<f4")  # fixed byte order so files move between machines
_IN_CHUNK = 500  # stay far below SQLite's bound-parameter limit

T = TypeVar("T")


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: Sequence[T], size: int = _IN_CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def embedding_to_bytes(embedding: Embedding) -> bytes:
    arr = np.asarray(embedding)
    if arr.ndim != 1:
        raise ValueError(f"embedding must be 1-D, got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=_EMBEDDING_DTYPE).tobytes()


def embedding_from_bytes(blob: bytes) -> Embedding:
    """A read-only float32 view of the stored bytes."""
    return np.frombuffer(blob, dtype=_EMBEDDING_DTYPE).astype(np.float32, copy=False)


def _collection_pk(session: Session, collection_id: str) -> int | None:
    return session.scalar(
        select(CollectionRow.pk).where(CollectionRow.collection_id == collection_id)
    )


def _require_pk(session: Session, collection_id: str) -> int:
    pk = _collection_pk(session, collection_id)
    if pk is None:
        raise ResourceNotFoundException(f"The collection id: {collection_id} does not exist")
    return pk


class CollectionRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _select(self) -> Any:  # Select's type parameters differ between SQLAlchemy 2.0 and 2.1
        faces = (
            select(func.count())
            .where(FaceRow.collection_pk == CollectionRow.pk)
            .correlate(CollectionRow)
            .scalar_subquery()
        )
        users = (
            select(func.count())
            .where(UserRow.collection_pk == CollectionRow.pk)
            .correlate(CollectionRow)
            .scalar_subquery()
        )
        return select(CollectionRow, faces, users)

    @staticmethod
    def _info(row: CollectionRow, face_count: int, user_count: int) -> CollectionInfo:
        return CollectionInfo(
            collection_id=row.collection_id,
            face_model_version=row.face_model_version,
            arn=row.arn,
            created_at=row.created_at,
            face_count=face_count,
            user_count=user_count,
        )

    def add(self, info: CollectionInfo) -> None:
        if _collection_pk(self._s, info.collection_id) is not None:
            raise ResourceAlreadyExistsException(
                f"The collection id: {info.collection_id} already exists."
            )
        self._s.add(
            CollectionRow(
                collection_id=info.collection_id,
                face_model_version=info.face_model_version,
                arn=info.arn,
                created_at=info.created_at,
            )
        )
        self._s.flush()

    def get(self, collection_id: str) -> CollectionInfo | None:
        row = self._s.execute(
            self._select().where(CollectionRow.collection_id == collection_id)
        ).one_or_none()
        return None if row is None else self._info(*row)

    def require(self, collection_id: str) -> CollectionInfo:
        info = self.get(collection_id)
        if info is None:
            raise ResourceNotFoundException(f"The collection id: {collection_id} does not exist")
        return info

    def ensure(self, collection_id: str) -> None:
        """ResourceNotFoundException unless the collection exists (without counting faces)."""
        self.face_model_version(collection_id)

    def face_model_version(self, collection_id: str) -> str:
        value = self._s.scalar(
            select(CollectionRow.face_model_version).where(
                CollectionRow.collection_id == collection_id
            )
        )
        if value is None:
            raise ResourceNotFoundException(f"The collection id: {collection_id} does not exist")
        return str(value)

    def generation(self, collection_id: str) -> int:
        """The collection's write counter; also the cheap existence check (no face count)."""
        value = self._s.scalar(
            select(CollectionRow.generation).where(CollectionRow.collection_id == collection_id)
        )
        if value is None:
            raise ResourceNotFoundException(f"The collection id: {collection_id} does not exist")
        return int(value)

    def bump_generation(self, collection_id: str) -> int:
        """Count one more change to the collection's faces; returns the new generation."""
        self._s.execute(
            update(CollectionRow)
            .where(CollectionRow.collection_id == collection_id)
            .values(generation=CollectionRow.generation + 1)
        )
        return self.generation(collection_id)

    def delete(self, collection_id: str) -> bool:
        # Faces, thumbnails, users, index records and tokens go by ON DELETE CASCADE.
        result = self._s.execute(
            delete(CollectionRow).where(CollectionRow.collection_id == collection_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def list_page(self, after: str | None, limit: int) -> list[CollectionInfo]:
        stmt = self._select().order_by(CollectionRow.collection_id).limit(limit)
        if after is not None:
            stmt = stmt.where(CollectionRow.collection_id > after)
        return [self._info(*row) for row in self._s.execute(stmt)]

    def ids(self) -> list[str]:
        return list(
            self._s.scalars(
                select(CollectionRow.collection_id).order_by(CollectionRow.collection_id)
            )
        )


class ImageRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def upsert(self, info: ImageInfo) -> None:
        self._s.merge(
            ImageRow(
                image_id=info.image_id,
                sha256=info.sha256,
                byte_size=info.byte_size,
                width=info.width,
                height=info.height,
                format=info.format,
            )
        )
        self._s.flush()

    def get(self, image_id: str) -> ImageInfo | None:
        row = self._s.get(ImageRow, image_id)
        if row is None:
            return None
        return ImageInfo(
            image_id=row.image_id,
            sha256=row.sha256,
            byte_size=row.byte_size,
            width=row.width,
            height=row.height,
            format=row.format,
        )


_FACE_COLUMNS = (
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
    FaceRow.indexed_at,
)


_FACE_COLUMNS_WITHOUT_EMBEDDING = tuple(c for c in _FACE_COLUMNS if c is not FaceRow.embedding)
# What a face listed without its descriptor carries in StoredFace.embedding (shape (0,)).
NO_EMBEDDING: Embedding = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class FaceGridKey:
    """Where a face sits in the grid order; a keyset cursor (it stays valid after deletes).

    The order is photo by photo (image, then ExternalImageId: one photo indexed under two
    names is two photos), largest face first, FaceId last. The photos come in ImageId
    order, which is the index ``ix_faces_collection_pk_image_id``: SQLite walks it and only
    sorts each photo's few faces, so a page costs the same at row 0 and at row 1M.
    """

    image_id: str
    external_image_id: str  # '' for None
    neg_area: float  # -(width * height) of the box, as SQL computes it
    face_id: str


def _grid_columns() -> tuple[Any, Any, Any, Any]:
    return (
        FaceRow.image_id,
        func.coalesce(FaceRow.external_image_id, ""),
        -(FaceRow.box_width * FaceRow.box_height),
        FaceRow.face_id,
    )


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


class FaceRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _select(self, collection_pk: int, with_embeddings: bool = True) -> Any:
        columns = _FACE_COLUMNS if with_embeddings else _FACE_COLUMNS_WITHOUT_EMBEDDING
        stmt = (
            select(*columns)
            .outerjoin(UserRow, UserRow.pk == FaceRow.user_pk)
            .where(FaceRow.collection_pk == collection_pk)
        )
        return stmt

    @staticmethod
    def _face(collection_id: str, row: Any, with_embedding: bool = True) -> StoredFace:
        """A StoredFace from a row of ``_select`` (positional: this runs 512 times a page)."""
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
            indexed_at=at,
        )

    def _user_pks(self, collection_pk: int, user_ids: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(user_ids))
        found: dict[str, int] = {}
        for chunk in _chunks(wanted):
            rows = self._s.execute(
                select(UserRow.user_id, UserRow.pk).where(
                    UserRow.collection_pk == collection_pk, UserRow.user_id.in_(chunk)
                )
            )
            found.update({str(row[0]): int(row[1]) for row in rows})
        missing = [u for u in wanted if u not in found]
        if missing:
            raise ResourceNotFoundException(f"The user id: {missing[0]} does not exist")
        return found

    def add_many(
        self, faces: Sequence[StoredFace], thumbnails: Mapping[str, bytes] | None = None
    ) -> None:
        """Insert faces (their images must exist). ``thumbnails`` maps face_id to JPEG bytes."""
        if not faces:
            return
        by_collection: dict[str, int] = {}
        for face in faces:
            if face.collection_id not in by_collection:
                by_collection[face.collection_id] = _require_pk(self._s, face.collection_id)
        now = _now()
        rows: list[dict[str, Any]] = []
        for cid, cpk in by_collection.items():
            mine = [f for f in faces if f.collection_id == cid]
            users = self._user_pks(cpk, (f.user_id for f in mine if f.user_id is not None))
            for f in mine:
                rows.append(
                    {
                        "collection_pk": cpk,
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
                        "indexed_at": f.indexed_at or now,
                    }
                )
        self._s.execute(insert(FaceRow), rows)
        if thumbnails:
            pk_of = {f.face_id: by_collection[f.collection_id] for f in faces}
            thumbs = [
                {"collection_pk": pk_of[fid], "face_id": fid, "jpeg": jpeg}
                for fid, jpeg in thumbnails.items()
                if fid in pk_of
            ]
            if thumbs:
                self._s.execute(insert(FaceThumbnailRow), thumbs)

    def get_many(self, collection_id: str, face_ids: Sequence[str]) -> list[StoredFace]:
        """The stored faces among ``face_ids``, in the order given (unknown ids are skipped)."""
        cpk = _require_pk(self._s, collection_id)
        found: dict[str, StoredFace] = {}
        for chunk in _chunks(list(dict.fromkeys(face_ids))):
            for row in self._s.execute(self._select(cpk).where(FaceRow.face_id.in_(chunk))):
                found[row.face_id] = self._face(collection_id, row)
        return [found[fid] for fid in dict.fromkeys(face_ids) if fid in found]

    def get(self, collection_id: str, face_id: str) -> StoredFace | None:
        faces = self.get_many(collection_id, [face_id])
        return faces[0] if faces else None

    def list_page(
        self,
        collection_id: str,
        after_face_id: str | None,
        limit: int,
        user_id: str | None = None,
        face_ids: Sequence[str] | None = None,
        with_embeddings: bool = True,
    ) -> list[StoredFace]:
        """Faces in FaceId order; without embeddings (``NO_EMBEDDING``) when not needed."""
        cpk = _require_pk(self._s, collection_id)
        stmt = self._select(cpk, with_embeddings).order_by(FaceRow.face_id).limit(limit)
        if after_face_id is not None:
            stmt = stmt.where(FaceRow.face_id > after_face_id)
        if user_id is not None:
            stmt = stmt.where(UserRow.user_id == user_id)
        if face_ids is not None:
            if len(face_ids) > _IN_CHUNK:
                raise ValueError(f"at most {_IN_CHUNK} face ids per filter")
            stmt = stmt.where(FaceRow.face_id.in_(list(face_ids)))
        return [self._face(collection_id, row, with_embeddings) for row in self._s.execute(stmt)]

    def _grid_filtered(
        self, stmt: Any, cpk: int, user_id: str | None, external_id_contains: str | None
    ) -> Any | None:
        """``stmt`` narrowed to one person and/or an ExternalImageId substring; None when
        the person does not exist (nothing can match)."""
        if user_id is not None:
            user_pk = self._s.scalar(
                select(UserRow.pk).where(UserRow.collection_pk == cpk, UserRow.user_id == user_id)
            )
            if user_pk is None:
                return None
            stmt = stmt.where(FaceRow.user_pk == user_pk)
        if external_id_contains:
            # ExternalImageId is ASCII ([a-zA-Z0-9_.\-:]+), so lower() folds every case.
            stmt = stmt.where(
                func.lower(FaceRow.external_image_id).like(
                    _like_pattern(external_id_contains), escape="/"
                )
            )
        return stmt

    def grid_page(
        self,
        collection_id: str,
        after: FaceGridKey | None,
        limit: int,
        *,
        user_id: str | None = None,
        external_id_contains: str | None = None,
    ) -> tuple[list[StoredFace], FaceGridKey | None]:
        """Up to ``limit`` faces after ``after`` in grid order (see FaceGridKey), without
        embeddings, and the cursor of the next page (None after the last face)."""
        cpk = _require_pk(self._s, collection_id)
        columns = _grid_columns()
        stmt = self._grid_filtered(
            self._select(cpk, with_embeddings=False).add_columns(columns[1], columns[2]),
            cpk,
            user_id,
            external_id_contains,
        )
        if stmt is None:
            return [], None
        if after is not None:
            stmt = stmt.where(
                FaceRow.image_id >= after.image_id,  # the index range; the tuple refines it
                tuple_(*columns)
                > tuple_(after.image_id, after.external_image_id, after.neg_area, after.face_id),
            )
        rows = list(self._s.execute(stmt.order_by(*columns).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        faces = [self._face(collection_id, row, with_embedding=False) for row in rows]
        if not more:
            return faces, None
        last = rows[-1]
        return faces, FaceGridKey(last.image_id, last[-2], float(last[-1]), last.face_id)

    def grid_count(
        self,
        collection_id: str,
        *,
        user_id: str | None = None,
        external_id_contains: str | None = None,
    ) -> int:
        """How many faces ``grid_page`` walks through with these filters."""
        cpk = _require_pk(self._s, collection_id)
        stmt = self._grid_filtered(
            select(func.count()).select_from(FaceRow).where(FaceRow.collection_pk == cpk),
            cpk,
            user_id,
            external_id_contains,
        )
        return 0 if stmt is None else int(self._s.scalar(stmt) or 0)

    def delete_many(self, collection_id: str, face_ids: Sequence[str]) -> list[str]:
        """Delete the given faces; returns those that existed, in the order given."""
        cpk = _require_pk(self._s, collection_id)
        wanted = list(dict.fromkeys(face_ids))
        existing: set[str] = set()
        for chunk in _chunks(wanted):
            existing.update(
                self._s.scalars(
                    select(FaceRow.face_id).where(
                        FaceRow.collection_pk == cpk, FaceRow.face_id.in_(chunk)
                    )
                )
            )
            self._s.execute(
                delete(FaceRow).where(FaceRow.collection_pk == cpk, FaceRow.face_id.in_(chunk))
            )
        return [fid for fid in wanted if fid in existing]

    def count(self, collection_id: str) -> int:
        cpk = _require_pk(self._s, collection_id)
        return int(self._s.scalar(select(func.count()).where(FaceRow.collection_pk == cpk)) or 0)

    def embeddings(self, collection_id: str) -> tuple[list[str], Embedding]:
        """All face ids (ascending) and their embeddings as one contiguous (N, D) float32 matrix."""
        cpk = _require_pk(self._s, collection_id)
        # Streamed into a preallocated matrix: at 1M faces the rows, bytes objects and a
        # joined copy would otherwise triple the 512 MB the matrix needs.
        n = self.count(collection_id)
        matrix = np.empty((n, EMBEDDING_DIM), dtype=np.float32)
        ids: list[str] = []
        rows = self._s.execute(
            select(FaceRow.face_id, FaceRow.embedding)
            .where(FaceRow.collection_pk == cpk)
            .order_by(FaceRow.face_id)
            .execution_options(yield_per=4096)
        )
        for i, (face_id, blob) in enumerate(rows):
            vector = np.frombuffer(blob, dtype=_EMBEDDING_DTYPE)
            if vector.shape != (EMBEDDING_DIM,):
                raise ValueError(
                    f"face {face_id} in {collection_id} has a {vector.size}-d embedding"
                )
            matrix[i] = vector
            ids.append(face_id)
        if len(ids) != n:  # rows changed between the count and the read: same transaction
            raise RuntimeError("faces changed while their embeddings were read")
        return ids, matrix

    def thumbnail(self, collection_id: str, face_id: str) -> bytes | None:
        cpk = _require_pk(self._s, collection_id)
        return self._s.scalar(
            select(FaceThumbnailRow.jpeg).where(
                FaceThumbnailRow.collection_pk == cpk, FaceThumbnailRow.face_id == face_id
            )
        )

    def thumbnails(self, collection_id: str, face_ids: Sequence[str]) -> dict[str, bytes]:
        """The stored thumbnails of these faces (faces without one are left out)."""
        cpk = _require_pk(self._s, collection_id)
        found: dict[str, bytes] = {}
        for chunk in _chunks(list(face_ids)):
            rows = self._s.execute(
                select(FaceThumbnailRow.face_id, FaceThumbnailRow.jpeg).where(
                    FaceThumbnailRow.collection_pk == cpk, FaceThumbnailRow.face_id.in_(chunk)
                )
            )
            found.update((fid, jpeg) for fid, jpeg in rows)
        return found

    def by_image(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> list[StoredFace]:
        """Faces indexed from one image under one ExternalImageId (None matches None only)."""
        cpk = _require_pk(self._s, collection_id)
        stmt = self._select(cpk).where(FaceRow.image_id == image_id).order_by(FaceRow.face_id)
        if external_image_id is None:
            stmt = stmt.where(FaceRow.external_image_id.is_(None))
        else:
            stmt = stmt.where(FaceRow.external_image_id == external_image_id)
        return [self._face(collection_id, row) for row in self._s.execute(stmt)]

    def set_user(self, collection_id: str, face_ids: Sequence[str], user_id: str | None) -> int:
        """Associate faces with a user (or disassociate with None); returns rows changed."""
        cpk = _require_pk(self._s, collection_id)
        user_pk = None if user_id is None else self._user_pks(cpk, [user_id])[user_id]
        changed = 0
        for chunk in _chunks(list(dict.fromkeys(face_ids))):
            result = self._s.execute(
                update(FaceRow)
                .where(FaceRow.collection_pk == cpk, FaceRow.face_id.in_(chunk))
                .values(user_pk=user_pk)
            )
            changed += int(getattr(result, "rowcount", 0))
        return changed


def _to_db_external(external_image_id: str | None) -> str:
    return "" if external_image_id is None else external_image_id


def _from_db_external(stored: str) -> str | None:
    return None if stored == "" else stored


class IndexRecordRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    @staticmethod
    def _record(collection_id: str, row: IndexRecordRow) -> IndexRecord:
        return IndexRecord(
            collection_id=collection_id,
            image_id=row.image_id,
            external_image_id=_from_db_external(row.external_image_id),
            response=row.response,
            settings=row.settings,
            measurements=tuple(row.measurements),
            indexed_at=row.indexed_at,
            face_count=row.face_count,
            unindexed_count=row.unindexed_count,
            source_path=row.source_path,
            source_size=row.source_size,
            source_mtime=row.source_mtime,
        )

    def _row(self, cpk: int, image_id: str, external_image_id: str | None) -> IndexRecordRow | None:
        return self._s.scalars(
            select(IndexRecordRow).where(
                IndexRecordRow.collection_pk == cpk,
                IndexRecordRow.image_id == image_id,
                IndexRecordRow.external_image_id == _to_db_external(external_image_id),
            )
        ).one_or_none()

    def get(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> IndexRecord | None:
        cpk = _require_pk(self._s, collection_id)
        row = self._row(cpk, image_id, external_image_id)
        return None if row is None else self._record(collection_id, row)

    def add(self, record: IndexRecord) -> None:
        """Store the record, replacing any earlier one for the same (image, ExternalImageId)."""
        cpk = _require_pk(self._s, record.collection_id)
        row = self._row(cpk, record.image_id, record.external_image_id)
        if row is None:
            row = IndexRecordRow(
                collection_pk=cpk,
                image_id=record.image_id,
                external_image_id=_to_db_external(record.external_image_id),
            )
            self._s.add(row)
        row.response = dict(record.response)
        row.settings = dict(record.settings)
        row.measurements = [dict(m) for m in record.measurements]
        row.indexed_at = record.indexed_at
        row.face_count = record.face_count
        row.unindexed_count = record.unindexed_count
        row.source_path = record.source_path
        row.source_size = record.source_size
        row.source_mtime = record.source_mtime
        self._s.flush()

    def list_for_collection(self, collection_id: str) -> list[IndexRecord]:
        cpk = _require_pk(self._s, collection_id)
        rows = self._s.scalars(
            select(IndexRecordRow)
            .where(IndexRecordRow.collection_pk == cpk)
            .order_by(IndexRecordRow.indexed_at, IndexRecordRow.pk)
        )
        return [self._record(collection_id, row) for row in rows]

    def summaries(self, collection_id: str) -> list[ImageSummary]:
        """Every indexed image, oldest first, with the count of its faces still stored."""
        cpk = _require_pk(self._s, collection_id)
        ext = func.coalesce(FaceRow.external_image_id, "")
        counts = {
            (str(row[0]), str(row[1])): int(row[2])
            for row in self._s.execute(
                select(FaceRow.image_id, ext, func.count())
                .where(FaceRow.collection_pk == cpk)
                .group_by(FaceRow.image_id, ext)
            )
        }
        rows = self._s.execute(
            select(
                IndexRecordRow.image_id,
                IndexRecordRow.external_image_id,
                IndexRecordRow.source_path,
                ImageRow.width,
                ImageRow.height,
                IndexRecordRow.unindexed_count,
                IndexRecordRow.indexed_at,
                IndexRecordRow.source_size,
                IndexRecordRow.source_mtime,
            )
            .join(ImageRow, ImageRow.image_id == IndexRecordRow.image_id)
            .where(IndexRecordRow.collection_pk == cpk)
            .order_by(IndexRecordRow.indexed_at, IndexRecordRow.pk)
        )
        return [
            ImageSummary(
                image_id=r.image_id,
                external_image_id=_from_db_external(r.external_image_id),
                source_path=r.source_path,
                width=r.width,
                height=r.height,
                face_count=counts.get((r.image_id, r.external_image_id), 0),
                unindexed_count=r.unindexed_count,
                indexed_at=r.indexed_at,
                source_size=r.source_size,
                source_mtime=r.source_mtime,
            )
            for r in rows
        ]

    def summary_order(self, collection_id: str, sort: str) -> list[int]:
        """Record ids of every indexed image in display order, for ``summaries_by_ids``.

        ``sort``: "name" (ExternalImageId, else the ImageId's first 8 characters, any case,
        ascending), "date" (newest indexed first) or "faces" (most faces still stored first);
        ties keep record order. Only the sort key is read, so this is cheap at 20k images
        (except "date", whose column sits behind the stored responses).
        """
        cpk = _require_pk(self._s, collection_id)
        if sort == "name":
            shown = func.coalesce(
                func.nullif(IndexRecordRow.external_image_id, ""),
                func.substr(IndexRecordRow.image_id, 1, 8),
            )
            keys: tuple[Any, ...] = (func.lower(shown),)
        elif sort == "date":
            keys = (IndexRecordRow.indexed_at.desc(),)
        elif sort == "faces":
            keys = (self._face_count().desc(),)
        else:
            raise ValueError(f"unknown sort {sort!r}")
        return list(
            self._s.scalars(
                select(IndexRecordRow.pk)
                .where(IndexRecordRow.collection_pk == cpk)
                .order_by(*keys, IndexRecordRow.pk)
            )
        )

    def summaries_by_ids(self, collection_id: str, ids: Sequence[int]) -> list[ImageSummary]:
        """The images with these record ids, in the order given (ids gone meanwhile are
        skipped)."""
        cpk = _require_pk(self._s, collection_id)
        found: dict[int, ImageSummary] = {}
        for chunk in _chunks(list(ids)):
            stmt = self._summary_select().where(
                IndexRecordRow.collection_pk == cpk, IndexRecordRow.pk.in_(chunk)
            )
            found.update((int(row.pk), self._summary(row)) for row in self._s.execute(stmt))
        return [found[i] for i in ids if i in found]

    def summary(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> ImageSummary | None:
        cpk = _require_pk(self._s, collection_id)
        row = self._s.execute(
            self._summary_select().where(
                IndexRecordRow.collection_pk == cpk,
                IndexRecordRow.image_id == image_id,
                IndexRecordRow.external_image_id == _to_db_external(external_image_id),
            )
        ).one_or_none()
        return None if row is None else self._summary(row)

    @staticmethod
    def _face_count() -> Any:
        """The faces still stored for the index record of the enclosing query."""
        return (
            select(func.count())
            .where(
                FaceRow.collection_pk == IndexRecordRow.collection_pk,
                FaceRow.image_id == IndexRecordRow.image_id,
                func.coalesce(FaceRow.external_image_id, "") == IndexRecordRow.external_image_id,
            )
            .correlate(IndexRecordRow)
            .scalar_subquery()
        )

    @classmethod
    def _summary_select(cls) -> Any:
        return select(
            IndexRecordRow.pk,
            IndexRecordRow.image_id,
            IndexRecordRow.external_image_id,
            IndexRecordRow.source_path,
            ImageRow.width,
            ImageRow.height,
            cls._face_count(),
            IndexRecordRow.unindexed_count,
            IndexRecordRow.indexed_at,
            IndexRecordRow.source_size,
            IndexRecordRow.source_mtime,
        ).join(ImageRow, ImageRow.image_id == IndexRecordRow.image_id)

    @staticmethod
    def _summary(row: Any) -> ImageSummary:
        _pk, image_id, ext, path, width, height, faces, unindexed, at, size, mtime = row
        return ImageSummary(
            image_id=image_id,
            external_image_id=_from_db_external(ext),
            source_path=path,
            width=width,
            height=height,
            face_count=int(faces),
            unindexed_count=unindexed,
            indexed_at=at,
            source_size=size,
            source_mtime=mtime,
        )

    def find_by_source(self, collection_id: str, source_path: str) -> IndexRecord | None:
        """The latest record indexed from ``source_path``."""
        cpk = _require_pk(self._s, collection_id)
        row = self._s.scalars(
            select(IndexRecordRow)
            .where(IndexRecordRow.collection_pk == cpk, IndexRecordRow.source_path == source_path)
            .order_by(IndexRecordRow.indexed_at.desc(), IndexRecordRow.pk.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else self._record(collection_id, row)

    def delete_for_image(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> bool:
        cpk = _require_pk(self._s, collection_id)
        result = self._s.execute(
            delete(IndexRecordRow).where(
                IndexRecordRow.collection_pk == cpk,
                IndexRecordRow.image_id == image_id,
                IndexRecordRow.external_image_id == _to_db_external(external_image_id),
            )
        )
        return bool(getattr(result, "rowcount", 0))


class UserRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def _select(self, cpk: int) -> Any:
        faces = (
            select(func.count())
            .where(FaceRow.user_pk == UserRow.pk)
            .correlate(UserRow)
            .scalar_subquery()
        )
        stmt = select(
            UserRow.pk,
            UserRow.user_id,
            UserRow.status,
            UserRow.created_at,
            faces,
            UserRow.display_name,
            UserRow.hidden,
            UserRow.cover_face_id,
        ).where(UserRow.collection_pk == cpk)
        return stmt

    @staticmethod
    def _info(collection_id: str, row: Any) -> UserInfo:
        return UserInfo(
            collection_id=collection_id,
            user_id=row[1],
            status=row[2],
            face_count=int(row[4]),
            created_at=row[3],
            display_name=row[5],
            hidden=bool(row[6]),
            cover_face_id=row[7],
        )

    def add(self, info: UserInfo) -> None:
        cpk = _require_pk(self._s, info.collection_id)
        exists = self._s.scalar(
            select(UserRow.pk).where(UserRow.collection_pk == cpk, UserRow.user_id == info.user_id)
        )
        if exists is not None:
            raise ConflictException(f"The user id: {info.user_id} already exists.")
        self._s.add(
            UserRow(
                collection_pk=cpk,
                user_id=info.user_id,
                status=info.status,
                created_at=info.created_at or _now(),
                display_name=info.display_name,
                hidden=info.hidden,
                cover_face_id=info.cover_face_id,
            )
        )
        self._s.flush()

    def get(self, collection_id: str, user_id: str) -> UserInfo | None:
        cpk = _require_pk(self._s, collection_id)
        row = self._s.execute(self._select(cpk).where(UserRow.user_id == user_id)).one_or_none()
        return None if row is None else self._info(collection_id, row)

    def set_status(self, collection_id: str, user_id: str, status: str) -> bool:
        cpk = _require_pk(self._s, collection_id)
        result = self._s.execute(
            update(UserRow)
            .where(UserRow.collection_pk == cpk, UserRow.user_id == user_id)
            .values(status=status)
        )
        return bool(getattr(result, "rowcount", 0))

    def delete(self, collection_id: str, user_id: str) -> bool:
        """Delete the user; its faces stay, unassociated (ON DELETE SET NULL)."""
        cpk = _require_pk(self._s, collection_id)
        result = self._s.execute(
            delete(UserRow).where(UserRow.collection_pk == cpk, UserRow.user_id == user_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def list_page_by_position(
        self, collection_id: str, after_position: int | None, limit: int
    ) -> list[tuple[int, UserInfo]]:
        """Users in creation order as (position, info); a position stays valid after deletes."""
        cpk = _require_pk(self._s, collection_id)
        stmt = self._select(cpk).order_by(UserRow.pk).limit(limit)
        if after_position is not None:
            stmt = stmt.where(UserRow.pk > after_position)
        return [(int(row[0]), self._info(collection_id, row)) for row in self._s.execute(stmt)]

    def list_page(
        self, collection_id: str, after_user_id: str | None, limit: int
    ) -> list[UserInfo]:
        """Users in creation order after ``after_user_id`` (which must still exist)."""
        cpk = _require_pk(self._s, collection_id)
        after: int | None = None
        if after_user_id is not None:
            after = self._s.scalar(
                select(UserRow.pk).where(
                    UserRow.collection_pk == cpk, UserRow.user_id == after_user_id
                )
            )
            if after is None:
                raise InvalidPaginationTokenException()
        return [info for _, info in self.list_page_by_position(collection_id, after, limit)]

    def face_ids(self, collection_id: str, user_id: str) -> list[str]:
        cpk = _require_pk(self._s, collection_id)
        return list(
            self._s.scalars(
                select(FaceRow.face_id)
                .join(UserRow, UserRow.pk == FaceRow.user_pk)
                .where(UserRow.collection_pk == cpk, UserRow.user_id == user_id)
                .order_by(FaceRow.face_id)
            )
        )

    def count(self, collection_id: str) -> int:
        cpk = _require_pk(self._s, collection_id)
        return int(self._s.scalar(select(func.count()).where(UserRow.collection_pk == cpk)) or 0)


class TokenRepository:
    """ClientRequestToken memory: the same token with the same parameters replays the response."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def get(
        self, collection_id: str, operation: str, token: str
    ) -> tuple[str, dict[str, Any]] | None:
        cpk = _require_pk(self._s, collection_id)
        row = self._s.get(RequestTokenRow, (cpk, operation, token))
        return None if row is None else (row.params_hash, row.response)

    def put(
        self,
        collection_id: str,
        operation: str,
        token: str,
        params_hash: str,
        response: Mapping[str, Any],
    ) -> None:
        cpk = _require_pk(self._s, collection_id)
        self._s.merge(
            RequestTokenRow(
                collection_pk=cpk,
                operation=operation,
                token=token,
                params_hash=params_hash,
                response=dict(response),
                created_at=_now(),
            )
        )
        self._s.flush()

    def purge(self, before: datetime) -> int:
        """Forget tokens older than ``before``; returns how many."""
        result = self._s.execute(delete(RequestTokenRow).where(RequestTokenRow.created_at < before))
        return int(getattr(result, "rowcount", 0))
