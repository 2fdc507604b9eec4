"""A person corrects the detector: a face drawn by hand, and "not a face".

A drawn face gets what a detected one gets (landmarks, pose, quality, descriptor, FaceId)
from the photo's own file, and is stored as one more face of that photo: its FaceRecord
joins the index record's response, so ListFaces, search and the viewer see it like any
other; its measurement says ``user_drawn``. "Not a face" removes a detection, indexed or
not, and remembers it in the index record (``settings["NotFaces"]``, with everything
needed to put it back), so undo restores the same FaceId and descriptor.

Each edit is one unit of work: the face rows, the index record and the collection's
generation change together, and the search index hears of it from the commit (FacesChanged).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from facedesk.core import ids, quality
from facedesk.core.errors import InvalidParameterException, ResourceNotFoundException
from facedesk.core.types import BoundingBox, DecodedImage, DetectedFace, IndexRecord, StoredFace
from facedesk.service.context import ServiceContext
from facedesk.service.shapes import expand_attributes, face_detail

# Rekognition's face_detail rounds ratios; boxes are matched within this.
_SAME_BOX = 1e-6


def _same_box(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(abs(a[k] - b[k]) <= _SAME_BOX for k in ("Left", "Top", "Width", "Height"))


def _iou(a: BoundingBox, b: BoundingBox) -> float:
    w = min(a.left + a.width, b.left + b.width) - max(a.left, b.left)
    h = min(a.top + a.height, b.top + b.height) - max(a.top, b.top)
    inter = max(0.0, w) * max(0.0, h)
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def _record(ctx: ServiceContext, cid: str, image_id: str, ext: str | None) -> IndexRecord:
    with ctx.db.unit_of_work(read_only=True) as uow:
        record = uow.index_records.get(cid, image_id, ext)
    if record is None:
        raise ResourceNotFoundException("That photo is not indexed in this collection.")
    return record


def _decode_source(record: IndexRecord) -> DecodedImage:
    """The photo as the pipeline decoded it, from its file; refused if the file changed."""
    from facedesk.service.working_image import decode_file_bytes

    if not record.source_path:
        raise InvalidParameterException("This photo was indexed from bytes: no file to read.")
    try:
        data = Path(record.source_path).read_bytes()
    except OSError as e:
        raise InvalidParameterException(f"Cannot read {record.source_path}: {e}") from e
    image = decode_file_bytes(data)
    if ids.image_id(image.sha256) != record.image_id:
        raise InvalidParameterException(
            f"{record.source_path} changed since it was indexed; index it again first."
        )
    return image


def _write(
    ctx: ServiceContext,
    record: IndexRecord,
    *,
    added: list[StoredFace],
    removed: list[str],
    thumbnails: dict[str, bytes] | None = None,
) -> None:
    cid = record.collection_id
    with ctx.db.unit_of_work() as uow:
        uow.collections.ensure(cid)
        if removed:
            linked = [f.face_id for f in uow.faces.get_many(cid, removed) if f.user_id]
            if linked:
                raise InvalidParameterException(
                    "That face belongs to a person: take it out of the person first."
                )
            uow.faces.delete_many(cid, removed)
        if added:
            uow.faces.add_many(added, thumbnails or None)
        uow.index_records.add(record)
        uow.commit()  # publishes FacesChanged, which keeps the search matrix current


def draw_face(
    ctx: ServiceContext,
    collection_id: str,
    image_id: str,
    ext: str | None,
    box: BoundingBox,
    min_presence: float = 0.0,
) -> dict[str, Any]:
    """Store the face inside ``box`` (ratios of the photo as shown); returns its FaceRecord.

    A person drawing vouches for the face; a box from elsewhere (a region another program
    wrote) may ask for ``min_presence``, the face-presence score the box must reach."""
    from facedesk.engine import face_thumbnail_jpeg
    from facedesk.engine.versions import CNN_VERSION

    _check_mostly_inside(box)
    record = _record(ctx, collection_id, image_id, ext)
    image = _decode_source(record)
    attributes = expand_attributes(record.settings.get("DetectionAttributes") or ["DEFAULT"])
    version = ctx.collection_version(collection_id)  # a drawn face joins the collection's model
    try:
        face = ctx.analyzer.measure_box(
            image, box, attributes=attributes, mesh_pose=version == CNN_VERSION
        )
    except ValueError as e:
        raise InvalidParameterException(f"No face could be measured there: {e}.") from e
    if face.extras.get("face_presence", 1.0) < min_presence:
        raise InvalidParameterException("No face was found in that box.")
    face_id = ids.face_id(image.sha256, version, ext, box)
    for known in record.response.get("FaceRecords", []):
        if _iou(BoundingBox.from_dict(known["Face"]["BoundingBox"]), box) > 0.5:
            raise InvalidParameterException("That face is already stored.")
    stored = StoredFace(
        face_id=face_id,
        collection_id=collection_id,
        image_id=image_id,
        external_image_id=ext,
        bounding_box=box,
        confidence=face.confidence,
        model_version=version,
        embedding=face.descriptor,
        indexed_at=datetime.now(UTC),
    )
    face_record = {"Face": stored.to_face_dict(), "FaceDetail": face_detail(face, attributes)}
    measurement = _drawn_measurement(face_id, face, image)
    thumbs = {face_id: face_thumbnail_jpeg(image, face.box)} if ctx.store_thumbnails else None
    _write(
        ctx,
        _with_face(record, face_record, measurement),
        added=[stored],
        removed=[],
        thumbnails=thumbs,
    )
    return face_record


def _check_mostly_inside(box: BoundingBox) -> None:
    inside = BoundingBox(
        left=max(box.left, 0.0),
        top=max(box.top, 0.0),
        width=min(box.left + box.width, 1.0) - max(box.left, 0.0),
        height=min(box.top + box.height, 1.0) - max(box.top, 0.0),
    )
    if inside.width <= 0 or inside.height <= 0 or inside.area < 0.5 * box.area:
        raise InvalidParameterException("Draw the box on the photo: most of it is outside.")


def _drawn_measurement(face_id: str, face: DetectedFace, image: DecodedImage) -> dict[str, Any]:
    measure = quality.FaceMeasure.of(face, image.width, image.height)
    return {
        "face_id": face_id,
        "indexed": True,
        "reasons": [],
        **measure.to_dict(),
        **dict(face.extras),
        "user_drawn": True,
    }


def _rebuilt(
    record: IndexRecord,
    faces: list[dict[str, Any]],
    unindexed: list[dict[str, Any]],
    measurements: list[Mapping[str, Any]],
    settings: Mapping[str, Any] | None = None,
) -> IndexRecord:
    """``record`` with these FaceRecords, UnindexedFaces and measurements (in that order),
    the counts that follow from them, and ``settings`` if given. Empty lists are left out
    of the stored response, as IndexFaces stored them (``stored_response`` adds them back)."""
    response = {
        k: v for k, v in record.response.items() if k not in ("FaceRecords", "UnindexedFaces")
    }
    if faces:
        response["FaceRecords"] = faces
    if unindexed:
        response["UnindexedFaces"] = unindexed
    return replace(
        record,
        response=response,
        settings=record.settings if settings is None else settings,
        measurements=tuple(measurements),
        face_count=len(faces),
        unindexed_count=len(unindexed),
    )


def _lists(record: IndexRecord) -> tuple[list[Any], list[Any], list[Mapping[str, Any]]]:
    """Copies of the record's FaceRecords, UnindexedFaces and measurements, to edit."""
    response = record.response
    return (
        list(response.get("FaceRecords", [])),
        list(response.get("UnindexedFaces", [])),
        list(record.measurements),
    )


