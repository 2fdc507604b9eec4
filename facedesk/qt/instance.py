"""One library, several windows: allowed (SQLite and PostgreSQL both take several writers),
but each window after the first says so, since it sees the others' changes only when it
reloads.

The sign is a QLockFile per library in facedesk's cache folder: the OS releases it when a
process dies (QLockFile checks the holder's PID), so a crashed window never leaves a
library marked as open.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QLockFile


def _library_key(database: str) -> str:
    """The same library gives the same key however its path was spelled."""
    text = database
    if "://" not in database:
        text = str(Path(database).expanduser().resolve())
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class LibraryLock:
    """Held while a window has the library open; ``shared`` when another window has it."""

    def __init__(self, database: str, lock_dir: Path) -> None:
        lock_dir.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(os.fspath(lock_dir / f"{_library_key(database)}.lock"))
        self._lock.setStaleLockTime(0)  # only a dead holder's lock is stale, never an old one
        self.shared = not self._lock.tryLock(0)

    def release(self) -> None:
        if not self.shared:
            self._lock.unlock()
