"""Turns user intents into Library calls on the thread pool and pushes results into models.

``MainController`` is the whole controller the window sees: the base (signals, models,
task plumbing) and browsing come from ``controller_base`` and ``browse_controller``;
indexing, search and people are here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool

from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.core.types import UserInfo
from facedesk.qt.browse_controller import BrowseController
from facedesk.qt.controller_base import HasLibrary
from facedesk.qt.documents import SearchDocument
from facedesk.qt.models.face_list_model import FaceQuery
from facedesk.qt.models.file_result_model import eta_seconds, summary_text
from facedesk.qt.models.match_list_model import MatchItem
from facedesk.qt.workers.runner import TaskRunner
from facedesk.service.indexing import IndexOptions
from facedesk.service.library import Library
from facedesk.service.library_ops import FaceSearch

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


class MainController(BrowseController):
    def __init__(
        self,
        library: Library | HasLibrary,
        pool: QThreadPool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(library, pool, parent)
        # the side bar's count from the grid's, with no query (the batch's end re-reads all)
        self.live.added.connect(
            lambda _p, _f: self.collections.set_face_count(
                self.current_collection, self.faces.total()
            )
        )
        self._indexing: TaskRunner | None = None
        self._indexing_started_at = 0.0
        self._indexing_collection = ""
        self._person_request: str | None = None
        self.faces.query_loaded.connect(self._on_faces_query_loaded)
        self.faces.load_failed.connect(
            lambda message: self.error_occurred.emit("Could not load faces", message)
        )
        self.photos.load_failed.connect(
            lambda message: self.error_occurred.emit("Could not list the photos", message)
        )

    @property
    def indexing(self) -> bool:
        return self._indexing is not None

    # -- indexing ------------------------------------------------------------------------
    def index_paths(
        self,
        paths: Sequence[str | Path],
        options: IndexOptions | None,
        collection_id: str | None = None,
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
        cid, lib = self.current_collection, self.library
        if not cid:
            self.error_occurred.emit("No collection", "Create or select a collection first.")
            return

        def work() -> SearchDocument:
            found = lib.search_by_image(cid, Path(path).read_bytes(), threshold, max_faces)
            return _search_document(path, found, threshold, max_faces)

        self._run(work, done=lambda doc: self._show_matches(cid, doc), failed_title="Search failed")

    def search_by_photo_face(
        self, path: str, face_index: int = 0, threshold: float = 80.0, max_faces: int = 24
    ) -> None:
        """Search with the photo's ``face_index``-th face, largest first (0 is the face
        SearchFacesByImage uses); the document lists every face so another can be picked."""
        from facedesk.service.face_pick import search_with_face

        cid, lib = self.current_collection, self.library
        if not cid:
            self.error_occurred.emit("No collection", "Create or select a collection first.")
            return

        def work() -> SearchDocument:
            resp = search_with_face(
                lib.context, cid, Path(path).read_bytes(), face_index, threshold, max_faces
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
        cid, lib = self.current_collection, self.library

        def work() -> SearchDocument:
            found = lib.search_by_face(cid, face_id, threshold, max_faces)
            path = self.source_path_of(found.searched_image_id or "") or ""
            return _search_document(path, found, threshold, max_faces)

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
        cid, lib = self.current_collection, self.library
        if not cid:
            self._people_load.cancel()
            self.people.set_people([])
            return

        def done(items: list[UserInfo]) -> None:
            if cid == self.current_collection:
                self.people.set_people(items)
                self.people_changed.emit()

        self._run(
            lib.people_with_counts,  # one query with every person's face count and name
            cid,
            done=done,
            failed_title="Could not list people",
            slot=self._people_load,
        )

    def create_person(self, name: str, face_ids: Sequence[str] = ()) -> None:
        """Name faces: the person called ``name`` (any text) gets them, made if missing, with
        a readable UserId derived from the name ("Ada Lovelace" -> "Ada_Lovelace")."""
        cid, lib, ids = self.current_collection, self.library, list(face_ids)
        if not ids:
            self.status_posted.emit("Select the faces of the new person first")
            return

        def work() -> int:
            lib.people.name_faces(cid, ids, name)
            return len(ids)

        self._run(
            work,
            done=lambda n: self._people_edited(f"Named “{name}”", n),
            failed_title="Could not create the person",
        )

    def assign_faces(self, user_id: str, face_ids: Sequence[str]) -> None:
        cid, lib, ids = self.current_collection, self.library, list(face_ids)

        def work() -> int:
            lib.people.assign(cid, ids, user_id)
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


def _search_document(
    path: str, found: FaceSearch, threshold: float, max_faces: int
) -> SearchDocument:
    return SearchDocument(
        path,
        found.searched_box,
        found.searched_confidence,
        found.matches,
        threshold,
        max_faces,
    )
