"""Suggestions: the named person a group of unnamed faces most resembles.

Scored as AssociateFaces scores a face against a user (face to the user's mean
descriptor); ``groups.list_groups`` asks for every group at once, so the people nearest
each group are found with one matrix product per block of groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from facedesk.core.similarity import similarity

F32 = npt.NDArray[np.float32]
# Rekognition's default UserMatchThreshold for AssociateFaces: a suggestion is a face the
# user could associate with that person without lowering the threshold.
SUGGEST_THRESHOLD = 75.0


@dataclass(frozen=True)
class Suggestion:
    user_id: str
    similarity: float


def centroid(vectors: Sequence[F32]) -> F32:
    """A person's mean descriptor, computed one way everywhere (the full listing and the
    kept suggestions of ``suggest_state`` must agree to the last bit)."""
    out: F32 = np.mean(np.stack(vectors), axis=0).astype(np.float32)
    return out


def best_person(
    vectors: F32,
    users: Sequence[str],
    centroids: F32,
    excluded: set[str],
    threshold: float = SUGGEST_THRESHOLD,
) -> Suggestion | None:
    """The person whose centroid the faces (rows of ``vectors``) resemble most, if that
    passes ``threshold`` and the person is not ``excluded``.

    Each face is scored against the person as AssociateFaces scores it (face to the user's
    mean descriptor); a group scores the median of its faces. Comparing a group's own mean
    instead flatters it: averaging pulls any two means together (a group of one actor came
    out 81 % "like" another person's mean, while none of its faces scored over 75).
    """
    if not users:
        return None
    sq = (
        np.einsum("ij,ij->i", vectors, vectors)[:, None]
        + np.einsum("ij,ij->i", centroids, centroids)[None, :]
        - 2.0 * (vectors @ centroids.T)
    )
    distances = np.sqrt(np.maximum(sq, 0.0))  # (faces, users)
    scores = np.median(np.asarray(similarity(distances)), axis=0)
    for i in np.argsort(-scores, kind="stable").tolist():
        if users[i] in excluded:
            continue
        score = float(scores[i])
        return Suggestion(users[i], score) if score >= threshold else None
    return None


# People scored closely per group (nearest by the group's mean first).
CANDIDATES = 8


@dataclass(frozen=True)
class Scored:
    """A group's suggestion and what it was chosen from: the people scored (None: all)
    and how near the farthest of them is to the group's mean (``reach``, in the units of
    ``_candidates``), so a change of one person's mean can tell which groups it reaches."""

    suggestion: Suggestion | None
    mean: F32
    candidates: frozenset[str] | None
    reach: float


def score_groups(
    index: Any,
    items: Sequence[tuple[str, Sequence[tuple[str, str]]]],
    users: Sequence[str],
    centroids: F32,
    rejected: Mapping[str, set[str]],
    people_in: Mapping[str, set[str]],
) -> list[Scored]:
    """Each group of (FaceId, ImageId) scored: its suggestion (see ``list_groups``) and what
    it was chosen from (see ``Scored``)."""
    if index is None or not items:
        empty = np.empty(0, dtype=np.float32)
        return [Scored(None, empty, None, np.inf) for _ in items]
    vectors = [np.stack([index.vector(f) for f, _ in faces]) for _, faces in items]
    means = np.stack([v.mean(axis=0) for v in vectors])
    picks = _candidates(means, centroids)
    out: list[Scored] = []
    for (_, faces), v, mean, (pick, reach) in zip(items, vectors, means, picks, strict=True):
        excluded: set[str] = set()
        for face_id, image_id in faces:
            excluded |= rejected.get(face_id, set()) | people_in.get(image_id, set())
        if pick is None:
            found = best_person(v, users, centroids, excluded)
            out.append(Scored(found, mean, None, reach))
        else:
            chosen = [users[i] for i in pick]
            found = best_person(v, chosen, centroids[pick], excluded)
            out.append(Scored(found, mean, frozenset(chosen), reach))
    return out


def _candidates(means: F32, centroids: F32) -> list[tuple[Any, float]]:
    """Per group, the ``CANDIDATES`` people nearest its mean (None: score everyone) and
    the farthest one's ``|c|^2 - 2 m.c`` (the squared distance less the constant
    ``|m|^2``). One matrix product per block of groups: a norm over every person per
    group was minutes of CPU at 15k groups and 5k people (the People view's second
    phase)."""
    if len(centroids) <= CANDIDATES:
        return [(None, np.inf)] * len(means)
    sq = np.einsum("ij,ij->i", centroids, centroids)[None, :]
    out: list[tuple[Any, float]] = []
    for start in range(0, len(means), 2048):  # ~40 MB of distances per block at 5k people
        block = sq - 2.0 * (means[start : start + 2048] @ centroids.T)
        picks = np.argpartition(block, CANDIDATES - 1, axis=1)[:, :CANDIDATES]
        reach = np.take_along_axis(block, picks, axis=1).max(axis=1)
        out.extend(zip(picks, reach.tolist(), strict=True))
    return out


def reached(means: F32, centroids: F32, reach: npt.NDArray[Any], margin: float = 1e-3) -> Any:
    """Which groups (rows of ``means``, with their ``reach``) have one of these people's
    means among their nearest: ``|c|^2 - 2 m.c`` below the reach (with a margin for the
    rounding of a different matrix product)."""
    sq = np.einsum("ij,ij->i", centroids, centroids)[None, :]
    near = sq - 2.0 * (means @ centroids.T) < reach[:, None] + margin
    return np.flatnonzero(near.any(axis=1))
