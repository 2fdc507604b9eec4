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
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.service.context import ServiceContext
from facedesk.service.file_results import FileResult, IndexOptions
from facedesk.service.pipeline import run_pipeline, start_analysis_early

__all__ = [
    "IMAGE_SUFFIXES",
    "FileResult",
    "IndexOptions",
    "expand_paths",
    "iter_index_files",
    "start_analysis_early",
]

# Folder scans take these. HEIC/HEIF/AVIF cannot be decoded, but a phone's photo folder is
# full of them: each gets an error result naming its format instead of vanishing silently.
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
    | {".heic", ".heif", ".hif", ".avif"}
)


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
    """One ProgressEvent per file, in completion order, ``result`` a FileResult.

    ``paths`` are files and folders; folders are walked here, once.
    """
    yield from run_pipeline(
        ctx, collection_id, expand_paths(paths), options or IndexOptions(), cancel
    )
