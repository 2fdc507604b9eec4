"""The command line: ``aws rekognition``'s commands and flags, answered locally.

Commands and flags are generated from Rekognition's service model as the AWS CLI does
(``IndexFaces`` -> ``index-faces``, ``CollectionId`` -> ``--collection-id``), images come as
``--image-bytes fileb://photo.jpg`` or ``--image '{"Bytes": ...}'``, output is the
response JSON (ISO 8601 timestamps, no ResponseMetadata). List commands follow every
NextToken unless ``--no-paginate`` is given. Exit codes follow AWS CLI v2: 254 for a
service error, 252 for bad command-line input.

Batch: ``facedesk index --collection-id C PATH...`` indexes files and folders with a
progress bar on a terminal and one JSON line per image, continuing past bad files.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from facedesk import __version__
from facedesk.core.errors import ClientError

EXIT_SERVICE_ERROR = 254
EXIT_USAGE = 252
EXIT_ERROR = 255  # AWS CLI v2: any other failure
BATCH_COMMAND = "index"

# Members whose list holds several values given after one flag (AWS CLI style).
_AGGREGATE_KEYS = {
    "list-collections": ("CollectionIds", "FaceModelVersions"),
    "list-faces": ("Faces",),
    "list-users": ("Users",),
}


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def command_names() -> dict[str, str]:
    """CLI command -> client method, for every implemented operation."""
    from facedesk.service.client import operation_names

    return {_kebab(op): method for method, op in operation_names().items()}


def is_cli_invocation(argv: Sequence[str]) -> bool:
    """True when argv names a subcommand (the app opens the GUI otherwise)."""
    from facedesk.cli_people import COMMANDS as PEOPLE_COMMANDS

    commands = set(command_names()) | {BATCH_COMMAND, *PEOPLE_COMMANDS}
    return any(arg in commands for arg in argv) or any(
        arg in ("--version", "-h", "--help") for arg in argv
    )


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2; the AWS CLI uses 252
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _read_blob(value: str) -> bytes:
    if value.startswith("fileb://"):
        return Path(value[len("fileb://") :]).expanduser().read_bytes()
    if value.startswith("file://"):
        return Path(value[len("file://") :]).expanduser().read_bytes()
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise _UsageError("blobs must be fileb://PATH or base64") from exc


def _json_arg(value: str) -> Any:
    if value.startswith(("file://", "fileb://")):
        value = _read_blob(value).decode()
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        # AWS shorthand for flat maps and structures: Key=Value,Key2=Value2
        if "=" in value:
            return dict(part.split("=", 1) for part in value.split(","))
        raise _UsageError(f"expected JSON, got {value!r}") from None


def _decode_images(value: Any) -> Any:
    """Inside --image JSON, Bytes is base64 text (as in the AWS CLI's JSON input)."""
    if isinstance(value, dict) and isinstance(value.get("Bytes"), str):
        return {**value, "Bytes": _read_blob(value["Bytes"])}
    return value


def _add_operation(sub: Any, command: str, operation: str) -> None:
    from facedesk.service.validation import input_shape_name, shape

    parser = sub.add_parser(command, help=f"Rekognition {operation}")
    parser.set_defaults(command=command)
    members = shape(input_shape_name(operation)).get("members", {})
    for member, ref in members.items():
        flag = "--" + _kebab(member)
        kind = shape(ref["shape"])["type"]
        dest = f"param_{member}"
        if kind in ("integer", "long"):
            parser.add_argument(flag, dest=dest, type=int, metavar="INT")
        elif kind in ("float", "double"):
            parser.add_argument(flag, dest=dest, type=float, metavar="FLOAT")
        elif kind == "boolean":
            parser.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction)
        elif kind == "list":
            parser.add_argument(flag, dest=dest, nargs="+", metavar="VALUE")
        elif kind in ("structure", "map"):
            parser.add_argument(flag, dest=dest, type=_json_arg, metavar="JSON")
            if ref["shape"] == "Image":
                parser.add_argument(
                    flag + "-bytes",
                    dest=f"blob_{member}",
                    metavar="fileb://PATH",
                    help="the image file (AWS CLI's --image-bytes)",
                )
        else:
            parser.add_argument(flag, dest=dest, metavar="VALUE")
    if command in _AGGREGATE_KEYS:
        parser.add_argument(
            "--no-paginate",
            action="store_true",
            help="one page only (default: follow NextToken to the end)",
        )


