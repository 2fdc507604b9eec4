"""Import face regions that digiKam, Lightroom, Picasa (or facedesk) wrote, as named people.

For each photo: its regions come from the first of digiKam's sidecar (``photo.jpg.xmp``),
Lightroom's (``photo.xmp``) and the photo itself that has any; MWG-RS wins over Microsoft's
regions in the same file. Each named face region is matched to the face facedesk detected
that overlaps it most (IoU, each face taken once); the region's name becomes the person's
display name, an existing person of that name is reused, and a new one gets a UserId made
from the name (``Joe Biden`` -> ``Joe_Biden``). Regions with no detected face are reported.

A face that already belongs to another person is left as it is and reported (the user's
own naming wins over a file's). One transaction per photo; the receipt of the whole import
lists every person made and face assigned, and ``undo_import`` reverses them in one
transaction (faces named since by someone else are left alone).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facedesk.core.errors import ClientError
from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.core.regions import (
    applied_to_oriented,
    from_stored,
    iou,
    match_regions,
)
from facedesk.core.types import BoundingBox, StoredFace
from facedesk.service.context import ServiceContext
from facedesk.service.face_edits import remove_drawn_face
from facedesk.service.indexing import expand_paths
from facedesk.service.people import ensure_person_in

# Below this overlap a region and a detected face are not the same face. digiKam's and
# Picasa's boxes are drawn tighter or looser than dlib's; 0.3 keeps those and still refuses
# a neighbour's face in a group photo (tested on the dev photos).
MIN_IOU = 0.3
# A named region with no detected face is indexed from its box when the face-presence
# check sees a face there at all: a portrait turned 55 degrees in the picture scores 0.44
# (below the detector's 0.5 bar), a patch of background 0.00006 (measured 2026-12-02).
REGION_MIN_PRESENCE = 0.1


@dataclass
class ImportReceipt:
    """What one import changed, enough to reverse it: an accumulator, filled photo by photo."""

    collection_id: str
    created_users: list[str] = field(default_factory=list)
    assigned: list[tuple[str, str]] = field(default_factory=list)  # (face_id, user_id)
    # faces indexed from a region's box: (image_id, external_image_id, face_id)
    drawn: list[tuple[str, str | None, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "CollectionId": self.collection_id,
            "CreatedUsers": list(self.created_users),
            "Assigned": [{"FaceId": f, "UserId": u} for f, u in self.assigned],
            "Drawn": [{"ImageId": i, "ExternalImageId": e, "FaceId": f} for i, e, f in self.drawn],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReceipt:
        return cls(
            collection_id=str(data["CollectionId"]),
            created_users=[str(u) for u in data.get("CreatedUsers", [])],
            assigned=[(str(a["FaceId"]), str(a["UserId"])) for a in data.get("Assigned", [])],
            drawn=[
                (str(d["ImageId"]), d.get("ExternalImageId"), str(d["FaceId"]))
                for d in data.get("Drawn", [])
            ],
        )


def region_sources(photo: Path) -> list[Path]:
    """Where digiKam, Lightroom/darktable and embedding programs put a photo's regions."""
    return [photo.with_name(photo.name + ".xmp"), photo.with_suffix(".xmp"), photo]


def _box_dict(box: BoundingBox) -> dict[str, float]:
    return {k: round(v, 6) for k, v in box.to_dict().items()}


def _read(photo: Path) -> tuple[Path | None, list[tuple[str | None, BoundingBox]]]:
    """The first source with regions, and its Face regions in facedesk's coordinates."""
    from facedesk.engine.xmp_files import photo_facts, read_regions

    facts = photo_facts(photo)
    for source in region_sources(photo):
        if not source.exists():
            continue
        found = read_regions(source)
        faces = [r for r in found.regions if r.type == "Face"]
        if not faces:
            continue
        stored = (facts.width, facts.height)
        orientation = facts.orientation
        if applied_to_oriented(found.applied_to, stored, orientation):
            orientation = 1  # measured on the displayed picture already
        return source, [(r.name, from_stored(r.box, orientation)) for r in faces]
    return None, []


def _import_one(
    ctx: ServiceContext, collection_id: str, photo: Path, receipt: ImportReceipt
) -> dict[str, Any]:
    result: dict[str, Any] = {"File": str(photo)}
    with ctx.db.unit_of_work(read_only=True) as uow:
        uow.collections.ensure(collection_id)
        record = uow.index_records.find_by_source(collection_id, str(photo))
    if record is None:
        return {**result, "Status": "error", "Error": f"{photo} is not indexed in {collection_id}"}
    source, regions = _read(photo)
    result["Source"] = None if source is None else str(source)
    named = [(name, box) for name, box in regions if name]
    assigned: list[dict[str, Any]] = []
    unmatched: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    made: list[str] = []
    pairs: list[tuple[str, str]] = []
    with ctx.db.unit_of_work() as uow:
        faces: list[StoredFace] = uow.faces.by_image(
            collection_id, record.image_id, record.external_image_id
        )
        matches = match_regions([box for _, box in named], [f.bounding_box for f in faces], MIN_IOU)
        for (name, box), index in zip(named, matches, strict=True):
            if index is None:
                unmatched.append({"Name": name, "BoundingBox": _box_dict(box)})
                continue
            face = faces[index]
            person, created = ensure_person_in(uow, collection_id, name)
            if created:
                made.append(person.user_id)
            entry = {
                "Name": person.name,
                "UserId": person.user_id,
                "FaceId": face.face_id,
                "IoU": round(iou(box, face.bounding_box), 3),
            }
            if face.user_id is None:
                uow.faces.set_user(collection_id, [face.face_id], person.user_id)
                pairs.append((face.face_id, person.user_id))
                assigned.append(entry)
            elif face.user_id == person.user_id:
                assigned.append({**entry, "Already": True})
            else:
                conflicts.append({**entry, "FaceUserId": face.user_id})
        uow.commit()
    _draw_unmatched(ctx, collection_id, record, receipt, unmatched, assigned, made, pairs)
    receipt.created_users.extend(made)
    receipt.assigned.extend(pairs)
    result.update(
        Status="imported",
        Regions=len(regions),
        Unnamed=len(regions) - len(named),
        Assigned=assigned,
        Unmatched=unmatched,
        Conflicts=conflicts,
        CreatedUsers=made,
    )
    return result


