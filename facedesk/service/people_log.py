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
from dataclasses import dataclass

from facedesk.service.context import ServiceContext

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


# Actions kept per collection on the ServiceContext that made them (not per URL: two
# in-memory databases share "sqlite://"; another client on the same file breaks the chain,
# which only means starting from scratch). A reader further behind starts from scratch.
KEEP = 500
_LOCK = threading.Lock()


def _log(ctx: ServiceContext) -> dict[str, list[_Entry]]:
    return ctx.kept("people_log", dict)


def record(
    ctx: ServiceContext, collection_id: str, before: Stamp, after: Stamp, touched: Touched
) -> None:
    """One committed action of this process: the stamps around it and what it wrote."""
    entry = _Entry(before, after, touched)
    logs = _log(ctx)
    with _LOCK:
        log = logs.setdefault(collection_id, [])
        log.append(entry)
        del log[:-KEEP]


def since(ctx: ServiceContext, collection_id: str, stamp: Stamp, now: Stamp) -> Touched | None:
    """What the actions between ``stamp`` and ``now`` touched, or None if unknown.

    The chain is walked back from ``now`` as far as it goes unbroken, and the union taken
    from its earliest point at ``stamp``: a stamp seen twice (redo returns to the stamp
    after the action) gives the larger union, never a smaller one."""
    if stamp == now:
        return Touched()
    logs = _log(ctx)
    with _LOCK:
        log = list(logs.get(collection_id, ()))
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


def forget(ctx: ServiceContext, collection_id: str) -> None:
    logs = _log(ctx)
    with _LOCK:
        logs.pop(collection_id, None)
