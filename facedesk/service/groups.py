"""Groups of unnamed faces: candidate people, kept current incrementally, with suggestions.

``refresh_groups`` groups every unnamed face that has no group yet (new photos, faces taken
out of a person, or a whole collection the first time): neighbours come from the
collection's vector index (``search_many`` with a distance bound, never an all-pairs
matrix), the groups those neighbours are in are loaded and extended (see
``facedesk.core.grouping``), and only changed rows are written. Deleted faces leave their
group by the database's ON DELETE CASCADE; a group left with one face is an ungrouped face.

Reads (``face_groups``) refresh first, so a photo indexed by another process (the CLI beside
the app) is grouped the next time anyone looks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import filterfalse
from typing import Any

import numpy as np
import numpy.typing as npt

from facedesk.core.grouping import Edge, Grouper, GroupingSettings
from facedesk.core.neighbours import near_pairs
from facedesk.service import people_log
from facedesk.service.context import ServiceContext
from facedesk.service.suggest import SUGGEST_THRESHOLD as SUGGEST_THRESHOLD  # re-exported
from facedesk.service.suggest import Suggestion as Suggestion  # re-exported

F32 = npt.NDArray[np.float32]
_GROUP_NAMESPACE = uuid.UUID("6f1d7c52-4f0e-4f7a-9a55-2b1c0e0c5a15")


def new_group_id(first_face_id: str) -> str:
    """A group's id, from the smallest FaceId it was made with: the same faces grouped from
    scratch get the same ids, so runs and tests are reproducible."""
    return str(uuid.uuid5(_GROUP_NAMESPACE, first_face_id))


@dataclass(frozen=True)
class FaceSuggestion:
    face_id: str
    similarity: float


@dataclass(frozen=True)
class FaceGroup:
    group_id: str
    face_ids: tuple[str, ...]
    suggestion: Suggestion | None = None


@dataclass(frozen=True)
class GroupListing:
    groups: tuple[FaceGroup, ...]  # >= 2 faces, largest first
    ungrouped: tuple[str, ...]  # unnamed faces in no group, FaceId order
    ungrouped_suggestions: Mapping[str, Suggestion] = field(default_factory=dict)


@dataclass(frozen=True)
class RefreshResult:
    grouped: int  # faces that were pending and now have a group row
    changed: int  # rows written (pending faces plus faces of merged groups)


def refresh_groups(
    ctx: ServiceContext, collection_id: str, settings: GroupingSettings | None = None
) -> RefreshResult:
    """Group the unnamed faces that have no group yet (incremental; from scratch when none
    has). One write transaction, so two processes never group the same faces twice.

    A few pending faces (a photo or a batch just indexed) ask the vector index for their
    exact nearest neighbours; many (a first grouping, a big import) use the inverted-file
    self-join of ``facedesk.core.neighbours`` over the unnamed faces' rows of the same index.
    """
    cfg = settings or GroupingSettings()
    known = _known(ctx)
    # The generation first, then the faces the index holds: a face added in between bumps
    # the generation again, so the next call looks for it.
    with ctx.db.unit_of_work(read_only=True) as uow:
        generation = uow.collections.generation(collection_id)
    index = ctx.vectors(collection_id)
    with ctx.db.unit_of_work() as uow:  # the write lock: one grouper at a time
        try:
            return _refresh_in(uow, collection_id, cfg, ctx, generation, index)
        except BaseException:
            known.pop(collection_id, None)  # the faces thought held may not be grouped
            raise


def _refresh_in(
    uow: Any,
    collection_id: str,
    cfg: GroupingSettings,
    ctx: ServiceContext,
    generation: int,
    index: Any,
) -> RefreshResult:
    """refresh_groups inside its write transaction (``ctx``: whose people log to read)."""
    stamp = uow.people.stamp(collection_id)
    known = _known(ctx).get(collection_id)
    touched = None
    if known is not None and known[1] != stamp:
        touched = people_log.since(ctx, collection_id, known[1], stamp)
    if known is not None and (known[1] == stamp or touched is not None):
        # No people change since the last full check but this process's people actions:
        # only faces the vector index did not hold then, or faces those actions touched,
        # can be pending. Looked up in the set kept from then, in C (filterfalse), instead
        # of a scan of every face (at 100k faces the scan was most of an incremental
        # update) or a new set of every id (~25 ms at 100k).
        held = known[2]
        new_ids = (
            []
            if known[0] == generation
            else sorted(filterfalse(held.__contains__, index.face_ids()))
        )
        held.update(new_ids)  # a deleted face may stay in the set: it is never pending
        look = sorted(set(new_ids) | (touched.faces if touched is not None else set()))
        info = uow.groups.face_info(collection_id, look) if look else {}
        pending = {f: i for f, (i, unnamed, g) in info.items() if unnamed and g is None}
    else:
        held = set(index.face_ids())
        pending = dict(uow.groups.pending(collection_id))
    _known(ctx)[collection_id] = (generation, stamp, held)
    if not pending:
        return RefreshResult(0, 0)
    grouper = Grouper(cfg)
    if len(pending) <= EXACT_PENDING:
        _exact_edges(uow, collection_id, index, pending, grouper, cfg)
    else:
        _batch_edges(uow, collection_id, index, pending, grouper, cfg)
    labels = _changed_labels(grouper, set(pending))
    uow.groups.assign(collection_id, labels, ungrouped=pending.keys())
    uow.commit()
    return RefreshResult(len(pending), len(labels))


# (generation, people stamp, face ids held) when the collection was last found fully grouped,
# per collection, kept on the context: see refresh_groups. Faces taken out of a user through
# the boto3 API (DisassociateFaces) change the stamp too (its named-faces count), and so
# lead to a full check.
Known = dict[str, tuple[int, tuple[int, ...], set[str]]]


def _known(ctx: ServiceContext) -> Known:
    return ctx.kept("groups.known", dict)


# Up to this many pending faces are grouped with exact vector-index queries.
EXACT_PENDING = 2000


# threadpoolctl's controller, made once (inspecting the loaded libraries costs ~2 ms)
_BLAS: list[Any] = []


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run BLAS on one thread, as the app does everywhere: a search of a few faces is one
    small product, and a second OpenBLAS thread on a busy machine makes it wait for a
    descheduled worker (the app sets OPENBLAS_NUM_THREADS=1; the CLI and Python may not)."""
    if not _BLAS:
        from threadpoolctl import ThreadpoolController

        _BLAS.append(ThreadpoolController())
    with _BLAS[0].limit(limits=1, user_api="blas"):
        yield


