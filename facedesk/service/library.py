"""The app's one service: collections, people, photos, faces, searches, indexing.

The GUI talks to this typed ``Library`` only; the boto3-shaped client stays for scripts
and the command line. The Rekognition operations the app runs (DeleteFaces,
SearchFaces, ...) go through the same request validation and service functions as the
client's, so their limits and errors are the same (``library_ops``).

The grids page through storage so that a view shows its first rows after one short query,
whatever the size of the collection: faces with a keyset cursor (``faces_page``), photos
through their ids in display order (``image_order`` then ``images_by_id``). ``faces`` and
``list_images`` return everything, for callers that want all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from facedesk.core.errors import InvalidParameterException
from facedesk.core.names import normalise_display_name
from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.core.types import (
    BoundingBox,
    CollectionInfo,
    ImageSummary,
    IndexRecord,
    StoredFace,
    UserInfo,
)
from facedesk.service import face_edits, library_ops
from facedesk.service.context import ServiceContext
from facedesk.service.index_faces import MAX_FACES_PER_IMAGE
from facedesk.service.indexing import IndexOptions, iter_index_files
from facedesk.service.library_ops import FaceDeletion, FaceSearch
from facedesk.service.operations import add_collection

if TYPE_CHECKING:  # storage pulls in SQLAlchemy: load it when a query runs, not on import
    from facedesk.service.people import PeopleGroups
    from facedesk.service.xmp_export import ExportOptions
    from facedesk.service.xmp_import import ImportReceipt
    from facedesk.storage.repositories import FaceGridKey

# Opaque to callers: hand back what the previous page returned.
FaceCursor: TypeAlias = "FaceGridKey"

FACE_PAGE = 512


class Library:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    @property
    def database_path(self) -> str:
        """The library's file or URL, for display: a URL's password is masked."""
        return mask_password(self._ctx.database_url)

    @property
    def context(self) -> ServiceContext:
        """The service context, for the service functions that take it (people groups)."""
        return self._ctx

    @property
    def people(self) -> PeopleGroups:
        """People beyond Rekognition's users: names, groups, suggestions, undo."""
        from facedesk.service.people import PeopleGroups

        return PeopleGroups(self._ctx)

    # -- collections ---------------------------------------------------------------------
    def collections(self) -> list[CollectionInfo]:
        """Every collection with its face and user counts and display name, in one query."""
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            return uow.collections.list_page(None, 1_000_000)

    def create_collection(
        self,
        display_name: str | None = None,
        *,
        collection_id: str | None = None,
        model_version: str | None = None,
    ) -> CollectionInfo:
        """A new collection on ``model_version`` (default: the newest). Named in words, its
        CollectionId is made from the name, readable and unique; or given its id."""
        name = normalise_display_name(display_name or "") or None
        if name is None and not collection_id:
            raise InvalidParameterException("A collection needs a name.")
        return add_collection(self._ctx, collection_id, name, model_version)

    def describe_collection(self, collection_id: str) -> dict[str, Any]:
        """DescribeCollection's response (what "Copy DescribeCollection JSON" copies)."""
        return library_ops.describe_collection(self._ctx, collection_id)

    def delete_collection(self, collection_id: str) -> None:
        library_ops.delete_collection(self._ctx, collection_id)

    def rename_collection(self, collection_id: str, display_name: str) -> None:
        """Show the collection under another name; its CollectionId does not change."""
        name = normalise_display_name(display_name)
        with self._ctx.db.unit_of_work() as uow:
            uow.collections.set_display_name(collection_id, name or None)
            uow.commit()

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

    def fresh_photos(
        self, collection_id: str, photos: Sequence[tuple[str, str | None]]
    ) -> tuple[list[ImageSummary], list[StoredFace]]:
        """Photos just indexed, as (ImageId, ExternalImageId), with their faces in grid
        order: what the app adds to its grids while a batch runs. Photos gone meanwhile
        are left out."""
        from facedesk.storage.repositories import FaceGridKey

        summaries: list[ImageSummary] = []
        faces: list[StoredFace] = []
        with self._ctx.db.unit_of_work(read_only=True) as uow:
            for image_id, external_image_id in photos:
                summary = uow.index_records.summary(collection_id, image_id, external_image_id)
                if summary is None:
                    continue
                summaries.append(summary)
                # the grid page that starts just before this photo's largest face
                before = FaceGridKey(image_id, external_image_id or "", -1e9, "")
                page, _ = uow.faces.grid_page(collection_id, before, MAX_FACES_PER_IMAGE)
                faces.extend(
                    f
                    for f in page
                    if f.image_id == image_id and f.external_image_id == external_image_id
                )
        return summaries, faces

    def delete_faces(self, collection_id: str, face_ids: Sequence[str]) -> FaceDeletion:
        """DeleteFaces on any number of faces (in requests of at most 4096). A person's
        faces are kept, as Rekognition keeps them (``ASSOCIATED_TO_AN_EXISTING_USER``)."""
        return library_ops.delete_faces(self._ctx, collection_id, face_ids)

    # -- search --------------------------------------------------------------------------
    def search_by_image(
        self, collection_id: str, image: bytes, threshold: float, max_faces: int
    ) -> FaceSearch:
        """SearchFacesByImage: the faces most like the largest face in ``image``."""
        return library_ops.search_by_image(self._ctx, collection_id, image, threshold, max_faces)

    def search_by_face(
        self, collection_id: str, face_id: str, threshold: float, max_faces: int
    ) -> FaceSearch:
        """SearchFaces: the collection's faces most like a stored face (itself left out),
        with the stored face's box and photo."""
        return library_ops.search_by_face(self._ctx, collection_id, face_id, threshold, max_faces)

    # -- people --------------------------------------------------------------------------
    def people_with_counts(self, collection_id: str) -> list[UserInfo]:
        """Every person of the collection, in creation order, with their face count and
        name: one grouped query (``PeopleGroups.people`` gives the same list)."""
        from facedesk.storage.library_queries import people_with_counts

        with self._ctx.db.unit_of_work(read_only=True) as uow:
            people = people_with_counts(uow, collection_id)
            if not people:
                uow.collections.ensure(collection_id)  # unknown: ResourceNotFoundException
            return people

    # -- corrections ---------------------------------------------------------------------
    def draw_face(
        self, collection_id: str, image_id: str, external_image_id: str | None, box: BoundingBox
    ) -> dict[str, Any]:
        """Store a face the detector missed, drawn as ``box``; returns its FaceRecord."""
        return face_edits.draw_face(self._ctx, collection_id, image_id, external_image_id, box)

    def remove_drawn_face(
        self, collection_id: str, image_id: str, external_image_id: str | None, face_id: str
    ) -> None:
        face_edits.remove_drawn_face(self._ctx, collection_id, image_id, external_image_id, face_id)

    def not_a_face(
        self,
        collection_id: str,
        image_id: str,
        external_image_id: str | None,
        box: Mapping[str, float],
    ) -> None:
        """Remove a false detection and remember it, so it does not come back."""
        face_edits.not_a_face(self._ctx, collection_id, image_id, external_image_id, dict(box))

    def undo_not_a_face(
        self,
        collection_id: str,
        image_id: str,
        external_image_id: str | None,
        box: Mapping[str, float],
    ) -> None:
        face_edits.undo_not_a_face(self._ctx, collection_id, image_id, external_image_id, dict(box))

    # -- face regions in XMP sidecars (digiKam, Lightroom) --------------------------------
    def iter_export_xmp(
        self, collection_id: str, options: ExportOptions, cancel: CancelToken | None = None
    ) -> Iterator[ProgressEvent]:
        """Write the collection's faces and names beside its photos (service.xmp_export)."""
        from facedesk.service.xmp_export import iter_export_xmp

        return iter_export_xmp(self._ctx, collection_id, (), options, cancel)

    def iter_import_xmp(
        self,
        collection_id: str,
        paths: Sequence[str | os.PathLike[str]],
        receipt: ImportReceipt,
        cancel: CancelToken | None = None,
    ) -> Iterator[ProgressEvent]:
        """Name faces from the regions in photos' XMP; ``receipt`` collects what changed."""
        from facedesk.service.xmp_import import iter_import_xmp

        return iter_import_xmp(self._ctx, collection_id, paths, receipt, cancel)

    def undo_import(self, receipt: ImportReceipt) -> dict[str, int]:
        from facedesk.service.xmp_import import undo_import

        return undo_import(self._ctx, receipt)

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


def _password_at(url: str) -> tuple[str, str, str] | None:
    """(scheme, user, "@host...") of a URL that holds a password; None if it holds none."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    at = rest.split("?", 1)[0].rfind("@")  # the host starts after the last '@'
    if at < 0 or ":" not in rest[:at]:
        return None
    return scheme, rest[:at].split(":", 1)[0], rest[at:]


def mask_password(url: str) -> str:
    """``postgresql+psycopg://me:secret@host/db`` -> ``postgresql+psycopg://me:***@host/db``."""
    parts = _password_at(url)
    return url if parts is None else f"{parts[0]}://{parts[1]}:***{parts[2]}"


def forget_password(url: str) -> str:
    """``postgresql+psycopg://me:secret@host/db`` -> ``postgresql+psycopg://me@host/db``: what
    the app may write to its settings (the password belongs in ~/.pgpass)."""
    parts = _password_at(url)
    return url if parts is None else f"{parts[0]}://{parts[1]}{parts[2]}"
