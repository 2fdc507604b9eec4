"""Browsing: the collections, the selected one's photo and face grids, a photo, deletes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from facedesk.core.types import CollectionInfo
from facedesk.qt.controller_base import ControllerBase
from facedesk.qt.documents import PhotoDocument, overlays
from facedesk.qt.models.face_list_model import FaceListing, FaceQuery, FaceSource
from facedesk.qt.models.photo_list_model import PhotoListing, PhotoSource
from facedesk.qt.workers.runner import TaskRunner
from facedesk.service.library_ops import FaceDeletion
from facedesk.service.people_listing import first_collections


class BrowseController(ControllerBase):
    # The view shown, loaded before the grids: ``first_load(cid, then)`` starts its load and
    # calls ``then`` (the grids' load) when it is in; it returns False when it has nothing
    # to load first. Set by the window (the People view: people_wiring.py).
    first_load: Callable[[str, Callable[[], None]], bool] | None = None

    # -- collections ---------------------------------------------------------------------
    def refresh_collections(self, select: str | None = None) -> TaskRunner:
        lib = self.library

        def load() -> list[CollectionInfo]:
            # counts and names, one query; at start without SQLAlchemy (people_quick.py)
            quick = first_collections(lib.context)
            return lib.collections() if quick is None else quick

        def done(items: list[CollectionInfo]) -> None:
            self.collections.set_collections(items)
            self.collections_changed.emit()
            ids = [c.collection_id for c in items]
            if select is not None and select in ids:
                self.select_collection(select)
            elif self.current_collection not in ids:
                self.select_collection(ids[0] if ids else "")

        return self._run(load, done=done, failed_title="Could not list collections")

    def create_collection(
        self,
        collection_id: str,
        then: Callable[[], None] | None = None,
        model_version: str | None = None,
    ) -> None:
        def done(_info: CollectionInfo) -> None:
            self.status_posted.emit(f"Created collection “{collection_id}”")
            self.refresh_collections(select=collection_id)
            if then is not None:
                then()

        self._run(
            lambda: self.library.create_collection(
                collection_id=collection_id, model_version=model_version
            ),
            done=done,
            failed_title="Could not create the collection",
        )

    def create_named_collection(self, display_name: str, model_version: str | None = None) -> None:
        """A collection called ``display_name``; its CollectionId is made from the name."""

        def done(info: CollectionInfo) -> None:
            self.status_posted.emit(
                f"Created collection “{info.shown_name}” (CollectionId {info.collection_id})"
            )
            self.refresh_collections(select=info.collection_id)

        self._run(
            lambda: self.library.create_collection(display_name, model_version=model_version),
            done=done,
            failed_title="Could not create the collection",
        )

    def rename_collection(self, collection_id: str, display_name: str) -> None:
        self._run(
            self.library.rename_collection,
            collection_id,
            display_name,
            done=lambda _none: self._refresh_collections(),
            failed_title="Could not rename the collection",
        )

    def _refresh_collections(self) -> None:
        self.refresh_collections()

    def delete_collection(self, collection_id: str) -> None:
        def done(_none: None) -> None:
            self.status_posted.emit(f"Deleted collection “{collection_id}”")
            if self.current_collection == collection_id:
                self.current_collection = ""
            self.refresh_collections()

        self._run(
            self.library.delete_collection,
            collection_id,
            done=done,
            failed_title="Could not delete the collection",
        )

    def select_collection(self, collection_id: str) -> None:
        if collection_id == self.current_collection and collection_id:
            return
        self.current_collection = collection_id
        self.live.clear()
        self.thumbnails.clear()
        self.collection_selected.emit(collection_id)
        # Photos, faces and the view shown share the pool and the database: the view the
        # user looks at goes first, the grids after it.
        first = self.first_load
        then = lambda: self._grids_after(collection_id)  # noqa: E731
        if collection_id and first is not None and first(collection_id, then):
            return
        self.reload_collection()

    def _grids_after(self, collection_id: str) -> None:
        if collection_id == self.current_collection:  # else its own selection reloads
            self.reload_collection()

    def reload_collection(self, faces: bool = True) -> None:
        """Show the first page of faces and of photos; the photo list streams the rest in.

        Nothing lists the whole collection before the window shows it: at 100k faces the
        first pages and counts take a few tens of milliseconds. ``faces=False`` keeps the
        face grid as it is (its rows are still right) and reloads the photos."""
        cid = self.current_collection
        if not cid:
            self._faces_load.cancel()
            self._photos_load.cancel()
            self._people_load.cancel()
            self.photos.clear()
            self.faces.clear()
            self.people.set_people([])
            self.collection_loaded.emit("")
            return
        lib, sort = self.library, self.photos.sort_key
        source, photo_source = FaceSource(lib, cid), PhotoSource(lib, cid)
        query = self.faces.query
        same_collection = self.faces.collection_id == cid
        if not same_collection:  # people belong to one collection; the text filter stays
            query = FaceQuery(name_contains=query.name_contains)

        # Two tasks, one per grid: each shows its first page as soon as it has it (the
        # photo order sorts every photo in SQLite, which releases the GIL meanwhile).
        # collection_loaded follows when both are in; people are listed after that, off
        # the critical path. Each grid's slot drops an older reload's pages.
        waiting = {"faces"} if faces else set()
        waiting.add("photos")

        def arrived(part: str) -> None:
            waiting.discard(part)
            if not waiting:
                self.collection_loaded.emit(cid)
                self.refresh_people()

        def faces_done(listing: FaceListing) -> None:
            wanted = self.faces.query
            self.faces.show_listing(source, listing)
            if same_collection and wanted != listing.query:
                self.faces.set_query(wanted)  # the filter changed while this loaded
            arrived("faces")

        def photos_done(listing: PhotoListing) -> None:
            self.photos.show_listing(photo_source, listing)
            arrived("photos")

        if faces:
            self._run(
                source.listing,
                query,
                done=faces_done,
                failed_title="Could not load faces",
                slot=self._faces_load,
            )
        self._run(
            photo_source.listing,
            sort,
            done=photos_done,
            failed_title="Could not load the collection",
            slot=self._photos_load,
        )

    def refresh_people(self) -> None:
        """Overridden by the controller, which lists the people."""

    # -- photos and faces ----------------------------------------------------------------
    def open_photo(self, image_id: str, external_image_id: str | None = None) -> None:
        known = self.photos.find(image_id, external_image_id)
        cid, lib = self.current_collection, self.library

        def load() -> PhotoDocument | None:
            # A photo the list has not streamed in yet (a face or match opened early).
            summary = known or lib.image_summary(cid, image_id, external_image_id)
            if summary is None:
                return None
            record = lib.index_record(cid, summary.image_id, summary.external_image_id)
            return PhotoDocument(cid, summary, record, overlays(record))

        def done(doc: PhotoDocument | None) -> None:
            if doc is None:
                self.status_posted.emit("That photo is not in this collection any more")
            else:
                self.photo_opened.emit(doc)

        self._run(load, done=done, failed_title="Could not open the photo")

    def open_photo_of_face(self, face_id: str) -> None:
        face = self.faces.face(face_id)
        if face is not None:
            self.open_photo(face.image_id, face.external_image_id)

    def faces_edited(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> None:
        """A photo's faces changed by hand: show it again, and the grids and counts."""
        if collection_id != self.current_collection:
            return
        self.open_photo(image_id, external_image_id)
        self.reload_collection()
        self.refresh_collections()

    def delete_faces(self, face_ids: Sequence[str]) -> None:
        cid = self.current_collection

        def done(result: FaceDeletion) -> None:
            self.status_posted.emit(_deleted_message(len(result.deleted), result.refused))
            if cid == self.current_collection:
                # The grid keeps its place (the next pages do not depend on these rows);
                # the photos' face counts changed, so the photo list reloads.
                self.faces.remove_faces(result.deleted)
                self.reload_collection(faces=False)
            self.faces_deleted.emit(result.deleted)
            self.refresh_collections()

        self._run(
            self.library.delete_faces,
            cid,
            list(face_ids),
            done=done,
            failed_title="Could not delete faces",
        )


def _deleted_message(n: int, refused: list[dict[str, Any]]) -> str:
    """Say what was deleted and why anything was not (Rekognition keeps a person's faces)."""
    text = f"Deleted {n} face{'s' if n != 1 else ''}"
    named = sum("ASSOCIATED_TO_AN_EXISTING_USER" in r.get("Reasons", []) for r in refused)
    if named:
        text += (
            f"; {named} belong{'s' if named == 1 else ''} to a person and"
            f" {'was' if named == 1 else 'were'} kept: take them out of the person first"
        )
    gone = len(refused) - named
    if gone:
        text += f"; {gone} no longer existed"
    return text