def _add_batch(sub: Any) -> None:
    p = sub.add_parser(BATCH_COMMAND, help="index files and folders (recursive) into a collection")
    p.set_defaults(command=BATCH_COMMAND)
    p.add_argument("--collection-id", required=True)
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--max-faces", type=int)
    p.add_argument(
        "--quality-filter", default="AUTO", choices=["NONE", "AUTO", "LOW", "MEDIUM", "HIGH"]
    )
    p.add_argument("--detection-attributes", nargs="+", default=["DEFAULT"])
    p.add_argument("--detector", choices=["hog", "cnn"], default="hog")
    p.add_argument(
        "--no-external-image-id",
        action="store_true",
        help="do not set ExternalImageId from the file name",
    )
    p.add_argument("--reindex", action="store_true", help="do not skip unchanged files")
    p.add_argument(
        "--create-collection",
        action="store_true",
        help="create the collection if it does not exist",
    )
    p.add_argument("--no-progress", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    from facedesk.service.client import operation_names

    parser = _Parser(
        prog="facedesk",
        description="Local face collections with Amazon Rekognition's API. "
        "Without a command, opens the desktop app.",
    )
    parser.add_argument(
        "--database",
        help="database file or SQLAlchemy URL "
        "(default: $FACEDESK_DATABASE or facedesk.db in the user data folder)",
    )
    parser.add_argument("--version", action="version", version=f"facedesk {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND", parser_class=_Parser)
    for method, operation in operation_names().items():
        _add_operation(sub, _kebab(operation), operation)
        del method
    _add_batch(sub)
    from facedesk.cli_people import add_people_commands

    add_people_commands(sub)
    return parser


def _params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in vars(args).items():
        if value is None:
            continue
        if key.startswith("param_"):
            params[key[len("param_") :]] = _decode_images(value)
        elif key.startswith("blob_"):
            params[key[len("blob_") :]] = {"Bytes": _read_blob(value)}
    return params


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _print_json(data: Any, out: TextIO, indent: int | None = 4) -> None:
    out.write(json.dumps(data, indent=indent, default=_json_default, ensure_ascii=False) + "\n")


def _run_operation(client: Any, command: str, args: argparse.Namespace, out: TextIO) -> int:
    method = getattr(client, command_names()[command])
    params = _params(args)
    aggregate = _AGGREGATE_KEYS.get(command)
    response = method(**params)
    response.pop("ResponseMetadata", None)
    if aggregate and not args.no_paginate and "NextToken" not in params:
        while "NextToken" in response:
            page = method(**{**params, "NextToken": response.pop("NextToken")})
            for key in aggregate:
                response.setdefault(key, []).extend(page.get(key, []))
            if "NextToken" in page:
                response["NextToken"] = page["NextToken"]
    _print_json(response, out)
    return 0


class _Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled, self.start = total, enabled, time.monotonic()

    def update(self, done: int, errors: int) -> None:
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - done) / rate if rate > 0 else 0.0
        width = 30
        filled = int(width * done / self.total) if self.total else width
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
            f"{rate:.1f} img/s ETA {eta:.0f}s errors {errors} "
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def _run_batch(client: Any, args: argparse.Namespace, out: TextIO) -> int:
    from facedesk.service.indexing import IndexOptions, expand_paths

    if args.create_collection:
        with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
            client.create_collection(CollectionId=args.collection_id)
    options = IndexOptions(
        max_faces=args.max_faces,
        quality_filter=args.quality_filter,
        detection_attributes=tuple(args.detection_attributes),
        detector=args.detector,
        external_image_id_from_filename=not args.no_external_image_id,
        skip_unchanged=not args.reindex,
    )
    total = len(expand_paths(args.paths))
    progress = _Progress(total, enabled=sys.stderr.isatty() and not args.no_progress)
    errors = 0
    try:
        for event in client.library.iter_index_files(args.collection_id, args.paths, options):
            result = event.result
            errors += result.status == "error"
            _print_json(result.to_dict(), out, indent=None)
            out.flush()
            progress.update(event.done, errors)
    finally:
        progress.close()
    return 1 if errors else 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    import facedesk

    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    client = facedesk.client(database=args.database, store_thumbnails=args.command == BATCH_COMMAND)
    try:
        if args.command == BATCH_COMMAND:
            return _run_batch(client, args, out)
        from facedesk.cli_people import COMMANDS as PEOPLE_COMMANDS
        from facedesk.cli_people import run_people_command

        if args.command in PEOPLE_COMMANDS:
            return run_people_command(client, args, out)
        return _run_operation(client, args.command, args, out)
    except ClientError as exc:
        sys.stderr.write(f"\n{exc}\n")
        return EXIT_SERVICE_ERROR
    except (_UsageError, OSError) as exc:
        sys.stderr.write(f"facedesk: error: {exc}\n")
        return EXIT_USAGE
    except RuntimeError as exc:
        # A database from a newer facedesk: a message, not a traceback. Imported here so
        # that the CLI's start stays free of SQLAlchemy.
        from facedesk.storage.database import DatabaseVersionError

        if not isinstance(exc, DatabaseVersionError):
            raise
        sys.stderr.write(f"facedesk: error: {exc}\n")
        return EXIT_ERROR
    finally:
        client.close()
