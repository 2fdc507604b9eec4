"""The read side of one collection: the face grid, the photo summaries and the counts.

These queries shape rows for screens (and the API's paging) rather than load an aggregate:
kept apart from the repositories that write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from facedesk.core.sorting import natural_key
from facedesk.core.types import ImageSummary, StoredFace
from facedesk.storage.orm import FaceRow, ImageRow, IndexRecordRow, UserRow
from facedesk.storage.repositories.common import (
    CollectionRef,
    chunks,
    from_db_external,
    to_db_external,
)
from facedesk.storage.repositories.faces import face_from_row, select_faces


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


def _summary_select() -> Any:
    return select(
        IndexRecordRow.pk,
        IndexRecordRow.image_id,
        IndexRecordRow.external_image_id,
        IndexRecordRow.source_path,
        ImageRow.width,
        ImageRow.height,
        _face_count(),
        IndexRecordRow.unindexed_count,
        IndexRecordRow.indexed_at,
        IndexRecordRow.source_size,
        IndexRecordRow.source_mtime,
    ).join(ImageRow, ImageRow.image_id == IndexRecordRow.image_id)


def _summary(row: Any) -> ImageSummary:
    """The one way an ImageSummary is built, from a row of ``_summary_select``."""
    _pk, image_id, ext, path, width, height, faces, unindexed, at, size, mtime = row
    return ImageSummary(
        image_id=image_id,
        external_image_id=from_db_external(ext),
        source_path=path,
        width=width,
        height=height,
        face_count=int(faces),
        unindexed_count=unindexed,
        indexed_at=at,
        source_size=size,
        source_mtime=mtime,
    )


class CollectionQueries:
    """Grids, summaries and counts of one collection."""

    def __init__(self, session: Session, ref: CollectionRef) -> None:
        self._s = session
        self._cid = ref.collection_id
        self._pk = ref.pk

    def face_count(self) -> int:
        mine = FaceRow.collection_pk == self._pk
        return int(self._s.scalar(select(func.count()).where(mine)) or 0)

    def user_count(self) -> int:
        mine = UserRow.collection_pk == self._pk
        return int(self._s.scalar(select(func.count()).where(mine)) or 0)

    def _grid_filtered(
        self, stmt: Any, user_id: str | None, external_id_contains: str | None
    ) -> Any | None:
        """``stmt`` narrowed to one person and/or an ExternalImageId substring; None when
        the person does not exist (nothing can match)."""
        if user_id is not None:
            user_pk = self._s.scalar(
                select(UserRow.pk).where(
                    UserRow.collection_pk == self._pk, UserRow.user_id == user_id
                )
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
        after: FaceGridKey | None,
        limit: int,
        *,
        user_id: str | None = None,
        external_id_contains: str | None = None,
    ) -> tuple[list[StoredFace], FaceGridKey | None]:
        """Up to ``limit`` faces after ``after`` in grid order (see FaceGridKey), without
        embeddings, and the cursor of the next page (None after the last face)."""
        columns = _grid_columns()
        stmt = self._grid_filtered(
            select_faces(self._pk, with_embeddings=False).add_columns(columns[1], columns[2]),
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
        faces = [face_from_row(self._cid, row, with_embedding=False) for row in rows]
        if not more:
            return faces, None
        last = rows[-1]
        return faces, FaceGridKey(last.image_id, last[-2], float(last[-1]), last.face_id)

    def grid_count(
        self, *, user_id: str | None = None, external_id_contains: str | None = None
    ) -> int:
        """How many faces ``grid_page`` walks through with these filters."""
        stmt = self._grid_filtered(
            select(func.count()).select_from(FaceRow).where(FaceRow.collection_pk == self._pk),
            user_id,
            external_id_contains,
        )
        return 0 if stmt is None else int(self._s.scalar(stmt) or 0)

    def summaries(self) -> list[ImageSummary]:
        """Every indexed image, oldest first, with the count of its faces still stored."""
        stmt = (
            _summary_select()
            .where(IndexRecordRow.collection_pk == self._pk)
            .order_by(IndexRecordRow.indexed_at, IndexRecordRow.pk)
        )
        return [_summary(row) for row in self._s.execute(stmt)]

    def summary_order(self, sort: str) -> list[int]:
        """Record ids of every indexed image in display order, for ``summaries_by_ids``.

        ``sort``: "name" (ExternalImageId, else the ImageId's first 8 characters, in natural
        order: digits as numbers, any case), "date" (newest indexed first) or "faces" (most
        faces still stored first); ties keep record order. Only the sort key is read, so this
        is cheap at 20k images (except "date", whose column sits behind the stored responses).
        """
        mine = IndexRecordRow.collection_pk == self._pk
        if sort == "name":
            # Natural order ("img2" before "img12") has no portable SQL form: read the names
            # (a few MB at 20k photos) and sort them here with the same key the app uses.
            shown = func.coalesce(
                func.nullif(IndexRecordRow.external_image_id, ""),
                func.substr(IndexRecordRow.image_id, 1, 8),
            )
            named = self._s.execute(
                select(IndexRecordRow.pk, shown).where(mine).order_by(IndexRecordRow.pk)
            ).all()
            return [pk for pk, _ in sorted(named, key=lambda row: natural_key(row[1]))]
        if sort == "date":
            keys: tuple[Any, ...] = (IndexRecordRow.indexed_at.desc(),)
        elif sort == "faces":
            keys = (_face_count().desc(),)
        else:
            raise ValueError(f"unknown sort {sort!r}")
        return list(
            self._s.scalars(
                select(IndexRecordRow.pk).where(mine).order_by(*keys, IndexRecordRow.pk)
            )
        )

    def summaries_by_ids(self, ids: Sequence[int]) -> list[ImageSummary]:
        """The images with these record ids, in the order given (ids gone meanwhile are
        skipped)."""
        found: dict[int, ImageSummary] = {}
        for chunk in chunks(list(ids)):
            stmt = _summary_select().where(
                IndexRecordRow.collection_pk == self._pk, IndexRecordRow.pk.in_(chunk)
            )
            found.update((int(row.pk), _summary(row)) for row in self._s.execute(stmt))
        return [found[i] for i in ids if i in found]

    def summary(self, image_id: str, external_image_id: str | None) -> ImageSummary | None:
        row = self._s.execute(
            _summary_select().where(
                IndexRecordRow.collection_pk == self._pk,
                IndexRecordRow.image_id == image_id,
                IndexRecordRow.external_image_id == to_db_external(external_image_id),
            )
        ).one_or_none()
        return None if row is None else _summary(row)
