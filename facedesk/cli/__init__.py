"""The command line: ``aws rekognition``'s commands and flags, answered locally.

Commands and flags are generated from Rekognition's service model as the AWS CLI does
(``IndexFaces`` -> ``index-faces``, ``CollectionId`` -> ``--collection-id``), images come as
``--image-bytes fileb://photo.jpg`` or ``--image '{"Bytes": ...}'``, output is the
response (ISO 8601 timestamps, no ResponseMetadata) in ``--output json|text|table|yaml``,
filtered by ``--query``. List commands follow every NextToken unless ``--no-paginate`` is
given. ``--cli-input-json`` and ``--generate-cli-skeleton`` work as in the AWS CLI. Exit
codes follow AWS CLI v2: 254 for a service error, 252 for bad command-line input, 255 for
any other failure; ``facedesk index`` exits 1 when some files failed (all were tried).

Batch: ``facedesk index --collection-id C PATH...`` (cli/batch.py).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO

from facedesk import __version__
from facedesk.cli import output, params, people, xmp
from facedesk.cli.batch import BATCH_COMMAND, add_batch, run_batch

# Re-exported: scripts and tests read the exit codes from facedesk.cli.
from facedesk.cli.exits import EXIT_ERROR as EXIT_ERROR
from facedesk.cli.exits import EXIT_SERVICE_ERROR as EXIT_SERVICE_ERROR
from facedesk.cli.exits import EXIT_USAGE as EXIT_USAGE
from facedesk.core.errors import ClientError

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


class Subcommand(Protocol):
    """A command another adapter contributes (``serve``): the composition root plugs it in,
    so the CLI does not import its sibling adapters."""

    name: str
    help: str
    description: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, out: TextIO) -> int: ...


def _builtin_commands() -> tuple[Subcommand, ...]:
    """facedesk's own commands beside Rekognition's, each in its module."""
    from facedesk.cli.migrate import MIGRATE
    from facedesk.cli.reindex import REINDEX

    return (MIGRATE, REINDEX)


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2; the AWS CLI uses 252
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


_FILE_SCHEMES = ("fileb://", "file://")  # the AWS CLI's: a file's bytes, a file's text


def _read_blob(value: str) -> bytes:
    for scheme in _FILE_SCHEMES:
        if value.startswith(scheme):
            return Path(value[len(scheme) :]).expanduser().read_bytes()
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise _UsageError("blobs must be fileb://PATH or base64") from exc


def _text_arg(value: str) -> str:
    """The value, or the text of the file it names (file:// or fileb://)."""
    return _read_blob(value).decode() if value.startswith(_FILE_SCHEMES) else value


def _json_arg(value: str) -> Any:
    value = _text_arg(value)
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

    doc = params.operation_doc(operation)
    parser = sub.add_parser(
        command,
        help=f"Rekognition {operation}",
        description=doc.replace("%", "%%"),
        parents=[_global_options(suppress=True)],
    )
    parser.set_defaults(command=command, operation=operation)
    members = shape(input_shape_name(operation)).get("members", {})
    required = set(params.required_members(operation))
    for member, ref in members.items():
        # Required members are checked after --cli-input-json is merged, as the AWS CLI
        # does, so argparse does not enforce them; --help marks them.
        help_text = params.member_help(operation, member, member in required)
        _add_member(parser, member, ref["shape"], help_text)
    parser.add_argument(
        "--cli-input-json",
        metavar="JSON",
        help="the request as JSON text or file://PATH; flags given as well take precedence",
    )
    parser.add_argument(
        "--generate-cli-skeleton",
        nargs="?",
        const="input",
        choices=["input", "output"],
        help="print a JSON skeleton of the request (or 'output': of the response) and exit",
    )
    if command == "create-collection":  # facedesk's extension: the engine to create it on
        from facedesk.service.versions import VERSIONS

        parser.add_argument(
            "--face-model-version",
            choices=list(VERSIONS),
            help="1.0: dlib HOG; 7.0: libfacedetection CNN (default: the newest installed)",
        )
    if command in _AGGREGATE_KEYS:
        parser.add_argument(
            "--no-paginate",
            action="store_true",
            help="one page only (default: follow NextToken to the end)",
        )


def _add_member(
    parser: argparse.ArgumentParser, member: str, shape_name: str, help_text: str
) -> None:
    """One flag for one request member, typed by the member's shape."""
    from facedesk.service.validation import shape

    flag = "--" + _kebab(member)
    kind = shape(shape_name)["type"]
    common: dict[str, Any] = {"dest": f"param_{member}", "help": help_text}
    if kind in ("integer", "long"):
        parser.add_argument(flag, type=int, metavar="INT", **common)
    elif kind in ("float", "double"):
        parser.add_argument(flag, type=float, metavar="FLOAT", **common)
    elif kind == "boolean":
        parser.add_argument(flag, action=argparse.BooleanOptionalAction, **common)
    elif kind == "list":
        parser.add_argument(flag, nargs="+", metavar="VALUE", **common)
    elif kind in ("structure", "map"):
        parser.add_argument(flag, type=_json_arg, metavar="JSON", **common)
        if shape_name == "Image":
            parser.add_argument(
                flag + "-bytes",
                dest=f"blob_{member}",
                metavar="fileb://PATH",
                help="the image file (AWS CLI's --image-bytes)",
            )
    else:
        parser.add_argument(flag, metavar="VALUE", **common)


def _global_options(suppress: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the command, as the AWS CLI takes them. On the
    subcommands their default is SUPPRESS so they do not overwrite a value given earlier."""
    p = argparse.ArgumentParser(add_help=False)

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    p.add_argument(
        "--output",
        choices=output.FORMATS,
        default=default("json"),
        help="response format (default: json)",
    )
    p.add_argument(
        "--query", default=default(None), help="JMESPath expression applied to the response"
    )
    p.add_argument(
        "--region",
        default=default(None),
        help="accepted and ignored: facedesk is local (ARNs say region 'local')",
    )
    p.add_argument(
        "--profile",
        default=default(None),
        help="accepted and ignored: facedesk needs no AWS credentials",
    )
    return p


def build_parser(extra: Sequence[Subcommand] = ()) -> argparse.ArgumentParser:
    from facedesk.service.client import operation_names

    parser = _Parser(
        prog="facedesk",
        description="Local face collections with Amazon Rekognition's API. "
        "Without a command, opens the desktop app.",
        epilog="Exit codes: 0 success; 1 'index' finished but some files failed; "
        "252 bad command-line input; 254 a service error (the Rekognition error code is "
        "printed); 255 any other failure.",
        parents=[_global_options(suppress=False)],
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
    add_batch(sub)
    xmp.add_commands(sub)
    people.add_people_commands(sub)
    for command in (*_builtin_commands(), *extra):
        p = sub.add_parser(command.name, help=command.help, description=command.description)
        p.set_defaults(command=command.name)
        command.add_arguments(p)
    return parser


def _params(args: argparse.Namespace) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    if getattr(args, "cli_input_json", None):
        text = _text_arg(args.cli_input_json)
        try:
            merged = {k: _decode_images(v) for k, v in params.load_input_json(text).items()}
        except ValueError as exc:
            raise _UsageError(str(exc)) from None
    for key, value in vars(args).items():
        if value is None:
            continue
        if key.startswith("param_"):
            merged[key[len("param_") :]] = _decode_images(value)
        elif key.startswith("blob_"):
            merged[key[len("blob_") :]] = {"Bytes": _read_blob(value)}
    missing = [m for m in params.required_members(args.operation) if m not in merged]
    if missing:
        flags = ", ".join("--" + _kebab(m) for m in missing)
        raise _UsageError(f"the following arguments are required: {flags}")
    return merged


def _run_operation(client: Any, command: str, args: argparse.Namespace, out: TextIO) -> int:
    if args.generate_cli_skeleton:
        which = args.generate_cli_skeleton
        skeleton = (params.input_skeleton if which == "input" else params.output_skeleton)(
            args.operation
        )
        output.write(skeleton, "json", out)
        return 0
    method = getattr(client, command_names()[command])
    request = _params(args)
    aggregate = _AGGREGATE_KEYS.get(command)
    response = method(**request)
    response.pop("ResponseMetadata", None)
    if aggregate and not args.no_paginate and "NextToken" not in request:
        while "NextToken" in response:
            page = method(**{**request, "NextToken": response.pop("NextToken")})
            for key in aggregate:
                response.setdefault(key, []).extend(page.get(key, []))
            if "NextToken" in page:
                response["NextToken"] = page["NextToken"]
    result = output.apply_query(output.jsonable(response), args.query)
    output.write(result, args.output, out, title=args.operation)
    return 0


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    extra: Sequence[Subcommand] = (),
) -> int:
    import facedesk

    out = out or sys.stdout
    parser = build_parser(extra)
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    for command in (*_builtin_commands(), *extra):
        if args.command == command.name:
            try:
                return command.run(args, out)
            except ClientError as exc:  # as for Rekognition's own commands
                sys.stderr.write(f"\n{exc}\n")
                return EXIT_SERVICE_ERROR
    if args.query:
        try:
            output.compile_query(args.query)
        except ValueError as exc:
            sys.stderr.write(f"facedesk: error: {exc}\n")
            return EXIT_USAGE
    client = facedesk.client(
        database=args.database,
        store_thumbnails=args.command == BATCH_COMMAND,
        face_model_version=getattr(args, "face_model_version", None),
    )
    try:
        if args.command == BATCH_COMMAND:
            return run_batch(client, args, out)
        if args.command in xmp.COMMANDS:
            return xmp.run(client, args, out)
        if args.command in people.COMMANDS:
            return people.run_people_command(client, args, out)
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
        from facedesk.service.versions import is_database_too_new

        if not is_database_too_new(exc):
            raise
        sys.stderr.write(f"facedesk: error: {exc}\n")
        return EXIT_ERROR
    finally:
        client.close()
