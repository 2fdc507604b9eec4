"""Turns user intents into service calls on the thread pool and pushes results into models.

Every service call runs through ``TaskRunner`` (the client opens one Session per operation
and keeps dlib models per thread, so pool threads may call it). Widgets never call the
client; they call controller methods and listen to its past-tense signals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.core.types import CollectionInfo, UserInfo
from facedesk.qt.documents import PhotoDocument, SearchDocument, overlays
from facedesk.qt.live_results import LiveResults
from facedesk.qt.models.collection_list_model import CollectionListModel
from facedesk.qt.models.face_list_model import FaceListing, FaceListModel, FaceQuery, FaceSource
from facedesk.qt.models.file_result_model import FileResultModel, eta_seconds, summary_text
from facedesk.qt.models.match_list_model import MatchItem, MatchListModel
from facedesk.qt.models.person_list_model import PersonListModel
from facedesk.qt.models.photo_list_model import PhotoListing, PhotoListModel, PhotoSource
from facedesk.qt.workers.runner import ErrorInfo, TaskRunner
from facedesk.qt.workers.thumbnails import ThumbnailLoader

DEFAULT_COLLECTION = "photos"


@dataclass(frozen=True)
class IndexingProgress:
    done: int
    total: int | None
    item: str | None
    eta_s: float | None
    elapsed_s: float


@dataclass(frozen=True)
class IndexingOutcome:
    collection_id: str
    cancelled: bool
    totals: dict[str, int]
    elapsed_s: float


def _paginate(client: Any, operation: str, key: str, **kw: Any) -> Iterator[Any]:
    """Every item of a List* operation, through the client's boto3-style paginator."""
    for page in client.get_paginator(operation).paginate(**kw):
        yield from page.get(key, [])


