"""Searching with any face of a photo (the GUI's face picker), not only the largest."""

from __future__ import annotations

from pathlib import Path

import pytest

import facedesk
from facedesk import errors
from facedesk.service.face_pick import search_with_face

TWO = "real/face_recognition/two_people.jpg"


def test_each_face_of_a_photo_finds_itself(tmp_path: Path, testdata: Path) -> None:
    with facedesk.client(database=str(tmp_path / "pick.db")) as client:
        client.create_collection(CollectionId="pick")
        data = (testdata / TWO).read_bytes()
        indexed = client.index_faces(
            CollectionId="pick", Image={"Bytes": data}, ExternalImageId="two.jpg"
        )
        by_box = {
            tuple(round(v, 2) for v in r["Face"]["BoundingBox"].values()): r["Face"]["FaceId"]
            for r in indexed["FaceRecords"]
        }
        assert len(by_box) == 2
        ctx = client.context
        largest = client.search_faces_by_image(CollectionId="pick", Image={"Bytes": data})
        answers = [search_with_face(ctx, "pick", data, i) for i in (0, 1)]
        faces = answers[0]["SearchableFaces"]
        assert len(faces) == 2 and answers[1]["SearchableFaces"] == faces
        area = [f["Width"] * f["Height"] for f in faces]
        assert area[0] >= area[1]  # largest first
        # face 0 is the face SearchFacesByImage searches with, with the same matches
        assert answers[0]["SearchedFaceBoundingBox"] == largest["SearchedFaceBoundingBox"]
        assert [m["Face"]["FaceId"] for m in answers[0]["FaceMatches"]] == [
            m["Face"]["FaceId"] for m in largest["FaceMatches"]
        ]
        found = []
        for i, answer in enumerate(answers):
            assert answer["SearchedFaceBoundingBox"] == faces[i]
            best = answer["FaceMatches"][0]
            assert best["Similarity"] > 99
            box = tuple(round(v, 2) for v in best["Face"]["BoundingBox"].values())
            assert by_box.get(box) == best["Face"]["FaceId"]
            found.append(best["Face"]["FaceId"])
        assert sorted(found) == sorted(by_box.values())  # two faces, two different matches

        with pytest.raises(errors.InvalidParameterException, match="face 3 does not exist"):
            search_with_face(ctx, "pick", data, 2)
        blank = (testdata / "real/mtcnn/no-faces.jpg").read_bytes()
        with pytest.raises(errors.InvalidParameterException, match="no faces"):
            search_with_face(ctx, "pick", blank, 0)
