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


def face_people(
    ctx: ServiceContext, collection_id: str, face_ids: Sequence[str]
) -> dict[str, tuple[str, str]]:
    """FaceId -> (UserId, name to show) for the faces that belong to a person (the photo
    viewer draws these names on the boxes)."""
    if not face_ids:
        return {}
    with ctx.db.unit_of_work(read_only=True) as uow:
        uow.collections.ensure(collection_id)
        faces = uow.faces.get_many(collection_id, list(face_ids))
        names: dict[str, str] = {}
        for user_id in sorted({f.user_id for f in faces if f.user_id}):
            info = uow.users.get(collection_id, user_id)
            names[user_id] = info.name if info is not None else user_id
    return {f.face_id: (f.user_id, names[f.user_id]) for f in faces if f.user_id}


def person_image_ids(ctx: ServiceContext, collection_id: str, user_id: str) -> set[str]:
    """The ImageIds of the photos holding any face of the person (the Photos view's filter)."""
    with ctx.db.unit_of_work(read_only=True) as uow:
        uow.collections.ensure(collection_id)
        face_ids = uow.users.face_ids(collection_id, user_id)
        # get_many reads in chunks of its own; embeddings come along but are small per face
        return {f.image_id for f in uow.faces.get_many(collection_id, face_ids)}
