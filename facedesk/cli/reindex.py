"""``facedesk reindex``: a collection's photos again, from their stored paths, into a new
collection on the current face model; photos that cannot be found are error lines."""

from __future__ import annotations

import argparse
from typing import TextIO

from facedesk.cli.batch import write_events
from facedesk.cli.exits import EXIT_FILES_FAILED


class ReindexCommand:
    name = "reindex"
    help = (
        "index a collection's photos again, from their stored paths, into a new collection "
        "with the current face model; prints the photos it cannot find"
    )
    description = help

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--from-collection", required=True)
        parser.add_argument("--to-collection", required=True)
        parser.add_argument("--face-model-version", choices=["1.0", "7.0"])
        parser.add_argument("--no-progress", action="store_true")

    def run(self, args: argparse.Namespace, out: TextIO) -> int:
        import facedesk

        client = facedesk.client(
            database=args.database,
            store_thumbnails=True,
            face_model_version=args.face_model_version,
        )
        try:
            events = client.library.iter_reindex(
                args.from_collection, args.to_collection, model_version=args.face_model_version
            )
            errors = write_events(events, 0, out, args.no_progress)
        finally:
            client.close()
        return EXIT_FILES_FAILED if errors else 0


REINDEX = ReindexCommand()
