"""``facedesk migrate --from URL --to URL``: a whole library into an empty database."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from facedesk.cli import output
from facedesk.cli.exits import EXIT_ERROR


class MigrateCommand:
    name = "migrate"
    help = "copy a whole library into an empty database (SQLite <-> PostgreSQL), then check it"
    description = (
        "Copies collections, faces with their embeddings, users, index records and "
        "thumbnails into an empty target, in one transaction; refuses a target that holds "
        "anything; then checks row counts and one search per collection on both sides."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--from", dest="from_url", required=True, metavar="URL_OR_FILE")
        parser.add_argument("--to", dest="to_url", required=True, metavar="URL_OR_FILE")

    def run(self, args: argparse.Namespace, out: TextIO) -> int:
        from facedesk.service.migrate import migrate_library

        try:
            summary = migrate_library(args.from_url, args.to_url)
        except (RuntimeError, ValueError) as exc:  # target not empty, check failed, same db
            sys.stderr.write(f"facedesk: error: {exc}\n")
            return EXIT_ERROR
        output.write(output.jsonable(summary), "json", out)
        return 0


MIGRATE = MigrateCommand()
