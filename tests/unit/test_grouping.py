"""Grouping maths: the inverted-file self-join against brute force, and the constraints."""

from __future__ import annotations

import numpy as np

from facedesk.core.grouping import Edge, GroupingSettings, group_faces
from facedesk.core.neighbours import near_pairs


def _people(rng: np.random.Generator, n_people: int, per: int) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.normal(0, 0.9 / 16, size=(n_people, 128)).astype(np.float32)
    who = np.repeat(np.arange(n_people), per)
    vectors = centres[who] + rng.normal(0, 0.4 / 16, size=(len(who), 128)).astype(np.float32)
    return vectors.astype(np.float32), who


def test_near_pairs_finds_what_brute_force_finds() -> None:
    rng = np.random.default_rng(1)
    vectors, _ = _people(rng, 300, 8)
    i, j, d = near_pairs(vectors, 0.55, 50)
    full = np.linalg.norm(vectors[:, None] - vectors[None], axis=2)
    truth = {(a, b) for a, b in zip(*np.nonzero(full <= 0.55), strict=True) if a < b}
    found = set(zip(i.tolist(), j.tolist(), strict=True))
    assert found <= truth  # nothing invented
    assert len(found) >= 0.95 * len(truth)
    assert np.allclose(d, full[i, j], atol=1e-4)
    assert (i < j).all()


def test_near_pairs_keeps_only_pairs_touching_wanted_rows() -> None:
    rng = np.random.default_rng(2)
    vectors, _ = _people(rng, 50, 4)
    wanted = np.zeros(len(vectors), dtype=bool)
    wanted[:10] = True
    i, j, _ = near_pairs(vectors, 0.55, 20, wanted=wanted)
    assert len(i) > 0 and (wanted[i] | wanted[j]).all()


def test_one_photo_never_gives_one_group_and_the_guard_stops_chains() -> None:
    v = np.zeros((3, 128), dtype=np.float32)
    v[1, 0] = 0.3
    v[2, 0] = 0.6
    faces = [("a", "p1", v[0]), ("b", "p1", v[1]), ("c", "p2", v[2])]
    edges = [Edge("a", "b", 0.3), Edge("b", "c", 0.3), Edge("a", "c", 0.6)]
    # a and b share a photo: never together, whatever the distance.
    groups = group_faces(faces, edges, GroupingSettings(max_distance=0.65))
    assert all(not {"a", "b"} <= set(g) for g in groups)
    # A chain x0 - x1 - ... of steps 0.3 joins its ends 1.5 apart without the guard.
    chain = np.zeros((6, 128), dtype=np.float32)
    chain[:, 0] = np.arange(6) * 0.3
    faces = [(f"x{k}", f"p{k}", chain[k]) for k in range(6)]
    links = [Edge(f"x{k}", f"x{k + 1}", 0.3) for k in range(5)]
    unguarded = group_faces(faces, links, GroupingSettings(merge_distance=9.0))
    guarded = group_faces(faces, links, GroupingSettings())
    assert len(unguarded) == 1 and len(unguarded[0]) == 6
    assert len(guarded) > 1
