"""Indexing the user's own files: folders in, one result per file out.

A Qt-free generator shared by the desktop app and ``facedesk index``. Files are read
under relaxed limits (any size; JPEG, PNG, WebP, TIFF, BMP, GIF), each image is one
transaction, a bad file is reported and the batch goes on, and files already indexed
with the same size, modification time and settings are skipped, so an interrupted batch
resumes where it stopped. The work runs on the threaded pipeline of
``facedesk.service.pipeline`` (read ahead, one analysis thread per core, one writer).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.service.context import ServiceContext
from facedesk.service.index_faces import IndexRequest, SourceInfo, same_settings

# Folder scans take these. HEIC/HEIF/AVIF cannot be decoded, but a phone's photo folder is
# full of them: each gets an error result naming its format instead of vanishing silently.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
    | {".heic", ".heif", ".hif", ".avif"}
)
_INVALID_ID_CHARS = re.compile(r"[^a-zA-Z0-9_.\-:]")


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
    name = _INVALID_ID_CHARS.sub("_", path.name)[:255]
    return name or "_"


def expand_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given plus image files found recursively in folders, in a stable order."""
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        if path.is_dir():
            children = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in IMAGE_SUFFIXES
                and not p.name.startswith(".")
                and not p.is_dir()
            )
        else:
            children = [path]
        for child in children:
            if child not in seen:
                seen.add(child)
                found.append(child)
    return found


def iter_index_files(
    ctx: ServiceContext,
    collection_id: str,
    paths: Sequence[str | os.PathLike[str]],
    options: IndexOptions | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[ProgressEvent]:
    """One ProgressEvent per file, in completion order, ``result`` a FileResult."""
    from facedesk.service.pipeline import run_pipeline

    options = options or IndexOptions()
    files = expand_paths(paths)
    yield from run_pipeline(ctx, collection_id, files, options, cancel)


def unchanged_result(
    ctx: ServiceContext, collection_id: str, source: SourceInfo, options: IndexOptions
) -> FileResult | None:
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
