"""The SigV4 verifier against requests botocore signs, at the client's times and regions.

The verifier keeps one botocore signer per key and region with the day's signing key
derived once (facedesk.serve.auth._signer); these requests cross days, regions and
secrets in one process, so a key cached for one of them must never pass another.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from facedesk.serve.auth import Credentials, verify
from facedesk.serve.wire import WireError

SERVER = Credentials("FDSKSIGNERTEST000000", "the-server-secret")
URL = "http://127.0.0.1:8085/"


def signed(
    at: datetime,
    region: str = "us-east-1",
    secret: str = SERVER.secret_access_key,
    body: bytes = b'{"MaxResults": 3}',
) -> list[tuple[str, str]]:
    """Headers as boto3 sends them, signed by botocore's own SigV4Auth at time ``at``."""
    request = AWSRequest(
        method="POST",
        url=URL,
        data=body,
        headers={
            "X-Amz-Target": "RekognitionService.ListCollections",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    signer = SigV4Auth(BotoCredentials(SERVER.access_key_id, secret), "rekognition", region)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        signer.add_auth(request)
    return [*request.headers.items(), ("host", "127.0.0.1:8085")]


DAY_1 = datetime(2026, 12, 3, 23, 59, 50, tzinfo=UTC)
DAY_2 = DAY_1 + timedelta(seconds=20)  # past midnight: a new signing key


def test_requests_across_midnight_and_regions_verify() -> None:
    for at, region in [
        (DAY_1, "us-east-1"),
        (DAY_2, "us-east-1"),
        (DAY_1, "us-east-1"),  # a late request of the old day after the new day's
        (DAY_2, "eu-west-1"),
        (DAY_1, "eu-west-1"),
    ]:
        verify(SERVER, "POST", URL, signed(at, region), b'{"MaxResults": 3}', now=at)


@pytest.mark.parametrize("body", [b"", b"{}"])
def test_empty_and_small_bodies_verify(body: bytes) -> None:
    verify(SERVER, "POST", URL, signed(DAY_1, body=body), body, now=DAY_1)


def test_a_wrong_secret_fails_after_the_key_is_cached() -> None:
    verify(SERVER, "POST", URL, signed(DAY_1), b'{"MaxResults": 3}', now=DAY_1)
    with pytest.raises(WireError) as caught:
        verify(
            SERVER, "POST", URL, signed(DAY_1, secret="guessed"), b'{"MaxResults": 3}', now=DAY_1
        )
    assert caught.value.code == "InvalidSignatureException"


def test_a_changed_body_or_region_fails() -> None:
    headers = signed(DAY_2, "eu-west-1")
    verify(SERVER, "POST", URL, headers, b'{"MaxResults": 3}', now=DAY_2)
    with pytest.raises(WireError) as caught:
        verify(SERVER, "POST", URL, headers, b'{"MaxResults": 4}', now=DAY_2)
    assert caught.value.code == "InvalidSignatureException"
    moved = [
        (n, v.replace("/eu-west-1/", "/us-east-1/")) if n == "Authorization" else (n, v)
        for n, v in headers
    ]
    with pytest.raises(WireError) as caught:
        verify(SERVER, "POST", URL, moved, b'{"MaxResults": 3}', now=DAY_2)
    assert caught.value.code == "InvalidSignatureException"


def test_the_server_secret_changing_is_not_masked_by_the_cache() -> None:
    verify(SERVER, "POST", URL, signed(DAY_1), b'{"MaxResults": 3}', now=DAY_1)
    rotated = Credentials(SERVER.access_key_id, "a-new-secret")
    with pytest.raises(WireError) as caught:
        verify(rotated, "POST", URL, signed(DAY_1), b'{"MaxResults": 3}', now=DAY_1)
    assert caught.value.code == "InvalidSignatureException"
