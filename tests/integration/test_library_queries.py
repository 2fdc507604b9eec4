"""storage/library_queries.py on SQLite and PostgreSQL: the Library's one-query reads give
what the repositories give, the descriptor left unread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from facedesk.core.errors import ResourceNotFoundException
from tests.conftest import ALL_BACKENDS

BACKENDS = ALL_BACKENDS


def test_people_and_a_face_in_one_query(client: Any, backend: str, testdata: Path) -> None:
    from facedesk.storage.library_queries import face_without_embedding, people_with_counts

    client.create_collection(CollectionId="q")
    client.index_faces(
        CollectionId="q",
        Image={"Bytes": (testdata / "real/face_recognition/two_people.jpg").read_bytes()},
        ExternalImageId="two.jpg",
    )
    faces = client.list_faces(CollectionId="q")["Faces"]
    assert len(faces) == 2
    client.create_user(CollectionId="q", UserId="both")
    client.create_user(CollectionId="q", UserId="none")
    client.associate_faces(CollectionId="q", UserId="both", FaceIds=[faces[0]["FaceId"]])
    lib = client.library
    with lib.context.db.unit_of_work(read_only=True) as uow:
        people = people_with_counts(uow, "q")
        face = face_without_embedding(uow, "q", faces[0]["FaceId"])
        assert people_with_counts(uow, "nope") == []
        assert face_without_embedding(uow, "nope", faces[0]["FaceId"]) is None
    assert [(p.user_id, p.face_count) for p in people] == [("both", 1), ("none", 0)]
    assert people == lib.people.people("q")
    assert face is not None and face.embedding.size == 0
    assert face.to_face_dict() == {**faces[0], "UserId": "both"}
    with pytest.raises(ResourceNotFoundException):
        lib.people_with_counts("nope")