def _with_face(record: IndexRecord, face_record: dict[str, Any], m: dict[str, Any]) -> IndexRecord:
    faces, unindexed, measurements = _lists(record)
    measurements.insert(len(faces), m)  # indexed faces' measurements come first
    return _rebuilt(record, [*faces, face_record], unindexed, measurements)


def not_a_face(
    ctx: ServiceContext, collection_id: str, image_id: str, ext: str | None, box: dict[str, float]
) -> None:
    """Remove the detection at ``box`` (indexed or not) and remember it as not a face."""
    record = _record(ctx, collection_id, image_id, ext)
    faces, unindexed, measurements = _lists(record)
    removed: list[str] = []
    entry: dict[str, Any]
    i = next((i for i, r in enumerate(faces) if _same_box(r["FaceDetail"]["BoundingBox"], box)), -1)
    if i >= 0:
        gone = faces.pop(i)
        removed.append(gone["Face"]["FaceId"])
        with ctx.db.unit_of_work(read_only=True) as uow:
            stored = uow.faces.get_many(collection_id, removed)
        embedding = [float(v) for v in stored[0].embedding] if stored else []
        entry = {"FaceRecord": gone, "Measurement": measurements.pop(i), "Embedding": embedding}
    else:
        j = next(
            (j for j, u in enumerate(unindexed) if _same_box(u["FaceDetail"]["BoundingBox"], box)),
            -1,
        )
        if j < 0:
            raise ResourceNotFoundException("No face of this photo has that box.")
        entry = {"Unindexed": unindexed.pop(j), "Measurement": measurements.pop(len(faces) + j)}
    settings = dict(record.settings)
    settings["NotFaces"] = [*settings.get("NotFaces", []), {"Box": dict(box), **entry}]
    edited = _rebuilt(record, faces, unindexed, measurements, settings)
    _write(ctx, edited, added=[], removed=removed)


