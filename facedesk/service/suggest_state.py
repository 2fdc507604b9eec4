"""The suggestions kept between listings, updated for what a people action touched.

The full listing (every group scored against every person's mean) costs seconds of CPU at
100k faces and 5k people; a people action changes a few faces, people and rejections.
So the last listing's state is kept per collection: each group's faces, mean, the people it
was scored against and its suggestion; each person's faces and mean; who is in which photo;
the rejections. When only this process's actions happened since (``people_log``: the
people stamp's chain; the collection's generation unchanged), only what they touched is
read again and only the groups whose suggestion can have changed are scored again:

- groups that gained or lost faces (the touched faces' old and new groups, and any group
  those faces' regrouping merged into them);
- groups with a face in a photo whose people changed, or a face whose rejections changed;
- groups that had a changed person among the people they were scored against, or that a
  changed person's new mean now reaches (nearer than the farthest of those people).

Everything else is as the full listing would score it: the same functions on the same
values (``suggest.score_groups``, ``suggest.centroid``), which the tests check against a
full recompute after a sequence of actions.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from facedesk.core.similarity import DESCRIPTOR_SIZE
from facedesk.service import people_log
from facedesk.service.context import ServiceContext
from facedesk.service.suggest import (
    CANDIDATES,
    F32,
    Scored,
    Suggestion,
    centroid,
    reached,
    score_groups,
)

Faces = tuple[tuple[str, str], ...]  # (FaceId, ImageId) in FaceId order


@dataclass
class _State:
    generation: int
    stamp: people_log.Stamp
    groups: dict[str, Faces] = field(default_factory=dict)
    scored: dict[str, Scored] = field(default_factory=dict)
    group_of: dict[str, str] = field(default_factory=dict)  # grouped unnamed FaceId -> GroupId
    person_faces: dict[str, Faces] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)  # named FaceId -> UserId
    centroids: dict[str, F32] = field(default_factory=dict)
    people_in: dict[str, set[str]] = field(default_factory=dict)  # ImageId -> UserIds
    rejected: dict[str, set[str]] = field(default_factory=dict)
    dirty: set[str] | None = None  # groups to score again (None: all)


# How listings were made ("full" or "updated"): the tests check which path ran.
COUNTS: Counter[str] = Counter()
_LOCK = threading.Lock()


def _states(ctx: ServiceContext) -> dict[str, _State]:
    """The last listing's state per collection, kept on the context (its database's)."""
    return ctx.kept("suggest_state", dict)


def scored_groups(ctx: ServiceContext, collection_id: str) -> dict[str, tuple[Faces, Scored]]:
    """GroupId -> (its unnamed faces, its score) for every group (lone faces included),
    as a full listing computes them, updated from the kept state when it can be."""
    states = _states(ctx)
    busy = ctx.kept("suggest_state.busy", threading.Lock)
    with busy:  # one listing per database at a time: the next one updates this one's state
        with _LOCK:
            state = states.pop(collection_id, None)  # mutated below: not shared
        index = ctx.vectors(collection_id)
        with ctx.db.unit_of_work(read_only=True) as uow:
            generation = uow.collections.generation(collection_id)
            stamp = uow.people.stamp(collection_id)
            touched = None
            if state is not None and state.generation == generation:
                touched = people_log.since(ctx, collection_id, state.stamp, stamp)
            if touched is not None and state is not None:
                touched = _checked(uow, collection_id, state, touched)
            if state is None or touched is None or not _update(uow, collection_id, state, touched):
                state = _full(uow, collection_id, generation, stamp)
                COUNTS["full"] += 1
            else:
                COUNTS["updated"] += 1
            state.stamp = stamp
        _rescore(state, index)
        with _LOCK:  # kept only once whole: a failure above leaves no half-updated state
            states[collection_id] = state
        return {g: (faces, state.scored[g]) for g, faces in state.groups.items()}


def _checked(
    uow: Any, collection_id: str, state: _State, touched: people_log.Touched
) -> people_log.Touched | None:
    """``touched``, or None when the named faces are not those the state and the journal
    account for: AssociateFaces or DisassociateFaces (no journal, no new stamp) changed
    their count. (A disassociation and an association between two listings keep the count:
    their faces are seen at the next full listing.)"""
    gone = {f for f in touched.faces if f in state.owner}
    expected = len(state.owner) - len(gone)
    now = uow.faces.get_many(collection_id, sorted(touched.faces))
    expected += sum(1 for f in now if f.user_id)
    return touched if uow.people.named_count(collection_id) == expected else None


def is_kept(ctx: ServiceContext, collection_id: str) -> bool:
    """Whether the next listing can update the kept state (cheap: a few index lookups)
    rather than score every group (seconds at 100k faces)."""
    with _LOCK:
        state = _states(ctx).get(collection_id)
    if state is None or len(state.centroids) <= CANDIDATES:  # see _update
        return False
    with ctx.db.unit_of_work(read_only=True) as uow:
        if uow.collections.generation(collection_id) != state.generation:
            return False
        stamp = uow.people.stamp(collection_id)
    return people_log.since(ctx, collection_id, state.stamp, stamp) is not None


def forget(ctx: ServiceContext, collection_id: str) -> None:
    """Drop the kept state (the groups were rewritten: ``groups.clear_groups``)."""
    with _LOCK:
        _states(ctx).pop(collection_id, None)


def _full(uow: Any, collection_id: str, generation: int, stamp: people_log.Stamp) -> _State:
    state = _State(generation, stamp)
    members: dict[str, list[tuple[str, str]]] = {}
    for group_id, face_id, image_id in uow.groups.listing(collection_id):
        members.setdefault(group_id, []).append((face_id, image_id))
        state.group_of[face_id] = group_id
    state.groups = {g: tuple(faces) for g, faces in members.items()}
    _set_people(state, uow.groups.named_faces(collection_id), set())
    state.rejected = uow.rejections.all(collection_id)
    return state


def _set_people(state: _State, named: list[tuple[str, str, str, Any]], users: set[str]) -> set[str]:
    """Replace the faces and means of ``users`` (and of every person in ``named``) with
    ``named``'s rows; returns the photos whose people changed."""
    old_images: set[str] = set()
    for user_id in users:
        for face_id, image_id in state.person_faces.pop(user_id, ()):
            old_images.add(image_id)
            state.owner.pop(face_id, None)
        state.centroids.pop(user_id, None)
    rows: dict[str, list[tuple[str, str, Any]]] = {}
    for user_id, face_id, image_id, vector in named:
        rows.setdefault(user_id, []).append((face_id, image_id, vector))
    new_images = {i for faces in rows.values() for _, i, _ in faces}
    before = {i: frozenset(state.people_in.get(i, ())) for i in old_images | new_images}
    for image_id in old_images:
        state.people_in.get(image_id, set()).difference_update(users)
    for user_id, faces in rows.items():
        state.person_faces[user_id] = tuple((f, i) for f, i, _ in faces)
        state.centroids[user_id] = centroid([v for _, _, v in faces])
        for face_id, image_id, _ in faces:
            state.owner[face_id] = user_id
            state.people_in.setdefault(image_id, set()).add(user_id)
    return {i for i, then in before.items() if then != state.people_in.get(i, set())}


