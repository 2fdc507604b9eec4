"""People work for the GUI: loads the People view and runs people actions off the GUI
thread through the service's People API (every action journalled, so undo/redo work)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Signal

from facedesk.qt.models.people_tile_model import PeopleTile, PeopleTileModel
from facedesk.qt.people_snapshot import (
    PeopleSnapshot,
    load_person_page,
    load_snapshot,
    tile_faces,
)
from facedesk.qt.workers.runner import ErrorInfo, TaskRunner
from facedesk.service.library import Library

__all__ = ["PeopleController", "PeopleSnapshot", "load_snapshot"]


class PeopleController(QObject):
    loaded = Signal(object)  # PeopleSnapshot (first without suggestions, then with them)
    person_loaded = Signal(str, int)  # user id, suggested faces
    changed = Signal(str)  # what was done (status text); the faces and people changed
    acted = Signal()  # an undoable people action was started
    failed = Signal(str, str)
    face_names_loaded = Signal(str, object)  # image id, {face id: (user id, name)}
    person_photos_loaded = Signal(str, object)  # user id, set of image ids

    def __init__(
        self, client: Library, pool: QThreadPool | None = None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.pool = pool or QThreadPool.globalInstance()
        self.people = PeopleTileModel(self)
        self.groups = PeopleTileModel(self)
        self.person_faces = PeopleTileModel(self)
        for model in (self.people, self.groups):
            model.set_fetch(lambda ids: client.face_thumbnails(self.collection_id, ids), self.pool)
        self.person_id = ""  # the person whose page is open ("" = none)
        self.collection_id = ""
        self._runners: set[TaskRunner] = set()
        self._generation = 0  # bumped per load: a late answer of an older load is dropped
        self._primed: tuple[str, int] | None = None  # listing shown by load_first
        self.actions_done = 0  # people actions the user took (the GUI test counts them)

    @property
    def busy(self) -> bool:
        return bool(self._runners) or self.people.fetching or self.groups.fetching

    def _run(
        self,
        fn: Callable[[], Any],
        done: Callable[[Any], None],
        title: str,
        after: Callable[[], None] | None = None,
    ) -> None:
        """``fn`` on the pool, ``done`` with its result on the GUI thread; ``after`` last,
        whether it succeeded or failed."""
        runner = TaskRunner(fn)

        def alive(value: Any) -> None:
            # A load can finish after the window (and these models) are gone: drop it.
            if shiboken6.isValid(self) and shiboken6.isValid(self.people):
                done(value)

        runner.signals.succeeded.connect(alive)
        runner.signals.failed.connect(
            lambda info: (
                self.failed.emit(title, f"{info.message}\n\n({info.code})")
                if isinstance(info, ErrorInfo)
                else None
            )
        )
        runner.signals.finished.connect(lambda: self._runners.discard(runner))
        if after is not None:
            runner.signals.finished.connect(after)
        self._runners.add(runner)
        runner.start(self.pool)

    def load(self, collection_id: str, *, one_phase: bool = False) -> None:
        """Show the collection's people: the listing first, then the suggestions (or both
        at once, ``one_phase``, when the suggestions kept are updated in a moment: after
        this window's own people action)."""
        primed = one_phase or self._primed == (collection_id, self._generation)
        self._primed = None
        if one_phase:
            self._generation += 1
        self.collection_id = collection_id
        if not collection_id:
            self.people.set_tiles([])
            self.groups.set_tiles([])
            return
        if primed:  # load_first has just shown the listing: the suggestions follow
            self._second_phase(collection_id, self._generation)
        else:
            self._first_phase(collection_id, lambda gen: self._second_phase(collection_id, gen))
        if self.person_id:
            self.open_person(self.person_id)

    def load_first(self, collection_id: str, then: Callable[[], None]) -> None:
        """The People view is the one shown: its listing loads before anything else of the
        collection (the Photos and Faces grids wait for it and load in ``then``, which runs
        whatever happened), so the window shows people without sharing the pool and the
        database with the grids. The ``load`` that follows (the collection loaded) goes
        straight to the suggestions."""
        self.collection_id = collection_id

        def primed(generation: int) -> None:
            self._primed = (collection_id, generation)

        self._first_phase(collection_id, primed, after=then)

    def _first_phase(
        self,
        collection_id: str,
        then: Callable[[int], None],
        after: Callable[[], None] | None = None,
    ) -> None:
        client = self.client
        self._generation += 1
        generation = self._generation

        def first(snapshot: PeopleSnapshot) -> None:
            self._show(snapshot, generation)
            if generation == self._generation:
                then(generation)

        self._run(
            lambda: load_snapshot(client, collection_id, suggest=False),
            first,
            "Could not list people",
            after,
        )

    def _second_phase(self, collection_id: str, generation: int) -> None:
        client = self.client
        self._run(
            lambda: load_snapshot(client, collection_id),
            lambda snapshot: self._show(snapshot, generation),
            "Could not list people",
        )

    def _show(self, snapshot: PeopleSnapshot, generation: int) -> None:
        if snapshot.collection_id == self.collection_id and generation == self._generation:
            self.people.set_tiles(snapshot.people)
            self.groups.set_tiles(snapshot.groups)
            self.loaded.emit(snapshot)

    def open_person(self, user_id: str) -> None:
        """Load a person's page (``person_loaded`` follows); "" closes it."""
        self.person_id = user_id
        cid, client = self.collection_id, self.client
        if not user_id or not cid:
            self.person_faces.set_tiles([])
            return

        def done(result: tuple[str, list[PeopleTile], int]) -> None:
            uid, tiles, suggested = result
            if uid == self.person_id:
                self.person_faces.set_tiles(tiles)
                self.person_loaded.emit(uid, suggested)

        self._run(lambda: load_person_page(client, cid, user_id), done, "Could not open person")

    def load_face_names(self, collection_id: str, image_id: str, face_ids: Sequence[str]) -> None:
        """Who the faces of one photo are (``face_names_loaded`` follows)."""
        from facedesk.service.person_page import face_people

        ctx, ids = self.client.context, list(face_ids)
        self._run(
            lambda: face_people(ctx, collection_id, ids),
            lambda names: self.face_names_loaded.emit(image_id, names),
            "Could not read the names of the faces",
        )

    def load_person_photos(self, user_id: str) -> None:
        """The photos holding the person's faces (``person_photos_loaded`` follows)."""
        from facedesk.service.person_page import person_image_ids

        cid, ctx = self.collection_id, self.client.context
        if not cid or not user_id:
            self.person_photos_loaded.emit(user_id, None)
            return
        self._run(
            lambda: person_image_ids(ctx, cid, user_id),
            lambda ids: self.person_photos_loaded.emit(user_id, ids),
            "Could not find the person's photos",
        )

    def accept_all(self, user_id: str, min_similarity: float) -> None:
        self._act(
            f"Accepted suggestions above {min_similarity:.0f} %",
            lambda a, c: a.accept_all(c, user_id, min_similarity),
        )

    def _act(self, what: str, fn: Callable[[Any, str], Any]) -> None:
        if not self.collection_id:
            return
        self.actions_done += 1
        self.acted.emit()
        self._apply(fn, lambda _: what, "Could not change people")

    def _apply(
        self, fn: Callable[[Any, str], Any], message: Callable[[Any], str], title: str
    ) -> None:
        """``fn(people api, collection)`` in the worker, then ``message(its result)`` on
        ``changed`` and the view reloaded."""
        cid, api, ctx = self.collection_id, self.client.people, self.client.context
        if not cid:
            return

        def work() -> tuple[Any, bool]:
            from facedesk.service.suggest_state import is_kept

            return fn(api, cid), is_kept(ctx, cid)

        def done(result: tuple[Any, bool]) -> None:
            out, kept = result
            self.changed.emit(message(out))
            # the suggestions kept are updated for what the action touched (a fraction of
            # a second at 100k faces): the new state comes in one load, else in two
            self.load(cid, one_phase=kept)

        self._run(work, done, title)

    # -- actions (each one undoable) ----------------------------------------------------------
    def _on_tile(
        self, what: str, tile: PeopleTile, fn: Callable[[Any, str, list[str]], Any]
    ) -> None:
        """An action on all the faces of a group tile, read in the worker if the tile
        lists its first face only."""
        client = self.client
        self._act(what, lambda a, c: fn(a, c, tile_faces(client, c, tile)))

    def name_tile(self, tile: PeopleTile, name: str) -> None:
        self._on_tile(
            f"Named {tile.count} face(s) “{name}”",
            tile,
            lambda a, c, ids: a.name_faces(c, ids, name),
        )

    def assign_tile(self, tile: PeopleTile, user_id: str) -> None:
        """Every face of a group to a person (a group tile dropped on it): one action."""
        self._on_tile(
            f"Moved {tile.count} face(s)", tile, lambda a, c, ids: a.assign(c, ids, user_id)
        )

    def accept_tile(self, tile: PeopleTile, user_id: str, name: str) -> None:
        self._on_tile(
            f"{tile.count} face(s) are {name}", tile, lambda a, c, ids: a.accept(c, ids, user_id)
        )

    def reject_tile(self, tile: PeopleTile, user_id: str, name: str) -> None:
        self._on_tile(
            f"{tile.count} face(s) are not {name}",
            tile,
            lambda a, c, ids: a.reject(c, ids, user_id),
        )

    def name_faces(self, face_ids: Sequence[str], name: str) -> None:
        ids = list(face_ids)
        self._act(f"Named {len(ids)} face(s) “{name}”", lambda a, c: a.name_faces(c, ids, name))

    def accept(self, face_ids: Sequence[str], user_id: str, name: str) -> None:
        ids = list(face_ids)
        self._act(f"{len(ids)} face(s) are {name}", lambda a, c: a.accept(c, ids, user_id))

    def reject(self, face_ids: Sequence[str], user_id: str, name: str) -> None:
        ids = list(face_ids)
        self._act(f"{len(ids)} face(s) are not {name}", lambda a, c: a.reject(c, ids, user_id))

    def assign(self, face_ids: Sequence[str], user_id: str) -> None:
        ids = list(face_ids)
        self._act(f"Moved {len(ids)} face(s)", lambda a, c: a.assign(c, ids, user_id))

    def take_out(self, face_ids: Sequence[str]) -> None:
        ids = list(face_ids)
        self._act(f"Took {len(ids)} face(s) out", lambda a, c: a.take_out(c, ids))

    def rename(self, user_id: str, name: str) -> None:
        self._act(f"Renamed to “{name}”", lambda a, c: a.rename(c, user_id, name))

    def merge(self, source: str, target: str) -> None:
        self._act("Merged two people", lambda a, c: a.merge(c, source, target))

    def hide(self, user_id: str) -> None:
        self._act("Hid a person", lambda a, c: a.hide(c, user_id))

    def delete(self, user_id: str) -> None:
        self._act("Deleted a person (faces kept)", lambda a, c: a.delete(c, user_id))

    def set_cover(self, user_id: str, face_id: str) -> None:
        self._act("New picture", lambda a, c: a.set_cover(c, user_id, face_id))

    def undo(self) -> None:
        self._history("Undo", lambda a, c: a.undo(c))

    def redo(self) -> None:
        self._history("Redo", lambda a, c: a.redo(c))

    def _history(self, verb: str, fn: Callable[[Any, str], Any]) -> None:
        self._apply(
            fn,
            lambda entry: f"{verb}: {entry.summary}" if entry else f"Nothing to {verb.lower()}",
            f"Could not {verb.lower()}",
        )

    def shutdown(self) -> None:
        self.pool.waitForDone()
