"""`facedesk serve` over a PostgreSQL library (the real private pgserver), called by the real
boto3: index, search, list and delete, as on SQLite."""

from __future__ import annotations

import contextlib
from typing import Any

from tests.serve.conftest import serve


def test_boto3_against_a_server_on_postgresql(pg_server: Any, photos: dict[str, bytes]) -> None:
    url = pg_server.new_database()
    try:
        with contextlib.contextmanager(serve)(url) as served:
            rek = served.boto3()
            rek.create_collection(CollectionId="pg")
            indexed = rek.index_faces(
                CollectionId="pg", Image={"Bytes": photos["obama"]}, ExternalImageId="obama"
            )
            assert len(indexed["FaceRecords"]) == 1 and indexed["UnindexedFaces"] == []
            rek.index_faces(CollectionId="pg", Image={"Bytes": photos["biden"]})
            found = rek.search_faces_by_image(CollectionId="pg", Image={"Bytes": photos["obama2"]})
            assert [m["Face"]["ExternalImageId"] for m in found["FaceMatches"]] == ["obama"]
            assert found["FaceMatches"][0]["Similarity"] > 90
            faces = rek.list_faces(CollectionId="pg")["Faces"]
            assert len(faces) == 2
            face_id = indexed["FaceRecords"][0]["Face"]["FaceId"]
            assert rek.delete_faces(CollectionId="pg", FaceIds=[face_id])["DeletedFaces"] == [
                face_id
            ]
            assert rek.describe_collection(CollectionId="pg")["FaceCount"] == 1
    finally:
        pg_server.drop_database(url)