def undo_not_a_face(
    ctx: ServiceContext, collection_id: str, image_id: str, ext: str | None, box: dict[str, float]
) -> None:
    """Put back the detection last marked "not a face" at ``box``, with its FaceId."""
    record = _record(ctx, collection_id, image_id, ext)
    settings = dict(record.settings)
    marked = list(settings.get("NotFaces", []))
    k = next((k for k in range(len(marked) - 1, -1, -1) if _same_box(marked[k]["Box"], box)), -1)
    if k < 0:
        raise ResourceNotFoundException("No face at that box was marked as not a face.")
    entry = marked.pop(k)
    settings["NotFaces"] = marked
    added: list[StoredFace] = []
    if "FaceRecord" in entry:
        face = entry["FaceRecord"]["Face"]
        added.append(
            StoredFace(
                face_id=face["FaceId"],
                collection_id=collection_id,
                image_id=image_id,
                external_image_id=ext,
                bounding_box=BoundingBox.from_dict(face["BoundingBox"]),
                confidence=float(face["Confidence"]),
                model_version=str(face.get("IndexFacesModelVersion", "")),
                embedding=np.asarray(entry["Embedding"], dtype=np.float32),
                indexed_at=datetime.now(UTC),
            )
        )
        edited = _with_face(
            replace(record, settings=settings), entry["FaceRecord"], entry["Measurement"]
        )
    else:
        faces, unindexed, measurements = _lists(record)
        unindexed.append(entry["Unindexed"])
        measurements.append(entry["Measurement"])
        edited = _rebuilt(record, faces, unindexed, measurements, settings)
    _write(ctx, edited, added=added, removed=[])


def remove_drawn_face(
    ctx: ServiceContext, collection_id: str, image_id: str, ext: str | None, face_id: str
) -> None:
    """Undo of draw_face: the face goes, and nothing is remembered about it."""
    record = _record(ctx, collection_id, image_id, ext)
    faces, unindexed, measurements = _lists(record)
    i = next((i for i, r in enumerate(faces) if r["Face"]["FaceId"] == face_id), -1)
    if i < 0 or not measurements[i].get("user_drawn"):
        raise ResourceNotFoundException("No face drawn by hand has that FaceId.")
    faces.pop(i)
    measurements.pop(i)
    _write(ctx, _rebuilt(record, faces, unindexed, measurements), added=[], removed=[face_id])


def carry_over(
    old: IndexRecord, new: IndexRecord, stored: list[StoredFace]
) -> tuple[IndexRecord, list[StoredFace], set[str]]:
    """A photo analysed again (other settings) keeps what a person said about it: faces
    drawn by hand stay (returned as FaceIds to keep), and detections marked "not a face"
    stay out of the new record and of the faces to store."""
    not_faces = [BoundingBox.from_dict(n["Box"]) for n in old.settings.get("NotFaces", [])]

    def wanted(detail: Mapping[str, Any]) -> bool:
        box = BoundingBox.from_dict(detail["BoundingBox"])
        return all(_iou(box, n) <= 0.5 for n in not_faces)

    faces, unindexed, measures = _lists(new)
    keep_f = [wanted(r["FaceDetail"]) for r in faces]
    keep_u = [wanted(u["FaceDetail"]) for u in unindexed]
    kept_measures = [m for m, k in zip(measures, keep_f + keep_u, strict=False) if k]
    faces = [r for r, k in zip(faces, keep_f, strict=True) if k]
    unindexed = [u for u, k in zip(unindexed, keep_u, strict=True) if k]
    dropped = {
        r["Face"]["FaceId"]
        for r, k in zip(new.response.get("FaceRecords", []), keep_f, strict=True)
        if not k
    }
    stored = [f for f in stored if f.face_id not in dropped]
    drawn: set[str] = set()
    for i, r in enumerate(old.response.get("FaceRecords", [])):
        if i < len(old.measurements) and old.measurements[i].get("user_drawn"):
            faces.append(r)
            kept_measures.insert(len(faces) - 1, old.measurements[i])
            drawn.add(r["Face"]["FaceId"])
    settings = dict(new.settings)
    if old.settings.get("NotFaces"):
        settings["NotFaces"] = old.settings["NotFaces"]
    return _rebuilt(new, faces, unindexed, kept_measures, settings), stored, drawn
