"""Draw a face, "not a face": each an undoable step on the app's undo stack.

The service call runs first (off the UI thread); only when it succeeds does a command go on
the stack, so a refused edit ("no face could be measured there") leaves nothing to undo.
Undo and redo call the service again, and the photo and the grids show the new state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from facedesk.core.types import BoundingBox
from facedesk.qt.controller import MainController
from facedesk.qt.documents import FaceOverlay, PhotoDocument


@dataclass(frozen=True)
class PhotoKey:
    collection_id: str
    image_id: str
    external_image_id: str | None

    @classmethod
    def of(cls, doc: PhotoDocument) -> PhotoKey:
        s = doc.summary
        return cls(doc.collection_id, s.image_id, s.external_image_id)

    def args(self) -> tuple[str, str, str | None]:
        return (self.collection_id, self.image_id, self.external_image_id)


class FaceEdits:
    def __init__(
        self,
        controller: MainController,
        stack: QUndoStack,
        pushed: Callable[[], None] = lambda: None,
    ) -> None:
        """``pushed`` is told of each new edit on ``stack`` (the app's one Undo orders
        them with the people actions)."""
        self.c, self.stack, self._pushed = controller, stack, pushed

    def _push(self, command: QUndoCommand) -> None:
        self.stack.push(command)
        self._pushed()

    def draw(self, doc: PhotoDocument, box: BoundingBox) -> None:
        key = PhotoKey.of(doc)

        def done(record: Mapping[str, Any]) -> None:
            self._push(_DrawFace(self, key, box, str(record["Face"]["FaceId"])))

        self.run(key, self.c.library.draw_face, box, done=done, title="Could not add the face")

    def not_a_face(self, doc: PhotoDocument, face: FaceOverlay) -> None:
        key, box = PhotoKey.of(doc), dict(face.box)

        def done(_none: object) -> None:
            self._push(_NotAFace(self, key, box))

        self.run(key, self.c.library.not_a_face, box, done=done, title="Could not remove it")

    def run(
        self,
        key: PhotoKey,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        title: str = "Could not change the faces",
    ) -> None:
        def finished(result: Any) -> None:
            if done is not None:
                done(result)
            self.c.faces_edited(key.collection_id, key.image_id, key.external_image_id)

        self.c.run_task(fn, *key.args(), *args, done=finished, failed_title=title)


class _Edit(QUndoCommand):
    """A step that was already done once when it is pushed (the first redo is skipped)."""

    def __init__(self, edits: FaceEdits, key: PhotoKey, text: str) -> None:
        super().__init__(text)
        self.edits, self.key = edits, key
        self._pushed = False

    def redo(self) -> None:
        if self._pushed:
            self.again()
        self._pushed = True

    def again(self) -> None:
        raise NotImplementedError


class _DrawFace(_Edit):
    def __init__(self, edits: FaceEdits, key: PhotoKey, box: BoundingBox, face_id: str) -> None:
        super().__init__(edits, key, "Draw a face")
        self.box, self.face_id = box, face_id

    def again(self) -> None:
        self.edits.run(self.key, self.edits.c.library.draw_face, self.box)

    def undo(self) -> None:
        self.edits.run(self.key, self.edits.c.library.remove_drawn_face, self.face_id)


class _NotAFace(_Edit):
    def __init__(self, edits: FaceEdits, key: PhotoKey, box: dict[str, float]) -> None:
        super().__init__(edits, key, "Not a face")
        self.box = box

    def again(self) -> None:
        self.edits.run(self.key, self.edits.c.library.not_a_face, self.box)

    def undo(self) -> None:
        self.edits.run(self.key, self.edits.c.library.undo_not_a_face, self.box)