def _seed(uow: Any, collection_id: str, grouper: Grouper, group_ids: set[str]) -> None:
    members = uow.groups.members(collection_id, sorted(group_ids))
    for group_id in sorted(members):
        grouper.seed_group(group_id, members[group_id])


def _exact_edges(
    uow: Any,
    collection_id: str,
    index: Any,
    pending: dict[str, str],
    grouper: Grouper,
    cfg: GroupingSettings,
) -> None:
    ids = sorted(pending)
    queries = np.stack([index.vector(f) for f in ids])
    with one_blas_thread():
        found = index.search_many(queries, cfg.neighbours + 1, max_distance=cfg.max_distance)
    neighbour_ids = {n for hits in found for n, _ in hits} - set(pending)
    info = uow.groups.face_info(collection_id, sorted(neighbour_ids))
    unnamed = {f for f, (_, is_unnamed, _) in info.items() if is_unnamed}
    _seed(uow, collection_id, grouper, {info[f][2] for f in unnamed if info[f][2] is not None})
    for face_id, vector in zip(ids, queries, strict=True):
        grouper.add_face(face_id, pending[face_id], vector)
    edges = [
        Edge(face_id, other, distance)
        for face_id, hits in zip(ids, found, strict=True)
        for other, distance in hits
        if other != face_id and (other in unnamed or other in pending)
    ]
    grouper.add_edges(edges)


def _batch_edges(
    uow: Any,
    collection_id: str,
    index: Any,
    pending: dict[str, str],
    grouper: Grouper,
    cfg: GroupingSettings,
) -> None:
    rows = uow.groups.unnamed(collection_id)  # (FaceId, ImageId, GroupId or None)
    ids = [f for f, _, _ in rows]
    vectors = np.stack([index.vector(f) for f in ids])
    wanted = np.array([f in pending for f in ids], dtype=bool)
    first, second, distances = near_pairs(vectors, cfg.max_distance, cfg.neighbours, wanted=wanted)
    touched = set(first.tolist()) | set(second.tolist())
    _seed(
        uow,
        collection_id,
        grouper,
        {rows[i][2] for i in touched if rows[i][2] is not None},
    )
    for i in np.flatnonzero(wanted).tolist():
        grouper.add_face(ids[i], rows[i][1], vectors[i])
    grouper.add_pairs(ids, first, second, distances)


