"""Unmodified boto3 against ``facedesk serve``: every operation, every error, the paginators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import botocore.exceptions
import pytest

from tests.serve.conftest import Served
from tests.support.rekognition_check import check_response


def _body(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


class Checked:
    """A boto3 client whose every response must pass the Stubber + pattern/enum checks and
    carry the request id header."""

    def __init__(self, client: Any) -> None:
        self.client, self.exceptions, self.seen = client, client.exceptions, set()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.client, name)

        def call(**kwargs: Any) -> Any:
            response = method(**kwargs)
            meta = response["ResponseMetadata"]
            assert meta["HTTPStatusCode"] == 200
            assert meta["HTTPHeaders"]["x-amzn-requestid"] == meta["RequestId"]
            check_response(name, response)
            self.seen.add(name)
            return response

        return call


def test_every_operation(served: Served, photos: dict[str, bytes]) -> None:
    rek = Checked(served.boto3())
    local = served.local
    assert rek.create_collection(CollectionId="ops")["StatusCode"] == 200
    d = rek.describe_collection(CollectionId="ops")
    assert isinstance(d["CreationTimestamp"], datetime) and d["CreationTimestamp"].tzinfo
    expected = local.describe_collection(CollectionId="ops")["CreationTimestamp"]
    assert abs((d["CreationTimestamp"] - expected).total_seconds()) < 1e-3
    assert "ops" in rek.list_collections()["CollectionIds"]

    ids = {}
    for name in ("obama", "obama2", "biden"):
        r = rek.index_faces(
            CollectionId="ops", Image={"Bytes": photos[name]}, ExternalImageId=name, MaxFaces=1
        )
        assert len(r["FaceRecords"]) == 1 and isinstance(r["UnindexedFaces"], list)
        ids[name] = r["FaceRecords"][0]["Face"]["FaceId"]
    none = rek.index_faces(CollectionId="ops", Image={"Bytes": photos["coffee"]})
    assert none["FaceRecords"] == [] and none["UnindexedFaces"] == []

    # The HTTP path returns what the in-process client returns.
    faces = rek.list_faces(CollectionId="ops")
    assert _body(faces) == _body(local.list_faces(CollectionId="ops"))
    matches = rek.search_faces(CollectionId="ops", FaceId=ids["obama"])
    assert [m["Face"]["FaceId"] for m in matches["FaceMatches"]] == [ids["obama2"]]
    assert _body(matches) == _body(local.search_faces(CollectionId="ops", FaceId=ids["obama"]))
    by_image = rek.search_faces_by_image(CollectionId="ops", Image={"Bytes": photos["obama"]})
    assert by_image["FaceMatches"][0]["Face"]["FaceId"] == ids["obama"]
    detected = rek.detect_faces(Image={"Bytes": photos["biden"]}, Attributes=["DEFAULT"])
    assert len(detected["FaceDetails"]) == 1
    compared = rek.compare_faces(
        SourceImage={"Bytes": photos["obama"]}, TargetImage={"Bytes": photos["obama2"]}
    )
    assert len(compared["FaceMatches"]) == 1 and compared["UnmatchedFaces"] == []

    assert _body(rek.create_user(CollectionId="ops", UserId="barack")) == {}
    assert rek.list_users(CollectionId="ops")["Users"] == [
        {"UserId": "barack", "UserStatus": "ACTIVE"}
    ]
    assoc = rek.associate_faces(CollectionId="ops", UserId="barack", FaceIds=[ids["obama"]])
    assert assoc["AssociatedFaces"] == [{"FaceId": ids["obama"]}]
    users = rek.search_users(CollectionId="ops", FaceId=ids["obama2"])
    assert users["UserMatches"][0]["User"]["UserId"] == "barack"
    users = rek.search_users_by_image(CollectionId="ops", Image={"Bytes": photos["obama2"]})
    assert users["UserMatches"][0]["User"]["UserId"] == "barack"
    assert users["UnsearchedFaces"] == []
    dis = rek.disassociate_faces(CollectionId="ops", UserId="barack", FaceIds=[ids["obama"]])
    assert dis["DisassociatedFaces"] == [{"FaceId": ids["obama"]}]
    assert _body(rek.delete_user(CollectionId="ops", UserId="barack")) == {}
    deleted = rek.delete_faces(CollectionId="ops", FaceIds=[ids["biden"]])
    assert deleted["DeletedFaces"] == [ids["biden"]] and deleted["UnsuccessfulFaceDeletions"] == []
    assert rek.delete_collection(CollectionId="ops")["StatusCode"] == 200

    from facedesk.service.client import operation_names

    assert rek.seen == set(operation_names()), "every operation went over HTTP"


def _error(call: Any, cls: type[Exception]) -> dict[str, Any]:
    with pytest.raises(cls) as caught:
        call()
    assert isinstance(caught.value, botocore.exceptions.ClientError)
    response: dict[str, Any] = caught.value.response  # type: ignore[attr-defined]
    meta = response["ResponseMetadata"]
    assert meta["HTTPHeaders"]["x-amzn-requestid"] == meta["RequestId"]
    assert response["Error"]["Message"]
    return response


def test_every_error_class(served: Served, photos: dict[str, bytes]) -> None:
    rek = served.boto3()
    x = rek.exceptions
    rek.create_collection(CollectionId="errs")
    r = _error(lambda: rek.create_collection(CollectionId="errs"), x.ResourceAlreadyExistsException)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    r = _error(lambda: rek.describe_collection(CollectionId="nope"), x.ResourceNotFoundException)
    assert r["Error"] == {
        "Code": "ResourceNotFoundException",
        "Message": "The collection id: nope does not exist",
    }
    # The same Error dict as in process.
    with pytest.raises(botocore.exceptions.ClientError) as local:
        served.local.describe_collection(CollectionId="nope")
    assert local.value.response["Error"] == r["Error"]
    _error(lambda: rek.create_collection(CollectionId="bad id!"), x.InvalidParameterException)
    _error(
        lambda: rek.index_faces(CollectionId="errs", Image={"Bytes": b"not an image"}),
        x.InvalidImageFormatException,
    )
    _error(
        lambda: rek.detect_faces(Image={"Bytes": b"\xff" * (5 * 1024 * 1024 + 1)}),
        x.ImageTooLargeException,
    )
    _error(
        lambda: rek.detect_faces(Image={"S3Object": {"Bucket": "bucket", "Name": "n.jpg"}}),
        x.InvalidS3ObjectException,
    )
    _error(
        lambda: rek.list_faces(CollectionId="errs", NextToken="forged"),
        x.InvalidPaginationTokenException,
    )
    rek.create_user(CollectionId="errs", UserId="u", ClientRequestToken="token-1")
    _error(lambda: rek.create_user(CollectionId="errs", UserId="u"), x.ConflictException)
    _error(
        lambda: rek.create_user(CollectionId="errs", UserId="v", ClientRequestToken="token-1"),
        x.IdempotentParameterMismatchException,
    )
    _error(
        lambda: rek.search_faces_by_image(CollectionId="errs", Image={"Bytes": photos["coffee"]}),
        x.InvalidParameterException,
    )


def test_authentication_errors(served: Served) -> None:
    from botocore import UNSIGNED

    wrong = served.boto3(secret="not-the-secret")
    r = _error(wrong.list_collections, botocore.exceptions.ClientError)
    assert r["Error"]["Code"] == "InvalidSignatureException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400
    unknown = served.boto3(key="AKIAUNKNOWNKEY000000")
    r = _error(unknown.list_collections, botocore.exceptions.ClientError)
    assert r["Error"]["Code"] == "UnrecognizedClientException"
    unsigned = served.boto3(signature_version=UNSIGNED)
    r = _error(unsigned.list_collections, botocore.exceptions.ClientError)
    assert r["Error"]["Code"] == "UnrecognizedClientException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_paginators(served: Served, photos: dict[str, bytes]) -> None:
    rek = served.boto3()
    rek.create_collection(CollectionId="pages")
    for i in range(3):
        rek.index_faces(
            CollectionId="pages", Image={"Bytes": photos["obama_small"]}, ExternalImageId=f"p{i}"
        )
        rek.create_user(CollectionId="pages", UserId=f"user{i}")
    pages = list(
        rek.get_paginator("list_faces").paginate(
            CollectionId="pages", PaginationConfig={"PageSize": 1}
        )
    )
    assert [len(p["Faces"]) for p in pages] == [1, 1, 1]
    assert len({p["Faces"][0]["FaceId"] for p in pages}) == 3
    users = rek.get_paginator("list_users").paginate(
        CollectionId="pages", PaginationConfig={"PageSize": 2}
    )
    assert users.build_full_result()["Users"] == [
        {"UserId": f"user{i}", "UserStatus": "ACTIVE"} for i in range(3)
    ]
    collections = rek.get_paginator("list_collections").paginate(PaginationConfig={"PageSize": 1})
    full = collections.build_full_result()
    assert "pages" in full["CollectionIds"]
    assert len(full["CollectionIds"]) == len(full["FaceModelVersions"])
    faces = rek.get_paginator("list_faces").paginate(
        CollectionId="pages", PaginationConfig={"PageSize": 2, "MaxItems": 2}
    )
    first = faces.build_full_result()
    assert len(first["Faces"]) == 2 and "NextToken" in first
