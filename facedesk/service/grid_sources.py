"""What the app's two grids read, page by page: a collection's faces and its photos.

Qt-free and safe on pool threads (the Library opens a Session per call). The GUI's list
models run these on their own pools and show what they return; nothing here holds a
whole collection.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from facedesk.core.progress import CancelToken
from facedesk.core.types import ImageSummary, StoredFace

if TYPE_CHECKING:
    from facedesk.service.library import FaceCursor, Library

FACE_PAGE = 512  # faces per page of the face grid
PREFETCH_LIMIT = 4 * FACE_PAGE  # thumbnails kept ahead of painting (~2 KB each)
FIRST_PHOTOS = 200  # a few screens of tiles: the first photo query stays short
PHOTO_PAGE = 1000  # photos per query while the rest streams in


@dataclass(frozen=True)
class FaceQuery:
    """Which faces the grid shows: everyone, or one person, and/or an ExternalImageId part."""

    user_id: str | None = None
    name_contains: str = ""

    @property
    def filtered(self) -> bool:
        return self.user_id is not None or bool(self.name_contains)


@dataclass(frozen=True)
class FaceListing:
    """A query's first page and its counts, made on a pool thread."""

    query: FaceQuery
    faces: list[StoredFace]
    cursor: FaceCursor | None  # the next page; None when ``faces`` is everything
    count: int  # faces matching the query
    total: int  # faces in the collection


class FaceSource:
    """One collection's faces through the Library."""

    def __init__(self, library: Library, collection_id: str) -> None:
        self.library = library
        self.collection_id = collection_id
        # Each page's thumbnails, read with the page in one query: one query per thumbnail
        # (~1 ms of Python each) made a scrolled-to page wait ~110 ms for its pictures.
        # Taken out when their tile is first painted; the oldest are forgotten.
        self._prefetched: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def page(
        self, query: FaceQuery, after: FaceCursor | None, limit: int = FACE_PAGE
    ) -> tuple[list[StoredFace], FaceCursor | None]:
        faces, cursor = self.library.faces_page(
            self.collection_id,
            after,
            limit,
            user_id=query.user_id,
            name_contains=query.name_contains or None,
        )
        thumbs = self.library.face_thumbnails(self.collection_id, [f.face_id for f in faces])
        with self._lock:
            self._prefetched.update(thumbs)
            while len(self._prefetched) > PREFETCH_LIMIT:
                self._prefetched.popitem(last=False)
        return faces, cursor

    def listing(self, query: FaceQuery, limit: int = FACE_PAGE) -> FaceListing:
        faces, cursor = self.page(query, None, limit)
        total = self.library.face_count(self.collection_id)
        if not query.filtered:
            count = total
        elif cursor is None:
            count = len(faces)
        else:
            count = self.library.face_count(
                self.collection_id,
                user_id=query.user_id,
                name_contains=query.name_contains or None,
            )
        return FaceListing(query, faces, cursor, count, total)

    def thumbnail(self, face_id: str) -> bytes | None:
        with self._lock:
            data = self._prefetched.pop(face_id, None)
        if data is not None:
            return data
        return self.library.face_thumbnail(self.collection_id, face_id)

    def source_path(self, image_id: str, external_image_id: str | None) -> str | None:
        summary = self.library.image_summary(self.collection_id, image_id, external_image_id)
        return summary.source_path if summary is not None else None


@dataclass(frozen=True)
class PhotoListing:
    """The first page of photos in one order, and the ids of the rest (made off the UI
    thread)."""

    sort: str
    items: list[ImageSummary]
    rest: list[int]  # ids for Library.images_by_id, in display order


class PhotoSource:
    """One collection's photos through the Library."""

    def __init__(self, library: Library, collection_id: str) -> None:
        self.library = library
        self.collection_id = collection_id

    def listing(self, sort: str) -> PhotoListing:
        ids = self.library.image_order(self.collection_id, sort)
        items = self.library.images_by_id(self.collection_id, ids[:FIRST_PHOTOS])
        return PhotoListing(sort, items, ids[FIRST_PHOTOS:])

    def pages(self, ids: list[int], cancel: CancelToken) -> Iterator[list[ImageSummary]]:
        for start in range(0, len(ids), PHOTO_PAGE):
            if cancel.cancelled:
                return
            yield self.library.images_by_id(self.collection_id, ids[start : start + PHOTO_PAGE])
