"""Face model versions and the database's own version, as the front ends need them.

The CLI and the GUI ask here instead of reaching past the service layer into the engine
or storage (import-linter forbids them both). Importing this module stays light: no
SQLAlchemy, dlib or onnxruntime.
"""

from __future__ import annotations

from facedesk.engine.versions import CNN_VERSION, HOG_VERSION, VERSIONS, default_model_version

__all__ = [
    "CNN_VERSION",
    "HOG_VERSION",
    "VERSIONS",
    "default_model_version",
    "is_database_too_new",
]


def is_database_too_new(exc: BaseException) -> bool:
    """Whether ``exc`` says the database was written by a newer facedesk.

    Storage is imported only when asked, after an error, so the CLI starts without
    SQLAlchemy."""
    from facedesk.storage.database import DatabaseVersionError

    return isinstance(exc, DatabaseVersionError)
