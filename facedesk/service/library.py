"""App-level queries beyond Rekognition: photos, index records, thumbnails, batches.

The grids page through storage so that a view shows its first rows after one short query,
whatever the size of the collection: faces with a keyset cursor (``faces_page``), photos
through their ids in display order (``image_order`` then ``images_by_id``). ``faces`` and
``list_images`` return everything, for callers that want all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeAlias

from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.core.types import ImageSummary, IndexRecord, StoredFace
from facedesk.service.context import ServiceContext
from facedesk.service.indexing import IndexOptions, iter_index_files

if TYPE_CHECKING:  # storage pulls in SQLAlchemy: load it when a query runs, not on import
    from facedesk.storage.repositories import FaceGridKey

# Opaque to callers: hand back what the previous page returned.
FaceCursor: TypeAlias = "FaceGridKey"

FACE_PAGE = 512


class Library:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    @property
    def database_path(self) -> str:
        return self._ctx.database_url

    # -- photos --------------------------------------------------------------------------
    def list_images(self, collection_id: str) -> list[ImageSummary]:
        """Every indexed image, oldest first, with the count of its faces still stored."""
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            uow.collections.ensure(collection_id)
            return uow.index_records.summaries(collection_id)

    def image_order(self, collection_id: str, sort: str = "name") -> list[int]:
        """Ids of every indexed image in display order: "name" (ExternalImageId, any case),
        "date" (newest first) or "faces" (most faces first). Only the keys are read; hand
        slices of the list to ``images_by_id`` to page through the photos."""
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.index_records.summary_order(collection_id, sort)

    def images_by_id(self, collection_id: str, ids: Sequence[int]) -> list[ImageSummary]:
        """The photos with these ids (from ``image_order``) in that order; ids of photos
        removed since are skipped."""
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.index_records.summaries_by_ids(collection_id, ids)

    def image_summary(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> ImageSummary | None:
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.index_records.summary(collection_id, image_id, external_image_id)

    def index_record(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> IndexRecord | None:
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.index_records.get(collection_id, image_id, external_image_id)

    # -- faces ---------------------------------------------------------------------------
    def faces_page(
        self,
        collection_id: str,
        after: FaceCursor | None = None,
        limit: int = FACE_PAGE,
        *,
        user_id: str | None = None,
        name_contains: str | None = None,
    ) -> tuple[list[StoredFace], FaceCursor | None]:
        """Faces in grid order (photo by photo, largest face first) without descriptors.

        ``user_id`` keeps one person's faces, ``name_contains`` those whose ExternalImageId
        contains the text (any case). The cursor stays valid when faces are deleted or added
        meanwhile: the next page starts after the last face returned, wherever it now is.
        """
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.faces.grid_page(
                collection_id,
                after,
                limit,
                user_id=user_id,
                external_id_contains=name_contains or None,
            )

    def face_count(
        self,
        collection_id: str,
        *,
        user_id: str | None = None,
        name_contains: str | None = None,
    ) -> int:
        """How many faces ``faces_page`` walks through with the same filters."""
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.faces.grid_count(
                collection_id, user_id=user_id, external_id_contains=name_contains or None
            )

    def faces(self, collection_id: str) -> list[StoredFace]:
        """All faces in grid order, without their descriptors (the grid needs none)."""
        out: list[StoredFace] = []
        cursor: FaceCursor | None = None
        while True:
            page, cursor = self.faces_page(collection_id, cursor, 4096)
            out.extend(page)
            if cursor is None:
                return out

    def face_thumbnail(self, collection_id: str, face_id: str) -> bytes | None:
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.faces.thumbnail(collection_id, face_id)

    def face_thumbnails(self, collection_id: str, face_ids: Sequence[str]) -> dict[str, bytes]:
        """Thumbnails of many faces in one query (a grid page's worth)."""
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.faces.thumbnails(collection_id, face_ids)

    # -- collections ---------------------------------------------------------------------
    def create_collection(self, collection_id: str, model_version: str | None = None) -> str:
        """Create a collection on ``model_version`` (default: the newest); its version."""
        from facedesk.service.operations import create_collection

        response = create_collection(self._ctx, {"CollectionId": collection_id}, model_version)
        return str(response["FaceModelVersion"])

    # -- batches -------------------------------------------------------------------------
    def iter_index_files(
        self,
        collection_id: str,
        paths: Sequence[str | os.PathLike[str]],
        options: IndexOptions | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[ProgressEvent]:
        return iter_index_files(self._ctx, collection_id, paths, options or IndexOptions(), cancel)

    def iter_reindex(
        self,
        source_collection: str,
        target_collection: str,
        options: IndexOptions | None = None,
        cancel: CancelToken | None = None,
        model_version: str | None = None,
    ) -> Iterator[ProgressEvent]:
        """Index the source collection's photos again, from their stored paths, into a
        new collection on ``model_version`` (default: the newest); see service.reindex."""
        from facedesk.service.reindex import iter_reindex

        return iter_reindex(
            self._ctx, source_collection, target_collection, options, cancel, model_version
        )
