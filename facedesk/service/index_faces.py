"""IndexFaces: which faces are stored, which are not and why, and the stored record.

The decision is a pure function (``facedesk.service.face_plan.plan``, re-exported here) so
its rules can be tested on their own; this module analyses, shapes and writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from facedesk.core import ids, quality
from facedesk.core.types import (
    DecodedImage,
    DetectedFace,
    ImageInfo,
    IndexRecord,
    StoredFace,
)
from facedesk.service import face_edits
from facedesk.service.context import ServiceContext
from facedesk.service.face_plan import MAX_FACES_PER_IMAGE as MAX_FACES_PER_IMAGE
from facedesk.service.face_plan import PlannedFace, plan
from facedesk.service.shapes import expand_attributes, face_detail


@dataclass(frozen=True)
class SourceInfo:
    """Where an image came from when the app or the batch command indexed a file."""

    path: str
    size: int
    mtime: float


@dataclass(frozen=True)
class IndexRequest:
    """What one IndexFaces call asks for besides the image (the request's parameters)."""

    external_image_id: str | None = None
    max_faces: int | None = None
    quality_filter: str = "AUTO"
    detection_attributes: tuple[str, ...] = ("DEFAULT",)
    detector: str | None = None  # None: the client's detector (FaceModelVersion 1.0 only)
    model_version: str | None = None  # the collection's; None: the context's default

    @property
    def attributes(self) -> frozenset[str]:
        return expand_attributes(self.detection_attributes)

    def settings(self, detector: str) -> dict[str, object]:
        """The settings an index record keeps; a rescan with other settings re-indexes."""
        return {
            "MaxFaces": self.max_faces,
            "QualityFilter": self.quality_filter,
            "DetectionAttributes": list(self.detection_attributes),
            "Detector": detector,
        }


@dataclass(frozen=True)
class IndexOutcome:
    response: dict[str, Any]
    image_id: str
    stored: bool  # False when the same image + ExternalImageId was already indexed


def stored_response(record: IndexRecord, live_face_ids: set[str]) -> dict[str, Any]:
    """The response of an earlier call, without faces deleted since."""
    response = dict(record.response)
    records = [r for r in response.get("FaceRecords", []) if r["Face"]["FaceId"] in live_face_ids]
    # Records stored before the wire-shape rule left empty lists out: put them back.
    return {
        "FaceRecords": records,
        "FaceModelVersion": response["FaceModelVersion"],
        "UnindexedFaces": response.get("UnindexedFaces", []),
    }


@dataclass(frozen=True)
class PreparedIndex:
    """Everything one IndexFaces call will write, computed outside any transaction."""

    collection_id: str
    image_id: str
    external_image_id: str | None
    response: dict[str, Any]
    record: IndexRecord
    info: ImageInfo
    stored: tuple[StoredFace, ...]
    thumbnails: dict[str, bytes]


def index_image(
    ctx: ServiceContext,
    collection_id: str,
    image: DecodedImage,
    request: IndexRequest,
    source: SourceInfo | None = None,
) -> IndexOutcome:
    image_id = ids.image_id(image.sha256)
    existing = existing_outcome(ctx, collection_id, image_id, request.external_image_id)
    if existing is not None:
        return existing
    return commit_index(ctx, prepare_index(ctx, collection_id, image, request, source))


def prepare_index(
    ctx: ServiceContext,
    collection_id: str,
    image: DecodedImage,
    request: IndexRequest,
    source: SourceInfo | None = None,
) -> PreparedIndex:
    """Detect, measure and plan one image; touches no database (safe on any thread)."""
    model_version = request.model_version or ctx.default_version()
    detector = ctx.detector_for(model_version, request.detector)
    faces = ctx.analyzer.analyze(image, detector=detector, attributes=request.attributes)
    planned = plan(faces, image.width, image.height, request.quality_filter, request.max_faces)
    target = _Target(
        collection_id,
        ids.image_id(image.sha256),
        request.external_image_id,
        model_version,
        datetime.now(UTC),
    )
    out = _PlannedFaces(quality.thresholds_table().get(request.quality_filter))
    for p in planned:
        out.add(ctx, target, image, request, p)
    # Faces first, then the unindexed ones: the same order as the measurements.
    out.measurements.sort(key=lambda m: not m["indexed"])
    # Rekognition returns both lists, empty ones included (README: "Wire shape").
    response: dict[str, Any] = {
        "FaceRecords": out.face_records,
        "FaceModelVersion": model_version,
        "UnindexedFaces": out.unindexed,
    }
    settings = _record_settings(request, detector, faces, image)
    record = _index_record(target, response, settings, tuple(out.measurements), source)
    info = ImageInfo(
        target.image_id, image.sha256, image.byte_size, image.width, image.height, image.format
    )
    return PreparedIndex(
        collection_id,
        target.image_id,
        target.external_image_id,
        response,
        record,
        info,
        tuple(out.stored),
        out.thumbnails,
    )


@dataclass(frozen=True)
class _Target:
    """Where one image's faces go: the same for every face of the image."""

    collection_id: str
    image_id: str
    external_image_id: str | None
    model_version: str
    now: datetime


@dataclass
class _PlannedFaces:
    """The lists one image's planned faces are sorted into, filled face by face."""

    thresholds: dict[str, float] | None  # of the request's QualityFilter, in every measurement
    face_records: list[dict[str, Any]] = field(default_factory=list)
    unindexed: list[dict[str, Any]] = field(default_factory=list)
    stored: list[StoredFace] = field(default_factory=list)
    thumbnails: dict[str, bytes] = field(default_factory=dict)
    measurements: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        ctx: ServiceContext,
        target: _Target,
        image: DecodedImage,
        request: IndexRequest,
        p: PlannedFace,
    ) -> None:
        detail = face_detail(p.face, request.attributes)
        face_id = None
        if p.indexed:
            sf = _stored_face(target, image, p.face)
            face_id = sf.face_id
            self.stored.append(sf)
            self.face_records.append({"Face": sf.to_face_dict(), "FaceDetail": detail})
            if ctx.store_thumbnails:
                from facedesk.engine import face_thumbnail_jpeg

                self.thumbnails[face_id] = face_thumbnail_jpeg(image, p.face.box)
        else:
            self.unindexed.append({"Reasons": list(p.reasons), "FaceDetail": detail})
        self.measurements.append(
            {
                "face_id": face_id,
                "indexed": p.indexed,
                "reasons": list(p.reasons),
                **p.measure.to_dict(),
                "detector_score": p.face.detector_score,
                **dict(p.face.extras),
                "quality_filter": request.quality_filter,
                "thresholds": self.thresholds,
            }
        )


