"""Grouping faces into candidate people: constrained density linkage over neighbour edges.

Pure functions and a small union-find, no storage: the service layer feeds the edges it got
from the collection's vector index (each face's nearest neighbours within ``max_distance``,
never an all-pairs matrix) and stores the result.

The method (chosen by measurement, BENCHMARKS.md "Face groups"): edges are taken shortest
first (Kruskal, i.e. single linkage limited to ``max_distance``), and two groups join only if

- no photo has a face in both (two faces of one photo are never one person), and
- their centroids are within ``merge_distance`` (dlib's same-person distance 0.6), which stops
  the chaining that makes plain single linkage glue two look-alike people together through
  a run of in-between faces.

Groups smaller than ``min_faces`` are not groups (their faces are "ungrouped"). Because the
state is only the partition plus per-group image sets and vector sums, new faces extend it
incrementally: seed the union-find with the existing groups their edges touch, add the new
edges, and only those groups change.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class GroupingSettings:
    """Defaults measured on the labelled test photos (bald_guys, obama/biden)."""

    max_distance: float = 0.55  # an edge: two faces this close (similarity ~85)
    merge_distance: float = 0.6  # two groups' centroids at most this far apart
    neighbours: int = 12  # nearest faces asked of the vector index per face
    min_faces: int = 2  # smaller groups are "ungrouped" faces


@dataclass(frozen=True, slots=True)
class Edge:
    a: str
    b: str
    distance: float


class Grouper:
    """Union-find over face ids with cannot-link (same photo) and a centroid guard."""

    def __init__(self, settings: GroupingSettings) -> None:
        self._settings = settings
        self._parent: dict[str, str] = {}
        self._images: dict[str, set[Hashable]] = {}
        self._sum: dict[str, F32] = {}
        self._count: dict[str, int] = {}
        self._label: dict[str, str] = {}  # root -> existing group id it carries

    def add_face(self, face_id: str, image: Hashable, vector: F32) -> None:
        if face_id in self._parent:
            return
        self._parent[face_id] = face_id
        self._images[face_id] = {image}
        self._sum[face_id] = np.asarray(vector, dtype=np.float32).copy()
        self._count[face_id] = 1

    def seed_group(self, group_id: str, members: Sequence[tuple[str, Hashable, F32]]) -> None:
        """An existing group, kept whole (its faces were joined before)."""
        if not members:
            return
        first = members[0][0]
        for face_id, image, vector in members:
            self.add_face(face_id, image, vector)
            root_a, root_b = self.find(first), self.find(face_id)
            if root_a != root_b:
                self._union(root_a, root_b)
        self._label[self.find(first)] = group_id

    def find(self, face_id: str) -> str:
        parent = self._parent
        root = face_id
        while parent[root] != root:
            root = parent[root]
        while parent[face_id] != root:  # path compression
            parent[face_id], face_id = root, parent[face_id]
        return root

    def _union(self, a: str, b: str) -> str:
        if self._count[a] < self._count[b]:
            a, b = b, a
        self._parent[b] = a
        self._images[a] |= self._images.pop(b)
        self._sum[a] += self._sum.pop(b)
        self._count[a] += self._count.pop(b)
        label_b = self._label.pop(b, None)
        if label_b is not None and a not in self._label:
            self._label[a] = label_b
        return a

    def can_join(self, a: str, b: str) -> bool:
        images_a, images_b = self._images[a], self._images[b]
        small, big = (images_a, images_b) if len(images_a) < len(images_b) else (images_b, images_a)
        if not small.isdisjoint(big):
            return False
        gap = self._sum[a] / self._count[a] - self._sum[b] / self._count[b]
        # a dot product, not np.linalg.norm: this runs for every joining edge (~80k at 100k
        # faces) and norm's Python wrapper cost more than the arithmetic
        return float(np.sqrt(gap @ gap)) <= self._settings.merge_distance

    def add_edges(self, edges: Iterable[Edge]) -> None:
        """Join along edges shortest first; edges to unknown faces are ignored."""
        limit = self._settings.max_distance
        for edge in sorted(edges, key=lambda e: (e.distance, e.a, e.b)):
            if edge.distance > limit:
                break
            if edge.a not in self._parent or edge.b not in self._parent:
                continue
            ra, rb = self.find(edge.a), self.find(edge.b)
            if ra != rb and self.can_join(ra, rb):
                self._union(ra, rb)

    def add_pairs(
        self,
        ids: Sequence[str],
        first: npt.NDArray[np.int64],
        second: npt.NDArray[np.int64],
        distances: npt.NDArray[np.float32],
    ) -> None:
        """``add_edges`` for edges given as index arrays into ``ids`` (no objects per edge:
        a from-scratch grouping has millions)."""
        # Edges past the limit dropped in numpy, then plain Python ints and lists: indexing
        # numpy arrays per edge cost more than the union-find itself.
        keep = np.flatnonzero(~(distances > self._settings.max_distance))
        order = keep[np.lexsort((second[keep], first[keep], distances[keep]))]
        parent = self._parent
        for i, j in zip(first[order].tolist(), second[order].tolist(), strict=True):
            a, b = ids[i], ids[j]
            if a not in parent or b not in parent:
                continue
            ra, rb = self.find(a), self.find(b)
            if ra != rb and self.can_join(ra, rb):
                self._union(ra, rb)

    def components(self) -> dict[str, list[str]]:
        """root -> members (every face added, singletons included)."""
        out: dict[str, list[str]] = {}
        for face_id in self._parent:
            out.setdefault(self.find(face_id), []).append(face_id)
        return out

    def existing_label(self, root: str) -> str | None:
        return self._label.get(root)

    def centroid(self, root: str) -> F32:
        return np.asarray(self._sum[root] / self._count[root], dtype=np.float32)


def group_faces(
    faces: Sequence[tuple[str, Hashable, F32]],
    edges: Iterable[Edge],
    settings: GroupingSettings | None = None,
) -> list[list[str]]:
    """From scratch: groups (>= min_faces) of ``faces`` (id, photo, vector), largest first."""
    cfg = settings or GroupingSettings()
    grouper = Grouper(cfg)
    for face_id, image, vector in faces:
        grouper.add_face(face_id, image, vector)
    grouper.add_edges(edges)
    groups = [sorted(m) for m in grouper.components().values() if len(m) >= cfg.min_faces]
    return sorted(groups, key=lambda g: (-len(g), g[0]))
