"""Retrying SQLite's "database is locked" at the two places where it can surface.

busy_timeout already makes SQLite wait; the retry covers the rare cases where SQLite gives
up without calling the busy handler (or a writer held the lock longer than the timeout).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

ATTEMPTS = 5
FIRST_DELAY = 0.05


def is_locked_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


def retry_locked(action: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run ``action``; on a locked-database error wait (exponential backoff, jitter) and retry."""
    delay = FIRST_DELAY
    for attempt in range(attempts):
        try:
            return action()
        except Exception as exc:
            if attempt == attempts - 1 or not is_locked_error(exc):
                raise
        time.sleep(delay * (1.0 + random.random()))
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