def _stored_face(target: _Target, image: DecodedImage, face: DetectedFace) -> StoredFace:
    face_id = ids.face_id(
        image.sha256, target.model_version, target.external_image_id, face.bounding_box
    )
    return StoredFace(
        face_id=face_id,
        collection_id=target.collection_id,
        image_id=target.image_id,
        external_image_id=target.external_image_id,
        bounding_box=face.bounding_box,
        confidence=face.confidence,
        model_version=target.model_version,
        embedding=face.descriptor,
        indexed_at=target.now,
    )


def _record_settings(
    request: IndexRequest, detector: str, faces: Sequence[DetectedFace], image: DecodedImage
) -> dict[str, Any]:
    return {
        **request.settings(detector),
        # Pixels turned without EXIF: the turn (degrees counter-clockwise) that found
        # the faces; absent when the picture was analysed as stored.
        **_turn(faces),
        "Image": {
            "Width": image.width,
            "Height": image.height,
            "Format": image.format,
            "Mode": image.mode,
            "Scale": image.scale,
        },
    }


def _index_record(
    target: _Target,
    response: dict[str, Any],
    settings: dict[str, Any],
    measurements: tuple[dict[str, Any], ...],
    source: SourceInfo | None,
) -> IndexRecord:
    return IndexRecord(
        collection_id=target.collection_id,
        image_id=target.image_id,
        external_image_id=target.external_image_id,
        response=response,
        settings=settings,
        measurements=measurements,
        indexed_at=target.now,
        face_count=len(response["FaceRecords"]),
        unindexed_count=len(response["UnindexedFaces"]),
        source_path=source.path if source else None,
        source_size=source.size if source else None,
        source_mtime=source.mtime if source else None,
    )


