"""Command-line verbs for leaving and entering facedesk: XMP face regions and library bundles.

- ``facedesk export-xmp --collection-id C [--sidecar digikam|lightroom | --embed]
  [--skip-unnamed] [PATH...]``: one JSON line per photo;
- ``facedesk import-xmp --collection-id C [--receipt FILE] PATH...``: one JSON line per
  photo, then a summary line; ``--receipt`` saves what the import changed, and
  ``facedesk undo-import-xmp FILE`` reverses it;
- ``facedesk export-library FILE [--collection-id C ...]`` and
  ``facedesk import-library FILE [--rename-on-clash]``: the portable bundle.

Registered by ``facedesk.cli``; kept apart so that the AWS-style commands stay small.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

EXPORT_XMP = "export-xmp"
IMPORT_XMP = "import-xmp"
UNDO_IMPORT_XMP = "undo-import-xmp"
EXPORT_LIBRARY = "export-library"
IMPORT_LIBRARY = "import-library"
COMMANDS = frozenset({EXPORT_XMP, IMPORT_XMP, UNDO_IMPORT_XMP, EXPORT_LIBRARY, IMPORT_LIBRARY})


def add_commands(sub: Any) -> None:
    p = sub.add_parser(EXPORT_XMP, help="write faces and names as XMP regions (MWG-RS, Microsoft)")
    p.set_defaults(command=EXPORT_XMP)
    p.add_argument("--collection-id", required=True)
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--sidecar",
        choices=["digikam", "lightroom"],
        default="digikam",
        help="digikam: photo.jpg.xmp (default); lightroom: photo.xmp",
    )
    where.add_argument(
        "--embed",
        action="store_true",
        help="write into the photos themselves (a new copy renamed over each photo)",
    )
    p.add_argument("--skip-unnamed", action="store_true", help="leave out faces of no one")
    p.add_argument("paths", nargs="*", metavar="PATH", help="only photos under these paths")

    p = sub.add_parser(IMPORT_XMP, help="name people from XMP regions (digiKam, Lightroom, ...)")
    p.set_defaults(command=IMPORT_XMP)
    p.add_argument("--collection-id", required=True)
    p.add_argument("--receipt", metavar="FILE", help="save what changed, for undo-import-xmp")
    p.add_argument("paths", nargs="+", metavar="PATH")

    p = sub.add_parser(UNDO_IMPORT_XMP, help="reverse an import-xmp from its receipt")
    p.set_defaults(command=UNDO_IMPORT_XMP)
    p.add_argument("receipt", metavar="FILE")

    p = sub.add_parser(EXPORT_LIBRARY, help="write the whole library to one portable file")
    p.set_defaults(command=EXPORT_LIBRARY)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--collection-id", action="append", default=[], dest="collection_ids")

    p = sub.add_parser(IMPORT_LIBRARY, help="add a portable library file's collections")
    p.set_defaults(command=IMPORT_LIBRARY)
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--rename-on-clash",
        action="store_true",
        help="import a collection whose id exists here as ID_imported (default: refuse)",
    )


def _line(data: Any, out: TextIO) -> None:
    out.write(json.dumps(data, ensure_ascii=False) + "\n")
    out.flush()


def run(client: Any, args: argparse.Namespace, out: TextIO) -> int:
    """Run one of COMMANDS; 0 when every file went well, 1 when any failed."""
    ctx = client.context
    if args.command == EXPORT_XMP:
        from facedesk.service.xmp_export import ExportOptions, iter_export_xmp

        options = ExportOptions(
            target="embed" if args.embed else args.sidecar,
            include_unnamed=not args.skip_unnamed,
        )
        errors = 0
        for event in iter_export_xmp(ctx, args.collection_id, args.paths, options):
            errors += event.result["Status"] == "error"
            _line(event.result, out)
        return 1 if errors else 0
    if args.command == IMPORT_XMP:
        from facedesk.service.xmp_import import ImportReceipt, iter_import_xmp

        receipt = ImportReceipt(args.collection_id)
        errors = 0
        for event in iter_import_xmp(ctx, args.collection_id, args.paths, receipt):
            errors += event.result["Status"] == "error"
            _line(event.result, out)
        summary = receipt.to_dict()
        if args.receipt:
            Path(args.receipt).write_text(json.dumps(summary, indent=1, ensure_ascii=False))
        _line({"Summary": {**summary, "Errors": errors}}, out)
        return 1 if errors else 0
    if args.command == UNDO_IMPORT_XMP:
        from facedesk.service.xmp_import import ImportReceipt, undo_import

        receipt = ImportReceipt.from_dict(json.loads(Path(args.receipt).read_text()))
        _line(undo_import(ctx, receipt), out)
        return 0
    if args.command == EXPORT_LIBRARY:
        from facedesk.service.bundle import export_library

        _line(export_library(ctx, args.file, args.collection_ids), out)
        return 0
    if args.command == IMPORT_LIBRARY:
        from facedesk.service.bundle import import_library

        _line({"Collections": import_library(ctx, args.file, rename=args.rename_on_clash)}, out)
        return 0
    raise ValueError(args.command)