class MainController(QObject):
    collections_changed = Signal()
    collection_selected = Signal(str)  # "" when none
    collection_loaded = Signal(str)
    photo_opened = Signal(object)  # PhotoDocument
    search_finished = Signal(object)  # SearchDocument
    people_changed = Signal()
    person_opened = Signal(str, int)  # user_id ("" = everyone), face count
    indexing_started = Signal(str)
    indexing_progressed = Signal(object)  # IndexingProgress
    indexing_finished = Signal(object)  # IndexingOutcome
    faces_deleted = Signal(list)  # the FaceIds deleted
    error_occurred = Signal(str, str)  # title, message
    status_posted = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, client: Any, pool: QThreadPool | None = None, parent: Any = None) -> None:
        super().__init__(parent)
        self.client = client
        self.library = client.library
        self.pool = pool or QThreadPool.globalInstance()
        self.thumbnails = ThumbnailLoader(max_threads=2, parent=self)
        self.collections = CollectionListModel(self)
        self.photos = PhotoListModel(self.thumbnails, self)
        self.faces = FaceListModel(self.thumbnails, self)
        self.results = FileResultModel(self)
        self.matches = MatchListModel(self.thumbnails, self)
        self.people = PersonListModel(self)
        self.live = LiveResults(self.library, self.photos, self.faces, self._run, self)
        self.current_collection = ""
        # the side bar's count from the grid's, with no query (the batch's end re-reads all)
        self.live.added.connect(
            lambda _p, _f: self.collections.set_face_count(
                self.current_collection, self.faces.total()
            )
        )
        self._runners: set[TaskRunner] = set()
        self._indexing: TaskRunner | None = None
        self._indexing_started_at = 0.0
        self._indexing_collection = ""
        self._load_generation = 0  # bumped by every reload
        self._faces_generation = 0  # bumped by reloads of the face grid only
        self._person_request: str | None = None
        self.faces.query_loaded.connect(self._on_faces_query_loaded)
        self.faces.load_failed.connect(
            lambda message: self.error_occurred.emit("Could not load faces", message)
        )
        self.photos.load_failed.connect(
            lambda message: self.error_occurred.emit("Could not list the photos", message)
        )

    # -- state ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._runners) or self.faces.loading or self.photos.loading

    @property
    def indexing(self) -> bool:
        return self._indexing is not None

    def source_path_of(self, image_id: str) -> str | None:
        item = self.photos.find(image_id)
        return item.source_path if item is not None else None

    # -- runner plumbing -----------------------------------------------------------------
    def _run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        progress: Callable[[list[Any]], None] | None = None,
        failed_title: str = "Operation failed",
        cancel: CancelToken | None = None,
        finished: Callable[[], None] | None = None,
    ) -> TaskRunner:
        runner = TaskRunner(fn, *args, cancel=cancel)
        if done is not None:
            runner.signals.succeeded.connect(done)
        if progress is not None:
            runner.signals.progressed.connect(progress)
        runner.signals.failed.connect(lambda info: self._on_task_failed(failed_title, info))

        def _finished() -> None:
            self._runners.discard(runner)
            if finished is not None:
                finished()
            if not self._runners:
                self.busy_changed.emit(False)

        runner.signals.finished.connect(_finished)
        was_idle = not self._runners
        self._runners.add(runner)
        if was_idle:
            self.busy_changed.emit(True)
        runner.start(self.pool)
        return runner

    def run_task(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed_title: str = "Operation failed",
    ) -> TaskRunner:
        """Run ``fn(*args)`` on the pool; ``done`` gets its result on the UI thread."""
        return self._run(fn, *args, done=done, failed_title=failed_title)

    def faces_edited(
        self, collection_id: str, image_id: str, external_image_id: str | None
    ) -> None:
        """A photo's faces changed by hand: show it again, and the grids and counts."""
        if collection_id != self.current_collection:
            return
        self.open_photo(image_id, external_image_id)
        self.reload_collection()
        self.refresh_collections()

    def _on_task_failed(self, title: str, info: ErrorInfo) -> None:
        self.error_occurred.emit(title, f"{info.message}\n\n({info.code})")

    def shutdown(self) -> None:
        """Cancel everything and wait for the pools (window closing, tests' teardown)."""
        for r in list(self._runners):
            r.cancel()
        self.pool.waitForDone()
        self.faces.shutdown()
        self.photos.shutdown()
        self.thumbnails.shutdown()

    # -- collections ---------------------------------------------------------------------
    def refresh_collections(self, select: str | None = None) -> TaskRunner:
        lib = self.library

        def load() -> list[CollectionInfo]:
            items: list[CollectionInfo] = lib.collections()  # counts and names, one query
            return items

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
        def done(_resp: Any) -> None:
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
            done=lambda _none: self._on_collections_edited(),
            failed_title="Could not rename the collection",
        )

    def _on_collections_edited(self) -> None:
        self.refresh_collections()

    def delete_collection(self, collection_id: str) -> None:
        def done(_resp: Any) -> None:
            self.status_posted.emit(f"Deleted collection “{collection_id}”")
            if self.current_collection == collection_id:
                self.current_collection = ""
            self.refresh_collections()

        self._run(
            lambda: self.client.delete_collection(CollectionId=collection_id),
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
        self.reload_collection()

    def reload_collection(self, faces: bool = True) -> None:
        """Show the first page of faces and of photos; the photo list streams the rest in.

        Nothing lists the whole collection before the window shows it: at 100k faces the
        first pages and counts take a few tens of milliseconds. ``faces=False`` keeps the
        face grid as it is (its rows are still right) and reloads the photos."""
        cid = self.current_collection
        self._load_generation += 1
        generation = self._load_generation
        if faces:
            self._faces_generation += 1
        faces_generation = self._faces_generation
        if not cid:
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
        # the critical path.
        waiting = {"faces"} if faces else set()
        waiting.add("photos")

        def arrived(part: str) -> None:
            waiting.discard(part)
            if not waiting:
                self.collection_loaded.emit(cid)
                self.refresh_people()

        def faces_done(listing: FaceListing) -> None:
            if faces_generation != self._faces_generation:
                return  # a newer selection won
            wanted = self.faces.query
            self.faces.show_listing(source, listing)
            if same_collection and wanted != listing.query:
                self.faces.set_query(wanted)  # the filter changed while this loaded
            arrived("faces")

        def photos_done(listing: PhotoListing) -> None:
            if generation != self._load_generation:
                return
            self.photos.show_listing(photo_source, listing)
            arrived("photos")

        if faces:
            self._run(source.listing, query, done=faces_done, failed_title="Could not load faces")
        self._run(
            photo_source.listing,
            sort,
            done=photos_done,
            failed_title="Could not load the collection",
        )

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

    def delete_faces(self, face_ids: Sequence[str]) -> None:
        cid, client = self.current_collection, self.client
        ids = list(face_ids)

        def work() -> tuple[list[str], list[dict[str, Any]]]:
            deleted: list[str] = []
            refused: list[dict[str, Any]] = []
            for start in range(0, len(ids), 4096):
                resp = client.delete_faces(CollectionId=cid, FaceIds=ids[start : start + 4096])
                deleted.extend(resp.get("DeletedFaces", []))
                refused.extend(resp.get("UnsuccessfulFaceDeletions", []))
            return deleted, refused

        def done(result: tuple[list[str], list[dict[str, Any]]]) -> None:
            deleted, refused = result
            n = len(deleted)
            self.status_posted.emit(_deleted_message(n, refused))
            if cid == self.current_collection:
                # The grid keeps its place (the next pages do not depend on these rows);
                # the photos' face counts changed, so the photo list reloads.
                self.faces.remove_faces(deleted)
                self.reload_collection(faces=False)
            self.faces_deleted.emit(deleted)
            self.refresh_collections()

        self._run(work, done=done, failed_title="Could not delete faces")

    # -- indexing ------------------------------------------------------------------------
    def index_paths(
        self, paths: Sequence[str | Path], options: Any, collection_id: str | None = None
    ) -> None:
        """Index files/folders into a collection (the current one, else a new default one)."""
        if self._indexing is not None:
            self.error_occurred.emit(
                "Indexing is running", "Wait for the current run to finish or cancel it first."
            )
            return
        target = collection_id or self.current_collection
        plain = [str(p) for p in paths]
        if not target:
            self.create_collection(
                DEFAULT_COLLECTION,
                then=lambda: self.index_paths(plain, options, DEFAULT_COLLECTION),
            )
            return
        lib, token = self.library, CancelToken()
        self.results.clear()
        self._indexing_started_at = time.monotonic()
        self._indexing_collection = target

        def work() -> Iterator[ProgressEvent]:
            yield from lib.iter_index_files(target, plain, options, token)

        self._indexing = self._run(
            work,
            progress=self._on_indexing_progressed,
            failed_title="Indexing stopped",
            cancel=token,
            finished=self._on_indexing_finished,
        )
        self.indexing_started.emit(target)
        self.status_posted.emit(f"Indexing into “{target}”…")

    def cancel_indexing(self) -> None:
        if self._indexing is not None:
            self._indexing.cancel()
            self.status_posted.emit("Cancelling after the current photo…")

    def _on_indexing_progressed(self, events: list[ProgressEvent]) -> None:
        batch = [e.result for e in events if e.result is not None]
        self.results.append(batch)
        if self._indexing_collection == self.current_collection:
            self.live.add(self.current_collection, batch)
        last = events[-1]
        elapsed = time.monotonic() - self._indexing_started_at
        t = self.results.totals()
        eta = eta_seconds(elapsed, last.done, last.done - t["unchanged"], last.total)
        self.indexing_progressed.emit(
            IndexingProgress(last.done, last.total, last.item, eta, elapsed)
        )

    def _on_indexing_finished(self) -> None:
        self.live.clear()  # the reload below reads everything
        runner, self._indexing = self._indexing, None
        cancelled = runner is not None and runner.token.cancelled
        outcome = IndexingOutcome(
            self._indexing_collection,
            cancelled,
            self.results.totals(),
            time.monotonic() - self._indexing_started_at,
        )
        self.status_posted.emit(summary_text(outcome.totals, cancelled))
        self.indexing_finished.emit(outcome)
        if self._indexing_collection == self.current_collection:
            self.reload_collection()
        self.refresh_collections()

    # -- search --------------------------------------------------------------------------
    def search_by_photo(self, path: str, threshold: float = 80.0, max_faces: int = 24) -> None:
        cid, client = self.current_collection, self.client
        if not cid:
            self.error_occurred.emit("No collection", "Create or select a collection first.")
            return

        def work() -> SearchDocument:
            data = Path(path).read_bytes()
            resp = client.search_faces_by_image(
                CollectionId=cid,
                Image={"Bytes": data},
                FaceMatchThreshold=threshold,
                MaxFaces=max_faces,
            )
            return SearchDocument(
                path,
                resp.get("SearchedFaceBoundingBox"),
                resp.get("SearchedFaceConfidence"),
                tuple(resp.get("FaceMatches", [])),
                threshold,
                max_faces,
            )

        self._run(work, done=lambda doc: self._show_matches(cid, doc), failed_title="Search failed")

    def search_by_photo_face(
        self, path: str, face_index: int = 0, threshold: float = 80.0, max_faces: int = 24
    ) -> None:
        """Search with the photo's ``face_index``-th face, largest first (0 is the face
        SearchFacesByImage uses); the document lists every face so another can be picked."""
        from facedesk.service.face_pick import search_with_face

        cid, client = self.current_collection, self.client
        if not cid:
            self.error_occurred.emit("No collection", "Create or select a collection first.")
            return

        def work() -> SearchDocument:
            resp = search_with_face(
                client.context, cid, Path(path).read_bytes(), face_index, threshold, max_faces
            )
            return SearchDocument(
                path,
                resp["SearchedFaceBoundingBox"],
                resp["SearchedFaceConfidence"],
                tuple(resp["FaceMatches"]),
                threshold,
                max_faces,
                tuple(resp["SearchableFaces"]),
                face_index,
            )

        self._run(work, done=lambda doc: self._show_matches(cid, doc), failed_title="Search failed")

    def search_by_face(self, face_id: str, threshold: float = 80.0, max_faces: int = 24) -> None:
        """SearchFaces: the collection's faces most like a stored face (itself left out)."""
        cid, client = self.current_collection, self.client

        def work() -> SearchDocument:
            listed = client.list_faces(CollectionId=cid, FaceIds=[face_id], MaxResults=1)
            face = listed["Faces"][0] if listed.get("Faces") else {}
            resp = client.search_faces(
                CollectionId=cid,
                FaceId=face_id,
                FaceMatchThreshold=threshold,
                MaxFaces=max_faces,
            )
            return SearchDocument(
                self.source_path_of(str(face.get("ImageId", ""))) or "",
                face.get("BoundingBox"),
                face.get("Confidence"),
                tuple(resp.get("FaceMatches", [])),
                threshold,
                max_faces,
            )

        self._run(work, done=lambda doc: self._show_matches(cid, doc), failed_title="Search failed")

    def _show_matches(self, cid: str, doc: SearchDocument) -> None:
        items = [
            MatchItem(
                cid,
                float(m["Similarity"]),
                dict(m["Face"]),
                self.source_path_of(m["Face"].get("ImageId", "")),
            )
            for m in doc.matches
        ]
        self.matches.set_matches(items, self.library.face_thumbnail)
        self.status_posted.emit(f"{len(items)} matches at ≥ {doc.threshold:.0f} % similarity")
        self.search_finished.emit(doc)

    # -- people --------------------------------------------------------------------------
    def refresh_people(self) -> None:
        cid, client = self.current_collection, self.client
        if not cid or not hasattr(client, "list_users"):
            self.people.set_people([])
            return

        def load() -> list[UserInfo]:
            # one query with every person's face count and display name
            people: list[UserInfo] = client.people.people(cid)
            return people

        def done(items: list[UserInfo]) -> None:
            if cid == self.current_collection:
                self.people.set_people(items)
                self.people_changed.emit()

        self._run(load, done=done, failed_title="Could not list people")

    def create_person(self, name: str, face_ids: Sequence[str] = ()) -> None:
        """Name faces: the person called ``name`` (any text) gets them, made if missing, with
        a readable UserId derived from the name ("Ada Lovelace" -> "Ada_Lovelace")."""
        cid, client, ids = self.current_collection, self.client, list(face_ids)
        if not ids:
            self.status_posted.emit("Select the faces of the new person first")
            return

        def work() -> int:
            client.people.name_faces(cid, ids, name)
            return len(ids)

        self._run(
            work,
            done=lambda n: self._people_edited(f"Named “{name}”", n),
            failed_title="Could not create the person",
        )

    def assign_faces(self, user_id: str, face_ids: Sequence[str]) -> None:
        cid, client, ids = self.current_collection, self.client, list(face_ids)

        def work() -> int:
            client.people.assign(cid, ids, user_id)
            return len(ids)

        self._run(
            work,
            done=lambda n: self._people_edited(f"Assigned to “{user_id}”", n),
            failed_title="Could not assign the faces",
        )

    def _people_edited(self, what: str, n: int) -> None:
        self.status_posted.emit(f"{what}: {n} face{'s' if n != 1 else ''}")
        self.reload_collection()

    def open_person(self, user_id: str) -> None:
        """Show only this person's faces ("" shows everyone again); ``person_opened`` follows
        once the grid shows them."""
        if not self.current_collection:
            return
        self._person_request = user_id
        self.faces.set_query(replace(self.faces.query, user_id=user_id or None))

    def _on_faces_query_loaded(self, query: FaceQuery, count: int) -> None:
        wanted = self._person_request
        if wanted is not None and (query.user_id or "") == wanted:
            self._person_request = None
            self.person_opened.emit(wanted, count)


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
