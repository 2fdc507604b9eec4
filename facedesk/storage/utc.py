"""Timestamps as the database stores them (naive UTC), read back aware.

SQLite hands them over as text, other databases as naive datetimes. Without SQLAlchemy:
the first screen's plain sqlite3 reads (``people_quick``) use it as the repositories do.
"""

from __future__ import annotations

from datetime import UTC, datetime


def aware_utc(value: datetime | str) -> datetime:
    """A stored naive-UTC timestamp as an aware UTC datetime (as the ORM's UTCDateTime)."""
    if isinstance(value, str):
        # Naive UTC text: parsed aware at once. ``datetime.replace(tzinfo=...)`` costs
        # ~7 us on this CPython build, ``fromisoformat`` with the offset ~1 us.
        return datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
