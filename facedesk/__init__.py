"""facedesk: local face collections with Amazon Rekognition's semantics.

``import facedesk`` stays light: Qt, SQLAlchemy and dlib load on first use.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# Privacy, before anything can import onnxruntime: its PyPI wheels (1.2x/1.3x) record
# telemetry events on POSIX too, keep a device id and an event store under
# ~/.cache/Microsoft/DeveloperTools/.onnxruntime and send DNS queries for Microsoft's
# event collector from native threads. Only these variables, read when the library
# initialises, turn it off (``disable_telemetry_events()`` after import does not). Every
# entry point (app, CLI, client, analysis processes, frozen executables) imports this
# package first, and spawned processes inherit the environment.
for _switch in ("ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED"):
    os.environ.setdefault(_switch, "1")
del _switch

__version__ = "0.1.0"

if TYPE_CHECKING:
    from facedesk.service.client import Client

__all__ = ["__version__", "client"]


def client(database: str | None = None, **options: Any) -> Client:
    """A boto3-style Rekognition client over a local database.

    ``database`` is a file path or an SQLAlchemy URL; the default is
    ``$FACEDESK_DATABASE`` or ``facedesk.db`` in the user's data directory.
    """
    from facedesk.service.client import Client

    return Client(database=database, **options)
