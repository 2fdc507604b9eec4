"""A person's page: its faces ordered by distance to the person, outliers first, so a
wrongly named face is the first thing seen."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from facedesk.core.similarity import similarity
from facedesk.service.context import ServiceContext
from facedesk.service.groups import FaceSuggestion


def person_faces(ctx: ServiceContext, collection_id: str, user_id: str) -> list[FaceSuggestion]:
    """Every face of the person with its similarity to the person's mean descriptor (as
    AssociateFaces scores it), least similar first."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        uow.collections.ensure(collection_id)
        face_ids: Sequence[str] = uow.users.face_ids(collection_id, user_id)
        faces = uow.faces.get_many(collection_id, list(face_ids))
    if not faces:
        return []
    vectors = np.stack([f.embedding for f in faces])
    distances = np.linalg.norm(vectors - vectors.mean(axis=0), axis=1)
    scored = [
        FaceSuggestion(f.face_id, float(similarity(float(d))))
        for f, d in zip(faces, distances, strict=True)
    ]
    return sorted(scored, key=lambda s: (s.similarity, s.face_id))
