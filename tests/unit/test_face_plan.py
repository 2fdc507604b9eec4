"""The one "largest box first, at most 100" that IndexFaces, DetectFaces and the searches
by image share (facedesk.service.face_plan.largest_faces_first)."""

from __future__ import annotations

import numpy as np

from facedesk.core.types import DetectedFace, Landmark, PixelBox, Pose, Quality
from facedesk.service.face_plan import MAX_FACES_PER_IMAGE, largest_faces_first, plan


def face(side: float, left: float) -> DetectedFace:
    box = PixelBox(left, 10.0, left + side, 10.0 + side)
    return DetectedFace(
        box=box,
        bounding_box=box.to_ratio(4000, 4000),
        confidence=99.0,
        detector_score=1.0,
        landmarks=(Landmark("nose", 0.5, 0.5),),
        pose=Pose(roll=0.0, yaw=0.0, pitch=0.0),
        quality=Quality(brightness=60.0, sharpness=60.0),
        descriptor=np.zeros(128, dtype=np.float32),
    )


# Sizes shuffled so that input order and size order differ.
SIDES = [float(40 + (i * 37) % 130) + i / 1000 for i in range(130)]
FACES = [face(side, left=float(i)) for i, side in enumerate(SIDES)]


def test_at_most_one_hundred_largest_first() -> None:
    kept = largest_faces_first(FACES)
    assert len(kept) == MAX_FACES_PER_IMAGE == 100
    areas = [f.bounding_box.area for f in kept]
    assert areas == sorted(areas, reverse=True)
    smallest_kept = min(areas)
    dropped = [f for f in FACES if all(f is not k for k in kept)]
    assert len(dropped) == 30
    assert all(f.bounding_box.area <= smallest_kept for f in dropped)


def test_no_limit_keeps_every_face_in_the_same_order() -> None:
    every = largest_faces_first(FACES, limit=None)
    assert len(every) == len(FACES)
    assert every[:MAX_FACES_PER_IMAGE] == largest_faces_first(FACES)
    assert largest_faces_first([]) == []


def test_index_faces_orders_as_detect_faces_and_marks_the_rest() -> None:
    planned = plan(FACES, 4000, 4000, quality_filter="NONE")
    assert [p.face for p in planned] == largest_faces_first(FACES, limit=None)
    assert sum(p.indexed for p in planned) == MAX_FACES_PER_IMAGE
    assert {p.reasons for p in planned if not p.indexed} == {("EXCEEDS_MAX_FACES",)}
