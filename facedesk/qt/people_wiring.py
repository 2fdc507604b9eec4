"""People across the window's views: names on the photo viewer's boxes (and naming a face
there), the Photos view filtered by person. Kept apart from main_window.py, which only
calls ``connect_people``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from facedesk.qt.people_controller import PeopleSnapshot

# The grids load after the People view is drawn, or after this long whatever happened (a
# window not on screen draws nothing; a failed listing may change nothing to draw).
GRIDS_AFTER_MS = 250


class AfterPaint(QObject):
    """Runs ``then`` once, after ``widget``'s next paint (or ``GRIDS_AFTER_MS``).

    The grids' first load imports SQLAlchemy (0.5 s of CPU under the GIL): started as the
    People listing arrives, it took the GIL from the People view's first layout and paint,
    which then took twice as long."""

    def __init__(self, widget: QWidget, then: Callable[[], None]) -> None:
        super().__init__(widget)
        self._then: Callable[[], None] | None = then
        widget.installEventFilter(self)
        QTimer.singleShot(GRIDS_AFTER_MS, self, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self, self._fire)  # once this paint is done
        return False

    def _fire(self) -> None:
        then, self._then = self._then, None
        if then is None:
            return
        parent = self.parent()
        if parent is not None:
            parent.removeEventFilter(self)
        self.deleteLater()
        then()


def connect_people(w: Any) -> None:  # the MainWindow (its type would import it back)
    c, p, viewer, photos = w.controller, w.people_controller, w.viewer, w.photos_view
    viewport = w.people_view.people_list.viewport()

    def load_names(_doc: Any = None) -> None:
        doc = viewer.document
        if doc is not None and doc.collection_id:
            ids = [f.face_id for f in doc.faces if f.face_id]
            p.load_face_names(doc.collection_id, doc.summary.image_id, ids)

    def names_loaded(image_id: str, names: dict[str, tuple[str, str]]) -> None:
        doc = viewer.document
        if doc is not None and doc.summary.image_id == image_id:  # a later photo wins
            viewer.set_names(names)

    waiting: dict[str, list[tuple[str, str]]] = {}  # the people for the Photos filter

    def people_loaded(snapshot: PeopleSnapshot) -> None:
        people = [(t.key, t.title) for t in snapshot.people]
        viewer.set_people([name for _uid, name in people])
        # The Photos view's person filter (a combo sized to its 5k names: 0.1 s of text
        # measuring) is filled once the People view is drawn, with the latest people.
        if "people" not in waiting:
            AfterPaint(viewport, lambda: photos.set_people(waiting.pop("people")))
        waiting["people"] = people

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
        p.load_first(collection_id, lambda: AfterPaint(viewport, then))
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
