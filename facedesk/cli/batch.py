"""``facedesk index``: files and folders into a collection, one JSON line per file.

The progress bar is tqdm's, on stderr and only on a terminal; each JSON line is written
through tqdm so the bar is cleared first and redrawn after (stdout and stderr often share
the terminal). A missing collection is an error naming ``--create-collection``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from facedesk.cli.exits import EXIT_FILES_FAILED
from facedesk.core.errors import ResourceNotFoundException

BATCH_COMMAND = "index"


def add_batch(sub: Any) -> None:
    p = sub.add_parser(BATCH_COMMAND, help="index files and folders (recursive) into a collection")
    p.set_defaults(command=BATCH_COMMAND)
    p.add_argument("--collection-id", required=True)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--max-faces", type=int)
    p.add_argument(
        "--quality-filter", default="AUTO", choices=["NONE", "AUTO", "LOW", "MEDIUM", "HIGH"]
    )
    p.add_argument("--detection-attributes", nargs="+", default=["DEFAULT"])
    p.add_argument(
        "--detector",
        choices=["hog", "cnn"],
        default="hog",
        help="detector of FaceModelVersion 1.0 collections (7.0 ones always use their CNN)",
    )
    p.add_argument(
        "--no-external-image-id",
        action="store_true",
        help="do not set ExternalImageId from the file name",
    )
    p.add_argument(
        "--reindex", action="store_true", help="index files reported unchanged again as well"
    )
    p.add_argument(
        "--create-collection",
        action="store_true",
        help="create the collection if it does not exist",
    )
    p.add_argument("--no-progress", action="store_true")


def run_batch(client: Any, args: argparse.Namespace, out: TextIO) -> int:
    from facedesk.service.indexing import IndexOptions, expand_paths, start_analysis_early

    # Folders are walked once, here: the files found are the bar's total and the batch.
    files = expand_paths(args.paths)
    # The analysis processes load their models while the database opens (the batch
    # takes them; see service.pipeline.start_analysis_early).
    start_analysis_early(len(files), IndexOptions(detector=args.detector), store_thumbnails=True)
    if args.create_collection:
        with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
            client.create_collection(CollectionId=args.collection_id)
    else:
        try:
            client.describe_collection(CollectionId=args.collection_id)
        except ResourceNotFoundException as exc:
            raise ResourceNotFoundException(
                f"The collection id: {args.collection_id} does not exist; "
                "add --create-collection to create it."
            ).with_operation("DescribeCollection") from exc
    options = IndexOptions(
        max_faces=args.max_faces,
        quality_filter=args.quality_filter,
        detection_attributes=tuple(args.detection_attributes),
        detector=args.detector,
        external_image_id_from_filename=not args.no_external_image_id,
        skip_unchanged=not args.reindex,
    )
    events = client.library.iter_index_files(args.collection_id, files, options)
    errors = write_events(events, len(files), out, args.no_progress)
    return EXIT_FILES_FAILED if errors else 0


def write_events(events: Iterable[Any], total: int, out: TextIO, no_progress: bool) -> int:
    """One JSON line per file result, under a tqdm bar on a terminal; the error count."""
    from tqdm import tqdm

    errors = 0
    bar = tqdm(
        total=total,
        unit="img",
        file=sys.stderr,
        disable=no_progress or not sys.stderr.isatty(),
        leave=False,  # the bar is gone when the batch ends; the JSON lines stay
        dynamic_ncols=True,
    )
    with bar:
        for event in events:
            result = event.result
            errors += result.status == "error"
            line = json.dumps(result.to_dict(), ensure_ascii=False)
            with bar.external_write_mode(file=sys.stderr):
                out.write(line + "\n")
                out.flush()
            if event.total is not None and bar.total != event.total:
                bar.total = event.total
            bar.set_postfix(errors=errors, refresh=False)
            bar.update(event.done - bar.n)
    return errors
