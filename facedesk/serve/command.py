"""The ``serve`` subcommand: its flags and its foreground run, plugged into facedesk's CLI
by the composition root (facedesk.app), since the CLI and this adapter are independent."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import TextIO

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8085


class ServeCommand:
    name = "serve"
    help = "answer Rekognition's HTTP API (boto3, AWS CLI) on http://127.0.0.1:8085"
    description = (
        "Serve Rekognition's JSON 1.1 API for the 18 face operations over this database. "
        "Requests must be SigV4-signed with FACEDESK_ACCESS_KEY_ID / "
        "FACEDESK_SECRET_ACCESS_KEY, or with the key pair generated on first start "
        "(stored 0600 in facedesk's data folder and printed once). Any region is accepted."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--host",
            default=DEFAULT_HOST,
            help="address to bind (default: 127.0.0.1, this machine only)",
        )
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default: 8085")
        parser.add_argument(
            "--workers", type=int, default=4, help="threads running operations (default: 4)"
        )

    def run(self, args: argparse.Namespace, out: TextIO) -> int:
        try:
            # botocore too: signatures are checked with its signer. A pip install without
            # the serve extra lacks these; without this check every request would fail as
            # InternalServerError instead of the command saying what is missing. (The
            # desktop install bundles them: packaging/hooks/hook-botocore.py.)
            import botocore  # noqa: F401
            import starlette  # noqa: F401
            import uvicorn  # noqa: F401
        except ImportError as exc:
            sys.stderr.write(f"facedesk serve needs {exc.name}: pip install 'facedesk[serve]'\n")
            return 255
        import facedesk
        from facedesk.config import data_dir
        from facedesk.serve import auth
        from facedesk.serve.app import ServeConfig
        from facedesk.serve.server import bind, make_server

        loaded = auth.load_or_create(data_dir())
        try:
            sock = bind(args.host, args.port)
        except OSError as exc:
            sys.stderr.write(f"facedesk serve: cannot listen on {args.host}:{args.port}: {exc}\n")
            return 255
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        out.write(f"facedesk serve: listening on http://{shown}:{port}\n")
        if loaded.source == "generated":
            out.write(
                "facedesk serve: generated a key pair (shown once; stored 0600 in "
                f"{loaded.path}):\n"
                f"  AWS_ACCESS_KEY_ID={loaded.credentials.access_key_id}\n"
                f"  AWS_SECRET_ACCESS_KEY={loaded.credentials.secret_access_key}\n"
            )
        elif loaded.source == "file":
            out.write(
                f"facedesk serve: access key {loaded.credentials.access_key_id} "
                f"(secret in {loaded.path})\n"
            )
        else:
            out.write("facedesk serve: credentials from FACEDESK_ACCESS_KEY_ID\n")
        if not ipaddress.ip_address(host).is_loopback:
            out.write(
                f"facedesk serve: warning: {host} is reachable from other machines; "
                "requests and faces travel as plain HTTP\n"
            )
        out.write("facedesk serve: ready (Ctrl+C stops)\n")
        out.flush()
        client = facedesk.client(database=args.database)
        try:
            config = ServeConfig(credentials=loaded.credentials, workers=args.workers)
            make_server(client, config).run(sockets=[sock])
        except KeyboardInterrupt:
            # uvicorn shuts down on Ctrl+C, then re-raises the signal: a normal stop
            pass
        finally:
            sock.close()
            client.close()
        return 0


COMMAND = ServeCommand()
