"""facedesk: local face collections with Amazon Rekognition's semantics.

``import facedesk`` stays light: Qt, SQLAlchemy and dlib load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
