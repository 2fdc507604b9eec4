"""App-level queries beyond Rekognition: photos, index records, thumbnails, batches."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.core.types import ImageSummary, IndexRecord, StoredFace
from facedesk.service.context import ServiceContext
from facedesk.service.indexing import IndexOptions, iter_index_files


class Library:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    @property
    def database_path(self) -> str:
        return self._ctx.database_url

    def list_images(self, collection_id: str) -> list[ImageSummary]:
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            uow.collections.ensure(collection_id)
            return uow.index_records.summaries(collection_id)

    def index_record(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> IndexRecord | None:
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.index_records.get(collection_id, image_id, external_image_id)

    def faces(self, collection_id: str) -> list[StoredFace]:
        """All faces, photo by photo, without their descriptors (the grid needs none)."""
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            uow.collections.ensure(collection_id)
            faces = uow.faces.list_page(collection_id, None, 1 << 62, with_embeddings=False)
        # Photo by photo, largest face first: neighbours in the grid come from one picture.
        faces.sort(key=lambda f: (f.external_image_id or "", f.image_id, -f.bounding_box.area))
        return faces

    def face_thumbnail(self, collection_id: str, face_id: str) -> bytes | None:
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.faces.thumbnail(collection_id, face_id)

    def iter_index_files(
        self,
        collection_id: str,
        paths: Sequence[str | os.PathLike[str]],
        options: IndexOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ProgressEvent]:
        return iter_index_files(self._ctx, collection_id, paths, options or IndexOptions(), cancel)
