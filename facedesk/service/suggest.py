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

from facedesk.core.similarity import DESCRIPTOR_SIZE, similarity

F32 = npt.NDArray[np.float32]
# Rekognition's default UserMatchThreshold for AssociateFaces: a suggestion is a face the
# user could associate with that person without lowering the threshold.
SUGGEST_THRESHOLD = 75.0


@dataclass(frozen=True)
class Suggestion:
    user_id: str
    similarity: float


def person_centroids(
    named: Sequence[tuple[str, str, str, F32]],
) -> tuple[list[str], F32, dict[str, set[str]]]:
    """UserIds, their mean descriptors (one row each) and the photos each appears in."""
    vectors: dict[str, list[F32]] = {}
    images: dict[str, set[str]] = {}
    for user_id, _, image_id, vector in named:
        vectors.setdefault(user_id, []).append(vector)
        images.setdefault(user_id, set()).add(image_id)
    users = sorted(vectors)
    if not users:
        return [], np.empty((0, DESCRIPTOR_SIZE), dtype=np.float32), {}
    matrix = np.stack([np.mean(np.stack(vectors[u]), axis=0) for u in users]).astype(np.float32)
    return users, matrix, images


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


def suggestions(
    index: Any,
    items: Sequence[tuple[str, list[tuple[str, str]]]],
    users: Sequence[str],
    centroids: F32,
    rejected: Mapping[str, set[str]],
    people_in: Mapping[str, set[str]],
) -> list[Suggestion | None]:
    """The suggestion of each group of (FaceId, ImageId): see ``list_groups``."""
    if index is None:
        return [None] * len(items)
    vectors = [np.stack([index.vector(f) for f, _ in faces]) for _, faces in items]
    picks = _candidates(np.stack([v.mean(axis=0) for v in vectors]) if items else None, centroids)
    out: list[Suggestion | None] = []
    for (_, faces), v, pick in zip(items, vectors, picks, strict=True):
        excluded: set[str] = set()
        for face_id, image_id in faces:
            excluded |= rejected.get(face_id, set()) | people_in.get(image_id, set())
        if pick is None:
            out.append(best_person(v, users, centroids, excluded))
        else:
            out.append(best_person(v, [users[i] for i in pick], centroids[pick], excluded))
    return out


def _candidates(means: F32 | None, centroids: F32) -> list[Any]:
    """Per group, the ``CANDIDATES`` people nearest its mean (None: score everyone). One
    matrix product per block of groups: a norm over every person per group was minutes
    of CPU at 15k groups and 5k people (the People view's second phase)."""
    if means is None:
        return []
    if len(centroids) <= CANDIDATES:
        return [None] * len(means)
    sq = np.einsum("ij,ij->i", centroids, centroids)[None, :]
    out: list[Any] = []
    for start in range(0, len(means), 2048):  # ~40 MB of distances per block at 5k people
        block = sq - 2.0 * (means[start : start + 2048] @ centroids.T)
        out.extend(np.argpartition(block, CANDIDATES - 1, axis=1)[:, :CANDIDATES])
    return out
