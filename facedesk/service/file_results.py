"""What a batch of files is indexed with (IndexOptions) and what each file comes to
(FileResult), with the small functions that turn a file's fate into its result.

Below both ``indexing`` (the public entry) and ``pipeline`` (the threads), so neither
imports the other to name a result.
"""

from __future__ import annotations

import logging
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from facedesk.core.errors import ClientError
from facedesk.service.context import ServiceContext
from facedesk.service.index_faces import IndexOutcome, IndexRequest, SourceInfo, same_settings

log = logging.getLogger(__name__)

# ExternalImageId's pattern is ``[a-zA-Z0-9_.\-:]+`` (Rekognition API reference; ':' is
# allowed here, unlike in CollectionId): everything else in a file name becomes '_'.
_INVALID_ID_CHARS = re.compile(r"[^a-zA-Z0-9_.\-:]")
_EXTERNAL_IMAGE_ID_MAX = 255


@dataclass(frozen=True)
class IndexOptions:
    max_faces: int | None = None
    quality_filter: str = "AUTO"
    detection_attributes: tuple[str, ...] = ("DEFAULT",)
    detector: str = "hog"  # FaceModelVersion 1.0's detector; 7.0 collections use theirs
    model_version: str | None = None  # set by the pipeline from the collection
    external_image_id_from_filename: bool = True
    skip_unchanged: bool = True
    workers: int | None = None  # analysis threads; None = one per core
    # True: one analysis runs in this process and starts at once (the CLI). False: every
    # analysis runs in a child process, because dlib holds the GIL while it works and would
    # starve this process's other threads, such as a GUI's event loop, for 0.5 s at a time.
    local_analysis: bool = True

    def request(self, external_image_id: str | None) -> IndexRequest:
        return IndexRequest(
            external_image_id=external_image_id,
            max_faces=self.max_faces,
            quality_filter=self.quality_filter,
            detection_attributes=self.detection_attributes,
            detector=self.detector,
            model_version=self.model_version,
        )

    def settings_key(self) -> dict[str, object]:
        """The settings that change what IndexFaces stores; a change means re-index."""
        return self.request(None).settings(self.detector)


@dataclass(frozen=True)
class FileResult:
    path: str
    status: str  # "indexed" | "unchanged" | "error" (one word in the CLI and the app)
    image_id: str | None = None
    external_image_id: str | None = None
    indexed: int = 0
    unindexed: int = 0
    error_code: str | None = None
    message: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def external_image_id_for(path: Path) -> str:
    """The file name made valid for ExternalImageId's pattern ``[a-zA-Z0-9_.\\-:]+``."""
    name = _INVALID_ID_CHARS.sub("_", path.name)[:_EXTERNAL_IMAGE_ID_MAX]
    return name or "_"


class NotARegularFileError(OSError):
    """A FIFO, socket or device named like a photo: reading it could block forever."""


def source_info(path: Path) -> SourceInfo:
    """Size and mtime of a regular file; folders, FIFOs and devices are refused."""
    st = path.stat()
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"{path} is a folder, not an image")
    if not stat.S_ISREG(st.st_mode):
        raise NotARegularFileError(f"{path} is not a regular file (a pipe, socket or device)")
    return SourceInfo(str(path), st.st_size, st.st_mtime)


def unchanged_result(
    ctx: ServiceContext, collection_id: str, source: SourceInfo, options: IndexOptions
) -> FileResult | None:
    """The stored result of a file indexed before with the same size, mtime and settings."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        record = uow.index_records.find_by_source(collection_id, source.path)
    wanted = options.settings_key()
    if (
        record is None
        or record.source_size != source.size
        or record.source_mtime != source.mtime
        or not same_settings(record.settings, wanted)
    ):
        return None
    return FileResult(
        source.path,
        "unchanged",
        image_id=record.image_id,
        external_image_id=record.external_image_id,
        indexed=record.face_count,
        unindexed=record.unindexed_count,
    )


def error_result(path: Path, eid: str | None, exc: BaseException) -> FileResult:
    """A file's failure as a result; the batch goes on."""
    if isinstance(exc, ClientError):
        return FileResult(
            str(path), "error", external_image_id=eid, error_code=exc.code, message=exc.message
        )
    if isinstance(exc, OSError):
        return FileResult(
            str(path),
            "error",
            external_image_id=eid,
            error_code=type(exc).__name__,
            message=exc.strerror or str(exc),
        )
    log.error("indexing %s failed", path, exc_info=exc)
    return FileResult(
        str(path),
        "error",
        external_image_id=eid,
        error_code="InternalServerError",
        message=f"{type(exc).__name__}: {exc}",
    )


def outcome_result(path: Path, eid: str | None, outcome: IndexOutcome) -> FileResult:
    response = outcome.response
    return FileResult(
        str(path),
        "indexed" if outcome.stored else "unchanged",
        image_id=outcome.image_id,
        external_image_id=eid,
        indexed=len(response.get("FaceRecords", [])),
        unindexed=len(response.get("UnindexedFaces", [])),
    )
