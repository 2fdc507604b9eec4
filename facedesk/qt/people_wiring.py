"""People across the window's views: names on the photo viewer's boxes (and naming a face
there), the Photos view filtered by person. Kept apart from main_window.py, which only
calls ``connect_people``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facedesk.qt.people_controller import PeopleSnapshot


def connect_people(w: Any) -> None:  # the MainWindow (its type would import it back)
    c, p, viewer, photos = w.controller, w.people_controller, w.viewer, w.photos_view

    def load_names(_doc: Any = None) -> None:
        doc = viewer.document
        if doc is not None and doc.collection_id:
            ids = [f.face_id for f in doc.faces if f.face_id]
            p.load_face_names(doc.collection_id, doc.summary.image_id, ids)

    def names_loaded(image_id: str, names: dict[str, tuple[str, str]]) -> None:
        doc = viewer.document
        if doc is not None and doc.summary.image_id == image_id:  # a later photo wins
            viewer.set_names(names)

    def people_loaded(snapshot: PeopleSnapshot) -> None:
        people = [(t.key, t.title) for t in snapshot.people]
        viewer.set_people([name for _uid, name in people])
        photos.set_people(people)

    def open_person(user_id: str) -> None:
        w.show_view("people")
        w.people_view.open_person(user_id)

    def person_changed(_text: str) -> None:
        load_names()
        if photos.person_id:  # faces moved: the filtered photos follow
            p.load_person_photos(photos.person_id)

    def people_first(collection_id: str, then: Callable[[], None]) -> bool:
        if w.tabs.currentWidget() is not w.people_view:
            return False
        p.load_first(collection_id, then)
        return True

    def shown(snapshot: PeopleSnapshot) -> None:
        # The People view loads before the photo grid (people_first), so the window may
        # still show the welcome page, which it shows while no photo is listed: people or
        # groups mean there are photos.
        if snapshot.people or snapshot.groups:
            w.stack.setCurrentWidget(w.tabs)

    c.first_load = people_first
    p.loaded.connect(shown)
    # The People view, if it was the last one shown, is shown again (MainWindow restores
    # the grids only); it needs no photo, unlike the photo viewer.
    if w.settings.ui_state().view == "people":
        w.show_view("people")
    c.photo_opened.connect(load_names)
    p.face_names_loaded.connect(names_loaded)
    p.loaded.connect(people_loaded)
    p.changed.connect(person_changed)
    viewer.name_requested.connect(lambda face_id, name: p.name_faces([face_id], name))
    viewer.person_requested.connect(open_person)
    photos.person_chosen.connect(p.load_person_photos)
    p.person_photos_loaded.connect(photos.show_person)
