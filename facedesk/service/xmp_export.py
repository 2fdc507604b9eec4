"""Export a collection's faces and names as XMP face regions (MWG-RS and Microsoft Photo).

Which photos: every index record with a source path (the file it was indexed from), or
those under the given paths. Which regions: the photo's stored faces, named after their
person (display name, else UserId); unnamed faces are written without a name or left out,
as the user chooses. Where: a sidecar in digiKam's convention (``photo.jpg.xmp``) or
Lightroom's (``photo.xmp``), or embedded in the photo (opt-in; a new copy renamed over it).

A file's own regions that facedesk does not know (other region types, faces far from every
face facedesk found) are kept: exporting never loses someone else's work. A Qt-free
generator, one result per photo, so the CLI prints JSON lines and the app shows progress.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facedesk.core.errors import ClientError, InvalidParameterException
from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.core.regions import (
    Region,
    StoredBox,
    clip,
    iou,
    stored_size,
    to_stored,
)
from facedesk.core.types import BoundingBox, ImageSummary, StoredFace
from facedesk.service.context import ServiceContext

TARGETS = ("digikam", "lightroom", "embed")
# A region already in the file that overlaps one of ours this much is the same face: ours
# replaces it (facedesk's box and name are the ones being exported).
SAME_FACE_IOU = 0.3


@dataclass(frozen=True)
class ExportOptions:
    target: str = "digikam"  # "digikam" (photo.jpg.xmp), "lightroom" (photo.xmp), "embed"
    include_unnamed: bool = True

    def __post_init__(self) -> None:
        if self.target not in TARGETS:
            raise InvalidParameterException(
                f"XMP target must be one of {', '.join(TARGETS)}, not {self.target!r}"
            )


def sidecar_path(photo: Path, target: str) -> Path:
    """digiKam appends ``.xmp`` to the whole name; Lightroom replaces the extension."""
    if target == "digikam":
        return photo.with_name(photo.name + ".xmp")
    if target == "lightroom":
        return photo.with_suffix(".xmp")
    raise ValueError(target)


@dataclass(frozen=True)
class _Photo:
    path: Path
    record: ImageSummary  # width and height: of the oriented image, as facedesk measured it
    faces: tuple[StoredFace, ...]


def _under(path: Path, roots: Sequence[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _photos(
    ctx: ServiceContext, collection_id: str, paths: Sequence[str | os.PathLike[str]]
) -> tuple[list[_Photo], dict[str, str]]:
    """The latest record of each indexed file (under ``paths`` if given), and names."""
    roots = [Path(p).expanduser().absolute() for p in paths]
    with ctx.db.unit_of_work(read_only=True) as uow:
        uow.collections.ensure(collection_id)
        names = {uid: display or uid for uid, display in uow.people.names(collection_id)}
        latest: dict[str, ImageSummary] = {}
        # Summaries, not records: the stored IndexFaces responses are not needed here.
        for record in uow.index_records.summaries(collection_id):
            if record.source_path is None:
                continue
            if roots and not _under(Path(record.source_path), roots):
                continue
            old = latest.get(record.source_path)
            if old is None or record.indexed_at >= old.indexed_at:
                latest[record.source_path] = record
        photos = []
        for source, record in sorted(latest.items()):
            faces = uow.faces.by_image(collection_id, record.image_id, record.external_image_id)
            photos.append(_Photo(Path(source), record, tuple(faces)))
    return photos, names


def _as_box(box: StoredBox) -> BoundingBox:
    return BoundingBox(left=box.left, top=box.top, width=box.width, height=box.height)


def merged_regions(ours: list[Region], theirs: Sequence[Region]) -> tuple[list[Region], int]:
    """Ours plus the file's regions that are not one of our faces; and how many were kept."""
    kept = [
        r
        for r in theirs
        if r.type != "Face"
        or all(iou(_as_box(r.box), _as_box(o.box)) < SAME_FACE_IOU for o in ours)
    ]
    return ours + kept, len(kept)


def _export_one(photo: _Photo, names: dict[str, str], options: ExportOptions) -> dict[str, Any]:
    from facedesk.engine.xmp_files import photo_facts, read_regions, write_embedded, write_sidecar

    result: dict[str, Any] = {"File": str(photo.path)}
    if photo.record.external_image_id is not None:
        result["ExternalImageId"] = photo.record.external_image_id
    facts = photo_facts(photo.path)
    size = (photo.record.width, photo.record.height)
    if stored_size(*size, facts.orientation) != (facts.width, facts.height):
        raise ValueError(
            f"{photo.path} is {facts.width}x{facts.height} px now, not the picture that was "
            "indexed: index it again before exporting its faces"
        )
    ours: list[Region] = []
    for face in sorted(photo.faces, key=lambda f: (f.bounding_box.left, f.bounding_box.top)):
        name = names.get(face.user_id) if face.user_id else None
        if name is None and not options.include_unnamed:
            continue
        box = clip(to_stored(face.bounding_box, facts.orientation))
        ours.append(Region(box=box, name=name))
    target = photo.path if options.target == "embed" else sidecar_path(photo.path, options.target)
    theirs = read_regions(target).regions if target.exists() else ()
    regions, kept = merged_regions(ours, theirs)
    if not regions and not target.exists():
        # Nothing to say and nothing to correct: no empty sidecar is made.
        return {**result, "Status": "skipped", "Reason": "no faces to export", "Regions": 0}
    applied_to = (facts.width, facts.height)
    if options.target == "embed":
        write_embedded(photo.path, tuple(regions), applied_to)
    else:
        write_sidecar(target, tuple(regions), applied_to, photo.path)
    result.update(
        Status="exported",
        Target=str(target),
        Regions=len(ours),
        Named=sum(1 for r in ours if r.name),
        KeptFromFile=kept,
    )
    return result


def _record_new_source(ctx: ServiceContext, collection_id: str, photo: _Photo) -> None:
    """Embedding changed the file's bytes, size and time, not its picture: record the new
    size and time so that a rescan skips it instead of indexing it as a new image."""
    st = photo.path.stat()
    with ctx.db.unit_of_work() as uow:
        uow.portable.set_source_stat(
            collection_id,
            photo.record.image_id,
            photo.record.external_image_id,
            st.st_size,
            st.st_mtime,
        )
        uow.commit()


def iter_export_xmp(
    ctx: ServiceContext,
    collection_id: str,
    paths: Sequence[str | os.PathLike[str]] = (),
    options: ExportOptions | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[ProgressEvent]:
    """One ProgressEvent per photo; ``result`` is a JSON-able dict with ``Status``
    "exported" or "error" (with ``Error``). A failing photo never stops the others."""
    from facedesk.engine.xmp_files import XmpError

    options = options or ExportOptions()
    photos, names = _photos(ctx, collection_id, paths)
    for done, photo in enumerate(photos, start=1):
        if cancel is not None and cancel.cancelled:
            return
        try:
            result = _export_one(photo, names, options)
        except (XmpError, OSError, ValueError, ClientError) as exc:  # this photo only
            result = {"File": str(photo.path), "Status": "error", "Error": str(exc)}
        if options.target == "embed" and result["Status"] == "exported":
            _record_new_source(ctx, collection_id, photo)
        yield ProgressEvent(done=done, total=len(photos), item=str(photo.path), result=result)