def _update(uow: Any, collection_id: str, state: _State, touched: people_log.Touched) -> bool:
    """Bring ``state`` to what the database holds now, given what changed; False when a
    full listing is simpler (few people, where every group scores everyone)."""
    if len(state.centroids) <= CANDIDATES:
        return False
    faces = sorted(touched.faces)
    now = {f.face_id: f.user_id for f in uow.faces.get_many(collection_id, faces)}
    users = (
        set(touched.users)
        | {u for u in now.values() if u}
        | {state.owner[f] for f in faces if f in state.owner}
    )
    old_means = {u: state.centroids.get(u) for u in users}
    photos = _set_people(state, uow.groups.named_faces(collection_id, sorted(users)), users)
    if len(state.centroids) <= CANDIDATES:
        return False
    dirty = _regroup(uow, collection_id, state, faces)
    rejected = uow.rejections.all(collection_id)
    changed_rejections = {
        f for f in set(rejected) | set(state.rejected) if rejected.get(f) != state.rejected.get(f)
    }
    state.rejected = rejected
    changed_people = {u for u in users if _differs(old_means[u], state.centroids.get(u))}
    for group_id, group_faces in state.groups.items():
        scored = state.scored.get(group_id)
        if scored is None or (scored.candidates and scored.candidates & changed_people):
            dirty.add(group_id)
            continue
        for face_id, image_id in group_faces:
            if image_id in photos or face_id in changed_rejections:
                dirty.add(group_id)
                break
    moved = sorted(u for u in changed_people if u in state.centroids)
    if moved:
        ids = [g for g in state.groups if g not in dirty]
        if ids:
            means = np.stack([state.scored[g].mean for g in ids])
            reach = np.array([state.scored[g].reach for g in ids], dtype=np.float64)
            near = reached(means, np.stack([state.centroids[u] for u in moved]), reach)
            dirty.update(ids[i] for i in near.tolist())
    state.dirty = dirty
    return True


def _differs(a: F32 | None, b: F32 | None) -> bool:
    return a is None or b is None or not np.array_equal(a, b)


def _regroup(uow: Any, collection_id: str, state: _State, faces: list[str]) -> set[str]:
    """Read again the groups the touched faces left or joined (and, when their regrouping
    merged groups, the groups those faces came from); returns the groups changed."""
    info = uow.groups.face_info(collection_id, faces)
    wanted = {state.group_of[f] for f in faces if f in state.group_of}
    wanted |= {g for _, unnamed, g in info.values() if unnamed and g is not None}
    done: set[str] = set()
    while wanted:
        read = uow.groups.members(collection_id, sorted(wanted))
        done |= wanted
        more: set[str] = set()
        for group_id in wanted:
            for face_id, _ in state.groups.pop(group_id, ()):
                if state.group_of.get(face_id) == group_id:
                    del state.group_of[face_id]
            state.scored.pop(group_id, None)
        for group_id, rows in read.items():
            for face_id, _, _ in rows:
                old = state.group_of.get(face_id)
                if old is not None and old != group_id and old not in done:
                    more.add(old)
        for group_id, rows in read.items():
            state.groups[group_id] = tuple(sorted((f, i) for f, i, _ in rows))
            for face_id, _, _ in rows:
                state.group_of[face_id] = group_id
        wanted = more
    return {g for g in done if g in state.groups}


def _rescore(state: _State, index: Any) -> None:
    """Score ``state.dirty`` (every group if None) against every person."""
    users = sorted(state.centroids)
    matrix = (
        np.stack([state.centroids[u] for u in users]).astype(np.float32)
        if users
        else np.empty((0, DESCRIPTOR_SIZE), dtype=np.float32)
    )
    ids = sorted(state.groups if state.dirty is None else state.dirty)
    items = [(g, state.groups[g]) for g in ids]
    found = score_groups(
        index if users else None, items, users, matrix, state.rejected, state.people_in
    )
    state.scored.update(zip(ids, found, strict=True))
    state.dirty = set()


__all__ = ["Suggestion", "forget", "scored_groups"]
