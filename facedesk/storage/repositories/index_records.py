"""Images (shared by every collection) and one collection's index records."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from facedesk.core.types import ImageInfo, IndexRecord
from facedesk.storage.claims import lock_image_for_write
from facedesk.storage.orm import ImageRow, IndexRecordRow
from facedesk.storage.repositories.common import (
    CollectionRef,
    from_db_external,
    insert_ignoring_duplicates,
    to_db_external,
)


class ImageRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def upsert(self, info: ImageInfo) -> None:
        # ImageId is a function of the bytes, so a row already there (another process may
        # have written it a moment ago) holds the same values: keep it.
        self._s.execute(
            insert_ignoring_duplicates(self._s, ImageRow).values(
                image_id=info.image_id,
                sha256=info.sha256,
                byte_size=info.byte_size,
                width=info.width,
                height=info.height,
                format=info.format,
            )
        )

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


class IndexRecordRepository:
    """What IndexFaces answered for each image of one collection."""

    def __init__(self, session: Session, ref: CollectionRef) -> None:
        self._s = session
        self._cid = ref.collection_id
        self._pk = ref.pk

    def _record(self, row: IndexRecordRow) -> IndexRecord:
        return IndexRecord(
            collection_id=self._cid,
            image_id=row.image_id,
            external_image_id=from_db_external(row.external_image_id),
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

    def _row(self, image_id: str, external_image_id: str | None) -> IndexRecordRow | None:
        return self._s.scalars(
            select(IndexRecordRow).where(
                IndexRecordRow.collection_pk == self._pk,
                IndexRecordRow.image_id == image_id,
                IndexRecordRow.external_image_id == to_db_external(external_image_id),
            )
        ).one_or_none()

    def lock_for_write(self, image_id: str, external_image_id: str | None) -> None:
        """Hold off other writers of this image until the transaction ends (PostgreSQL;
        SQLite's BEGIN IMMEDIATE already serialises writers)."""
        lock_image_for_write(self._s, self._pk, image_id, external_image_id)

    def get(self, image_id: str, external_image_id: str | None) -> IndexRecord | None:
        row = self._row(image_id, external_image_id)
        return None if row is None else self._record(row)

    def add(self, record: IndexRecord) -> None:
        """Store the record, replacing any earlier one for the same (image, ExternalImageId)."""
        if record.collection_id != self._cid:
            raise ValueError(f"a record of {record.collection_id} added to {self._cid}")
        row = self._row(record.image_id, record.external_image_id)
        if row is None:
            row = IndexRecordRow(
                collection_pk=self._pk,
                image_id=record.image_id,
                external_image_id=to_db_external(record.external_image_id),
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

    def list_all(self) -> list[IndexRecord]:
        rows = self._s.scalars(
            select(IndexRecordRow)
            .where(IndexRecordRow.collection_pk == self._pk)
            .order_by(IndexRecordRow.indexed_at, IndexRecordRow.pk)
        )
        return [self._record(row) for row in rows]

    def find_by_source(self, source_path: str) -> IndexRecord | None:
        """The latest record indexed from ``source_path``."""
        row = self._s.scalars(
            select(IndexRecordRow)
            .where(
                IndexRecordRow.collection_pk == self._pk,
                IndexRecordRow.source_path == source_path,
            )
            .order_by(IndexRecordRow.indexed_at.desc(), IndexRecordRow.pk.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else self._record(row)

    def delete_for_image(self, image_id: str, external_image_id: str | None) -> bool:
        result = self._s.execute(
            delete(IndexRecordRow).where(
                IndexRecordRow.collection_pk == self._pk,
                IndexRecordRow.image_id == image_id,
                IndexRecordRow.external_image_id == to_db_external(external_image_id),
            )
        )
        return bool(getattr(result, "rowcount", 0))
