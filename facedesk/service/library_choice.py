"""Whether a library the user names in the app can be opened: a SQLite file (made if new) or
a PostgreSQL URL. Qt-free, so the dialog's rules are tested without a window."""

from __future__ import annotations

from facedesk.service.library import mask_password

#: Seconds a PostgreSQL server may take to answer before the app says it cannot reach it; a
#: host that drops packets would otherwise hold the window for the system's TCP timeout.
CONNECT_TIMEOUT = 10


def is_url(database: str) -> bool:
    return "://" in database


def with_connect_timeout(database: str, seconds: int = CONNECT_TIMEOUT) -> str:
    """A PostgreSQL URL with libpq's ``connect_timeout`` unless it names one already."""
    if not database.startswith("postgresql") or "connect_timeout=" in database:
        return database
    return f"{database}{'&' if '?' in database else '?'}connect_timeout={int(seconds)}"


def check_library(database: str) -> str | None:
    """Open ``database`` as facedesk would (a new file or an empty PostgreSQL database gets
    the schema) and list its collections. None when that works; otherwise why not, in one
    line for the user, with any password masked."""
    import facedesk

    database = database.strip()
    if not database:
        return "Name a library file or a PostgreSQL URL."
    if is_url(database) and not database.startswith(("postgresql", "sqlite")):
        scheme = database.split("://", 1)[0]
        return f"facedesk opens SQLite files and PostgreSQL URLs, not {scheme}:// URLs."
    client = facedesk.client(database=with_connect_timeout(database))
    try:
        client.list_collections(MaxResults=1)
    except Exception as exc:  # any failure to open is the user's to read, not a crash
        cause = getattr(exc, "orig", None) or exc  # the driver's words, not SQLAlchemy's
        lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
        return mask_password(lines[0] if lines else type(cause).__name__)
    finally:
        client.close()
    return None