def _changed_labels(grouper: Grouper, pending: set[str]) -> dict[str, str]:
    """FaceId -> GroupId for every face whose group is new or changed."""
    labels: dict[str, str] = {}
    for root, faces in grouper.components().items():
        label = grouper.existing_label(root)
        touched = any(f in pending for f in faces)
        if label is None:
            label = new_group_id(min(faces))
        elif not touched:
            # Only seeded faces: unchanged unless two seeded groups merged (impossible
            # without a pending face's edge, but cheap to keep correct).
            continue
        for face_id in faces:
            labels[face_id] = label
    return labels


def clear_groups(ctx: ServiceContext, collection_id: str) -> None:
    """Forget every group of the collection (the next refresh groups from scratch)."""
    from facedesk.service.suggest_state import forget

    with ctx.db.unit_of_work() as uow:
        uow.groups.clear(collection_id)
        uow.commit()
    _known(ctx).pop(collection_id, None)
    forget(ctx, collection_id)


def regroup(
    ctx: ServiceContext, collection_id: str, settings: GroupingSettings | None = None
) -> RefreshResult:
    """Forget every group and group the unnamed faces from scratch."""
    clear_groups(ctx, collection_id)
    return refresh_groups(ctx, collection_id, settings)


def list_groups(
    ctx: ServiceContext, collection_id: str, *, refresh: bool = True, suggest: bool = True
) -> GroupListing:
    """The unnamed faces as groups (>= 2 faces, largest first) and ungrouped faces, each with
    the named person it most resembles when that passes ``SUGGEST_THRESHOLD``. A person is
    never suggested for a face that was rejected for it, nor for a photo it is already in.
    The suggestions are kept between calls and updated for what people actions touched
    (``suggest_state``)."""
    if refresh:
        refresh_groups(ctx, collection_id)
    entries: list[tuple[str, Sequence[tuple[str, str]], Suggestion | None]] = []
    if suggest:
        from facedesk.service.suggest_state import scored_groups

        scored = scored_groups(ctx, collection_id)
        entries = [(g, faces, s.suggestion) for g, (faces, s) in scored.items()]
    else:
        with ctx.db.unit_of_work(read_only=True) as uow:
            rows = uow.groups.listing(collection_id)
        members: dict[str, list[tuple[str, str]]] = {}
        for group_id, face_id, image_id in rows:
            members.setdefault(group_id, []).append((face_id, image_id))
        entries = [(g, faces, None) for g, faces in members.items()]
    groups: list[FaceGroup] = []
    ungrouped: list[str] = []
    loose: dict[str, Suggestion] = {}
    for group_id, faces, suggestion in entries:
        if len(faces) >= 2:
            groups.append(FaceGroup(group_id, tuple(f for f, _ in faces), suggestion))
        else:
            ungrouped.append(faces[0][0])
            if suggestion is not None:
                loose[faces[0][0]] = suggestion
    groups.sort(key=lambda g: (-len(g.face_ids), g.face_ids[0]))
    return GroupListing(tuple(groups), tuple(sorted(ungrouped)), loose)


def person_suggestions(
    ctx: ServiceContext, collection_id: str, user_id: str, threshold: float = SUGGEST_THRESHOLD
) -> list[FaceSuggestion]:
    """Unnamed faces whose most similar person is ``user_id`` at >= ``threshold``, most
    similar first (the person's page lists them)."""
    listing = list_groups(ctx, collection_id)
    out: list[FaceSuggestion] = []
    for group in listing.groups:
        found = group.suggestion
        if found is not None and found.user_id == user_id and found.similarity >= threshold:
            out.extend(FaceSuggestion(f, found.similarity) for f in group.face_ids)
    for face_id, found in listing.ungrouped_suggestions.items():
        if found.user_id == user_id and found.similarity >= threshold:
            out.append(FaceSuggestion(face_id, found.similarity))
    return sorted(out, key=lambda s: (-s.similarity, s.face_id))


def group_faces_response(listing: GroupListing) -> dict[str, Any]:
    """The ``group-faces`` JSON: groups largest first, SuggestedUserId and Similarity only
    when a named person matches, then the unnamed faces in no group."""
    groups: list[dict[str, Any]] = []
    for group in listing.groups:
        entry: dict[str, Any] = {"GroupId": group.group_id, "FaceIds": list(group.face_ids)}
        if group.suggestion is not None:
            entry["SuggestedUserId"] = group.suggestion.user_id
            entry["Similarity"] = round(group.suggestion.similarity, 4)
        groups.append(entry)
    return {"FaceGroups": groups, "UngroupedFaceIds": list(listing.ungrouped)}
