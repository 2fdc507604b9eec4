"""Where facedesk keeps its data, and defaults shared by the app and the CLI."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "facedesk"
DATABASE_ENV = "FACEDESK_DATABASE"
CACHE_ENV = "FACEDESK_CACHE_DIR"


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def default_database() -> str:
    """``$FACEDESK_DATABASE`` or ``facedesk.db`` in the user's data directory."""
    return os.environ.get(DATABASE_ENV) or str(data_dir() / "facedesk.db")


def cache_dir() -> Path:
    """``$FACEDESK_CACHE_DIR`` or the user's cache directory: files derived from installed
    ones (never user data), safe to delete."""
    from platformdirs import user_cache_dir

    return Path(os.environ.get(CACHE_ENV) or user_cache_dir(APP_NAME, appauthor=False))
