"""What this process's people actions touched, so what was derived from the people (the
groups' pending faces, the suggestions) is updated for those faces and people only.

Every journalled action (and undo, redo) records the people stamp before and after it
(``PeopleRepository.stamp``, read inside its write transaction) and the faces, people and
rejected faces it wrote. A reader that derived something at stamp S asks ``since(S, now)``:
the union of what the actions from S to now touched, or None when the log cannot tell (an
action of another process or a user made outside the journal changed the stamp between,
or the log no longer reaches back to S), and the reader starts from scratch.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

Stamp = tuple[int, ...]


@dataclass(frozen=True)
class Touched:
    faces: frozenset[str] = frozenset()  # faces whose person changed (or may have)
    users: frozenset[str] = frozenset()  # people made, changed or deleted
    rejected: frozenset[str] = frozenset()  # faces whose rejections changed


@dataclass(frozen=True)
class _Entry:
    before: Stamp
    after: Stamp
    touched: Touched


# Actions kept per collection of one Database object (not its URL: two in-memory
# databases share "sqlite://"; another client on the same file breaks the chain, which
# only means starting from scratch). A reader further behind starts from scratch.
KEEP = 500
_LOG: weakref.WeakKeyDictionary[Any, dict[str, list[_Entry]]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def record(db: Any, collection_id: str, before: Stamp, after: Stamp, touched: Touched) -> None:
    """One committed action of this process: the stamps around it and what it wrote."""
    entry = _Entry(before, after, touched)
    with _LOCK:
        log = _LOG.setdefault(db, {}).setdefault(collection_id, [])
        log.append(entry)
        del log[:-KEEP]


def since(db: Any, collection_id: str, stamp: Stamp, now: Stamp) -> Touched | None:
    """What the actions between ``stamp`` and ``now`` touched, or None if unknown.

    The chain is walked back from ``now`` as far as it goes unbroken, and the union taken
    from its earliest point at ``stamp``: a stamp seen twice (redo returns to the stamp
    after the action) gives the larger union, never a smaller one."""
    if stamp == now:
        return Touched()
    with _LOCK:
        log = list(_LOG.get(db, {}).get(collection_id, ()))
    start = None
    expected = now
    for i in range(len(log) - 1, -1, -1):
        if log[i].after != expected:
            break
        if log[i].before == stamp:
            start = i
        expected = log[i].before
    if start is None:
        return None
    chain = [e.touched for e in log[start:]]
    return Touched(
        frozenset().union(*(t.faces for t in chain)),
        frozenset().union(*(t.users for t in chain)),
        frozenset().union(*(t.rejected for t in chain)),
    )


def forget(db: Any, collection_id: str) -> None:
    with _LOCK:
        _LOG.get(db, {}).pop(collection_id, None)