def _draw_unmatched(
    ctx: ServiceContext,
    collection_id: str,
    record: Any,
    receipt: ImportReceipt,
    unmatched: list[dict[str, Any]],
    assigned: list[dict[str, Any]],
    made: list[str],
    pairs: list[tuple[str, str]],
) -> None:
    """Regions with no detected face under them: index each region's own box, moving it
    from ``unmatched`` to ``assigned`` when a face is measured there."""
    for region in list(unmatched):
        drawn = _draw_region(ctx, collection_id, record, region)
        if drawn is None:
            continue
        unmatched.remove(region)
        person, created, face_id = drawn
        made += [person.user_id] if created else []
        pairs.append((face_id, person.user_id))
        receipt.drawn.append((record.image_id, record.external_image_id, face_id))
        assigned.append(
            {"Name": person.name, "UserId": person.user_id, "FaceId": face_id, "Drawn": True}
        )


def _draw_region(
    ctx: ServiceContext, collection_id: str, record: Any, region: dict[str, Any]
) -> tuple[Any, bool, str] | None:
    """Index a named region's box as a face and name it; None (and a reason on the region)
    when no face can be measured there."""
    from facedesk.service.face_edits import draw_face

    box = BoundingBox.from_dict(region["BoundingBox"])
    try:
        face = draw_face(
            ctx,
            collection_id,
            record.image_id,
            record.external_image_id,
            box,
            min_presence=REGION_MIN_PRESENCE,
        )
    except ClientError as exc:
        region["Reason"] = exc.response["Error"]["Message"]
        return None
    face_id = str(face["Face"]["FaceId"])
    with ctx.db.unit_of_work() as uow:
        person, created = ensure_person_in(uow, collection_id, region["Name"])
        uow.faces.set_user(collection_id, [face_id], person.user_id)
        uow.commit()
    return person, created, face_id


def iter_import_xmp(
    ctx: ServiceContext,
    collection_id: str,
    paths: Sequence[str | os.PathLike[str]],
    receipt: ImportReceipt,
    cancel: CancelToken | None = None,
) -> Iterator[ProgressEvent]:
    """One ProgressEvent per photo (files and folders, recursive); ``result`` is a JSON-able
    dict with ``Status`` "imported" or "error". ``receipt`` collects what changed."""
    from facedesk.engine.xmp_files import XmpError

    files = expand_paths(paths)
    for done, photo in enumerate(files, start=1):
        if cancel is not None and cancel.cancelled:
            return
        try:
            result = _import_one(ctx, collection_id, photo, receipt)
        except (XmpError, OSError, ValueError, ClientError) as exc:  # this photo only
            result = {"File": str(photo), "Status": "error", "Error": str(exc)}
        yield ProgressEvent(done=done, total=len(files), item=str(photo), result=result)


def undo_import(ctx: ServiceContext, receipt: ImportReceipt) -> dict[str, int]:
    """Reverse one import in one transaction: faces it assigned (and still with that person)
    lose the person; people it made and that have no faces left are deleted."""
    cid = receipt.collection_id
    with ctx.db.unit_of_work() as uow:
        uow.collections.ensure(cid)
        by_user: dict[str, list[str]] = {}
        for face_id, user_id in receipt.assigned:
            by_user.setdefault(user_id, []).append(face_id)
        released = 0
        for user_id, face_ids in by_user.items():
            current = {f.face_id: f.user_id for f in uow.faces.get_many(cid, face_ids)}
            still = [f for f in face_ids if current.get(f) == user_id]
            if still:
                released += uow.faces.set_user(cid, still, None)
        uow.commit()
    removed = 0
    for image_id, external_image_id, face_id in receipt.drawn:  # faces indexed from regions
        try:
            remove_drawn_face(ctx, cid, image_id, external_image_id, face_id)
            removed += 1
        except ClientError:  # named by someone since, or gone already: left as it is
            continue
    with ctx.db.unit_of_work() as uow:
        deleted = 0
        for user_id in dict.fromkeys(receipt.created_users):
            if not uow.users.face_ids(cid, user_id) and uow.users.delete(cid, user_id):
                deleted += 1
        uow.commit()
    return {"FacesReleased": released, "DrawnFacesRemoved": removed, "UsersDeleted": deleted}