def _turn(faces: Sequence[DetectedFace]) -> dict[str, float]:
    turns = {f.extras["turn"] for f in faces if "turn" in f.extras}
    return {"Turn": turns.pop()} if turns else {}


def same_settings(stored: Mapping[str, Any], wanted: Mapping[str, object]) -> bool:
    """Whether a record was made with these settings (IndexRequest.settings keys only)."""
    return {k: stored.get(k) for k in wanted} == dict(wanted)


def commit_index(
    ctx: ServiceContext, prepared: PreparedIndex, replace_other_settings: bool = False
) -> IndexOutcome:
    """Write one prepared image in one transaction (all its faces or none).

    An image already stored under the same ExternalImageId keeps its stored answer
    (Rekognition's dedupe), unless ``replace_other_settings`` and it was indexed with other
    settings: then its record is replaced, faces the new settings no longer keep are deleted
    and new ones added, while faces kept by both (same FaceId) stay as they are, user included.
    The batch and the app do that; the API never does.
    """
    collection_id, image_id = prepared.collection_id, prepared.image_id
    external_image_id = prepared.external_image_id
    stored = list(prepared.stored)
    response, record = prepared.response, prepared.record
    with ctx.unit_of_work() as uow:
        collection = uow.collection(collection_id)
        records, faces = collection.index_records, collection.faces
        records.lock_for_write(image_id, external_image_id)
        # Another writer may have stored the same image meanwhile: theirs wins.
        again = records.get(image_id, external_image_id)
        if again is not None:
            old = faces.by_image(image_id, external_image_id)
            if not replace_other_settings or same_settings(
                again.settings, _request_settings(prepared.record)
            ):
                live = {f.face_id for f in old}
                return IndexOutcome(stored_response(again, live), image_id, stored=False)
            # what a person said about the photo outlives the new analysis
            record, stored, drawn = face_edits.carry_over(again, record, stored)
            old_ids = {f.face_id for f in old}
            new_ids = {f.face_id for f in stored} | drawn
            # Faces the user deleted stay deleted, as on a rescan with the same settings.
            deleted = {r["Face"]["FaceId"] for r in again.response.get("FaceRecords", [])}
            deleted -= old_ids
            faces.delete_many([f.face_id for f in old if f.face_id not in new_ids])
            stored = [f for f in stored if f.face_id not in old_ids | deleted]
            records.delete_for_image(image_id, external_image_id)
            response = stored_response(record, (new_ids & old_ids) | {f.face_id for f in stored})
        uow.images.upsert(prepared.info)
        thumbnails = {
            f.face_id: prepared.thumbnails[f.face_id]
            for f in stored
            if f.face_id in prepared.thumbnails
        }
        faces.add_many(stored, thumbnails if prepared.thumbnails else None)
        records.add(record)
        uow.commit()  # publishes FacesChanged, which keeps the search matrix current
    return IndexOutcome(response, image_id, stored=True)


def _request_settings(record: IndexRecord) -> dict[str, object]:
    return {k: v for k, v in record.settings.items() if k != "Image"}


def existing_outcome(
    ctx: ServiceContext,
    collection_id: str,
    image_id: str,
    external_image_id: str | None,
    settings: Mapping[str, object] | None = None,
) -> IndexOutcome | None:
    """The stored answer for this image and ExternalImageId, if any.

    With ``settings`` (the batch's), a record made with other settings counts as absent.
    """
    with ctx.unit_of_work(read_only=True) as uow:
        collection = uow.collection(collection_id)
        record = collection.index_records.get(image_id, external_image_id)
        if record is None or (
            settings is not None and not same_settings(record.settings, settings)
        ):
            return None
        live = {f.face_id for f in collection.faces.by_image(image_id, external_image_id)}
    return IndexOutcome(stored_response(record, live), image_id, stored=False)
