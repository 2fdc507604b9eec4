"""Re-index a collection into a new one with the current face model.

A collection keeps the FaceModelVersion it was created with (Rekognition's rule), so a
library moves to a newer engine by indexing its photos again into a new collection. The
photos come from the source paths the index records kept (the app and ``facedesk index``
store them); an image indexed from bytes (the client API) has no path, and a file moved
or deleted since cannot be read: each of those is reported as a ``SourceNotFound`` error
result and the others are indexed through the normal batch pipeline.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from facedesk.core.errors import InvalidParameterException, ResourceAlreadyExistsException
from facedesk.core.progress import CancelToken, ProgressEvent
from facedesk.service.context import ServiceContext
from facedesk.service.indexing import FileResult, IndexOptions, iter_index_files
from facedesk.service.operations import create_collection

SOURCE_NOT_FOUND = "SourceNotFound"


def iter_reindex(
    ctx: ServiceContext,
    source_collection: str,
    target_collection: str,
    options: IndexOptions | None = None,
    cancel: CancelToken | None = None,
    model_version: str | None = None,
) -> Iterator[ProgressEvent]:
    """One ProgressEvent per source photo: the missing ones first, then the indexed ones.

    The target is created on ``model_version`` (default: the newest) unless it exists;
    an existing target keeps its own version, and files already in it are skipped.
    """
    if source_collection == target_collection:
        raise InvalidParameterException("Re-index into a different collection.")
    with ctx.db.unit_of_work(read_only=True) as uow:
        summaries = uow.index_records.summaries(source_collection)  # ResourceNotFound
    with contextlib.suppress(ResourceAlreadyExistsException):  # it keeps its own version
        create_collection(ctx, {"CollectionId": target_collection}, model_version)
    found: list[Path] = []
    missing: list[FileResult] = []
    seen: set[str] = set()
    for s in summaries:
        if s.source_path is not None and s.source_path in seen:
            continue
        path = Path(s.source_path) if s.source_path else None
        if path is not None and path.is_file():
            seen.add(str(path))
            found.append(path)
            continue
        why = "moved or deleted" if path is not None else "indexed from bytes, no file path"
        missing.append(
            FileResult(
                s.source_path or f"<{s.image_id}>",
                "error",
                image_id=s.image_id,
                external_image_id=s.external_image_id,
                error_code=SOURCE_NOT_FOUND,
                message=f"the photo's source file cannot be read ({why})",
            )
        )
    total = len(missing) + len(found)
    for i, result in enumerate(missing, 1):
        yield ProgressEvent(done=i, total=total, item=result.path, result=result)
    if not found:
        return
    for event in iter_index_files(ctx, target_collection, found, options or IndexOptions(), cancel):
        yield replace(event, done=event.done + len(missing), total=total)
