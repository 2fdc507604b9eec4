"""What becomes of a process's search indexes when the interpreter exits.

- Background graph builds are stopped: a daemon thread still inside usearch when Python
  finalises aborts the process (SIGABRT), so exit sets :data:`EXITING` (builds check it
  between chunks) and waits for the chunk in progress. A one-shot command thus never leaves
  a build behind; the app, which runs long enough, finishes and persists it.
- Indexes whose persisted set is older than what they hold (loaded from the database, or
  written since) are saved, so the next process opens the files instead of streaming every
  descriptor out of SQLite again (``VectorIndex.persist_at_exit``).
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable
from typing import Protocol

EXITING = threading.Event()
#: Seconds a build waits before it starts (registry default): a one-shot command (the CLI)
#: has usually exited by then, so it spends no CPU on a graph it could not finish.
BUILD_DELAY_S = 3.0


class Persisting(Protocol):
    def persist_at_exit(self) -> None: ...


_BUILDERS: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
_BUILDERS_LOCK = threading.Lock()
_UNSAVED: weakref.WeakSet[Persisting] = weakref.WeakSet()


def start_builder(target: Callable[[], None], name: str) -> threading.Thread:
    """Start a daemon thread that exit stops (it must return soon after :data:`EXITING`)."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    with _BUILDERS_LOCK:
        _BUILDERS.add(thread)
    thread.start()
    return thread


def mark_unsaved(index: Persisting) -> None:
    _UNSAVED.add(index)


def mark_saved(index: Persisting) -> None:
    _UNSAVED.discard(index)


def is_unsaved(index: Persisting) -> bool:
    return index in _UNSAVED


@atexit.register
def _at_exit() -> None:
    EXITING.set()
    with _BUILDERS_LOCK:
        builders = list(_BUILDERS)
    for thread in builders:
        thread.join()
    for index in list(_UNSAVED):
        index.persist_at_exit()
