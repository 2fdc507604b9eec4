"""Rekognition's wire shape in process: empty lists are returned, errors are botocore's class."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from facedesk import errors

ROOT = Path(__file__).resolve().parents[2]


def test_index_faces_returns_empty_unindexed_faces(client: Any, testdata: Path) -> None:
    client.create_collection(CollectionId="c")
    data = (testdata / "real/face_recognition/obama.jpg").read_bytes()
    r = client.index_faces(CollectionId="c", Image={"Bytes": data}, QualityFilter="NONE")
    assert len(r["FaceRecords"]) == 1
    assert r["UnindexedFaces"] == []  # a KeyError before: Rekognition returns []
    again = client.index_faces(CollectionId="c", Image={"Bytes": data}, QualityFilter="NONE")
    assert again["UnindexedFaces"] == [] and again["FaceRecords"] == r["FaceRecords"]


def test_every_list_is_returned_empty(client: Any, testdata: Path) -> None:
    no_face = (testdata / "real/skimage/coffee.png").read_bytes()
    face = (testdata / "real/face_recognition/obama.jpg").read_bytes()
    assert client.list_collections()["CollectionIds"] == []
    assert client.list_collections()["FaceModelVersions"] == []
    client.create_collection(CollectionId="c")
    assert client.list_faces(CollectionId="c")["Faces"] == []
    assert client.list_users(CollectionId="c")["Users"] == []
    assert client.detect_faces(Image={"Bytes": no_face})["FaceDetails"] == []
    r = client.index_faces(CollectionId="c", Image={"Bytes": no_face})
    assert r["FaceRecords"] == [] and r["UnindexedFaces"] == []
    missing = "11111111-1111-1111-1111-111111111111"
    d = client.delete_faces(CollectionId="c", FaceIds=[missing])
    assert "DeletedFaces" not in d  # the model's min 1: the one list left out when empty
    assert d["UnsuccessfulFaceDeletions"][0]["FaceId"] == missing
    fid = client.index_faces(CollectionId="c", Image={"Bytes": face})["FaceRecords"][0]["Face"]
    d = client.delete_faces(CollectionId="c", FaceIds=[fid["FaceId"]])
    assert d["DeletedFaces"] == [fid["FaceId"]] and d["UnsuccessfulFaceDeletions"] == []
    again = client.index_faces(CollectionId="c", Image={"Bytes": face}, ExternalImageId="again")
    fid = again["FaceRecords"][0]["Face"]
    assert client.search_faces(CollectionId="c", FaceId=fid["FaceId"])["FaceMatches"] == []
    client.create_user(CollectionId="c", UserId="u")
    a = client.associate_faces(CollectionId="c", UserId="u", FaceIds=[fid["FaceId"]])
    assert a["UnsuccessfulFaceAssociations"] == []
    s = client.search_users_by_image(CollectionId="c", Image={"Bytes": face})
    assert s["UnsearchedFaces"] == [] and len(s["UserMatches"]) == 1
    s = client.search_users_by_image(CollectionId="c", Image={"Bytes": no_face})
    assert s["UnsearchedFaces"] == [] and s["UserMatches"] == []
    dis = client.disassociate_faces(CollectionId="c", UserId="u", FaceIds=[fid["FaceId"]])
    assert dis["UnsuccessfulFaceDisassociations"] == []
    cmp = client.compare_faces(SourceImage={"Bytes": face}, TargetImage={"Bytes": face})
    assert cmp["UnmatchedFaces"] == [] and len(cmp["FaceMatches"]) == 1


def test_errors_are_botocore_client_errors(client: Any) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.describe_collection(CollectionId="nope")
    exc = caught.value
    assert isinstance(exc, errors.ResourceNotFoundException)
    assert exc.response["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "The collection id: nope does not exist",
    }
    assert exc.operation_name == "DescribeCollection"
    assert str(exc) == (
        "An error occurred (ResourceNotFoundException) when calling the DescribeCollection "
        "operation: The collection id: nope does not exist"
    )
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is errors.ResourceNotFoundException and str(back) == str(exc)


def test_without_botocore_errors_are_plain_exceptions() -> None:
    code = (
        "import sys; sys.modules['botocore'] = None\n"
        "from facedesk import errors\n"
        "assert errors.ClientError.__mro__[1] is Exception, errors.ClientError.__mro__\n"
        "e = errors.InvalidParameterException('bad')\n"
        "assert e.response == {'Error': {'Code': 'InvalidParameterException', 'Message': 'bad'}}\n"
        "print('ok')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "ok"
