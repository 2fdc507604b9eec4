"""The wire itself: raw HTTP requests, signed with botocore, and botocore's parser on every
error body facedesk can send."""

from __future__ import annotations

import http.client
import json
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from facedesk.core.errors import ALL_ERRORS
from facedesk.serve import auth, wire
from facedesk.serve.app import MAX_BODY_BYTES
from tests.serve.conftest import ACCESS_KEY, SECRET_KEY, Served


def _signed(url: str, target: str, body: bytes, secret: str = SECRET_KEY) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=body,
        headers={
            "Content-Type": wire.CONTENT_TYPE,
            "X-Amz-Target": f"RekognitionService.{target}",
        },
    )
    SigV4Auth(BotoCredentials(ACCESS_KEY, secret), "rekognition", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def _post(
    served: Served, headers: dict[str, str], body: bytes, method: str = "POST"
) -> tuple[int, dict[str, str], Any]:
    parts = urlsplit(served.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, "/", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, json.loads(data)
    finally:
        conn.close()


def test_a_signed_raw_request(served: Served) -> None:
    body = json.dumps({"MaxResults": 5}).encode()
    status, headers, data = _post(served, _signed(served.url, "ListCollections", body), body)
    assert status == 200 and headers["content-type"] == wire.CONTENT_TYPE
    assert headers["x-amzn-requestid"]
    assert isinstance(data["CollectionIds"], list)


@pytest.mark.parametrize(
    ("target", "body", "code"),
    [
        ("NoSuchOperation", b"{}", "UnknownOperationException"),
        ("DetectText", b"{}", "UnknownOperationException"),  # not a face operation
        ("ListCollections", b"{not json", "SerializationException"),
        ("ListCollections", b"[1, 2]", "SerializationException"),
        ("DetectFaces", b'{"Image": {"Bytes": "***"}}', "SerializationException"),
        ("CreateCollection", b'{"CollectionId": 7}', "InvalidParameterException"),
    ],
)
def test_protocol_errors(served: Served, target: str, body: bytes, code: str) -> None:
    status, headers, data = _post(served, _signed(served.url, target, body), body)
    assert status == 400 and data["__type"] == code and data["message"]
    assert headers["x-amzn-requestid"]


def test_every_response_has_a_request_id(served: Served) -> None:
    status, headers, data = _post(served, {}, b"", method="GET")
    assert status == 400 and headers["x-amzn-requestid"]
    assert data["__type"] == "UnknownOperationException"


def test_old_and_tampered_signatures_are_refused(served: Served) -> None:
    body = b"{}"
    headers = _signed(served.url, "ListCollections", body)
    status, _, data = _post(served, headers, b'{"MaxResults": 1}')  # body changed after signing
    assert (status, data["__type"]) == (400, "InvalidSignatureException")
    now = datetime.now(UTC)
    with pytest.raises(wire.WireError, match="expired") as caught:
        auth.verify(
            auth.Credentials(ACCESS_KEY, SECRET_KEY),
            "POST",
            served.url + "/",
            [*list(headers.items()), ("host", urlsplit(served.url).netloc)],
            body,
            now=now + timedelta(minutes=6),
        )
    assert caught.value.code == "InvalidSignatureException"


def test_body_over_the_limit_is_refused_before_it_is_read(served: Served) -> None:
    """Content-Length over the cap: answered at once, without waiting for the body."""
    parts = urlsplit(served.url)
    assert parts.hostname and parts.port
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
            b"X-Amz-Target: RekognitionService.DetectFaces\r\n"
            + f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()
        )
        start, raw = time.monotonic(), b""
        while b"ImageTooLargeException" not in raw and time.monotonic() - start < 20:
            raw += sock.recv(65536)
    text = raw.decode(errors="replace")
    assert text.startswith("HTTP/1.1 400") and "ImageTooLargeException" in text
    assert "x-amzn-requestid" in text.lower()


def test_chunked_body_over_the_limit_is_cut_off(served: Served) -> None:
    parts = urlsplit(served.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    chunk = b"x" * (1024 * 1024)

    def chunks() -> Any:
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            yield chunk

    try:
        conn.request(
            "POST",
            "/",
            body=chunks(),
            headers={"X-Amz-Target": "RekognitionService.DetectFaces"},
            encode_chunked=True,
        )
        resp = conn.getresponse()
        data = json.loads(resp.read())
    except (BrokenPipeError, ConnectionResetError):
        pytest.skip("server closed the connection before the response could be read")
    finally:
        conn.close()
    assert resp.status == 400 and data["__type"] == "ImageTooLargeException"


@pytest.mark.parametrize(
    "code",
    [
        *sorted(ALL_ERRORS),
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "UnknownOperationException",
        "SerializationException",
    ],
)
def test_botocore_parses_every_error_body(code: str) -> None:
    """boto3 turns each error body into the modeled exception class with facedesk's Error."""
    import boto3
    from botocore.parsers import create_parser

    status, body = wire.encode_error(code, f"text for {code}")
    client = boto3.client(
        "rekognition", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    op = client.meta.service_model.operation_model("ListFaces")
    parsed = create_parser("json").parse(
        {"status_code": status, "headers": {"x-amzn-requestid": "r"}, "body": body},
        op.output_shape,
    )
    assert parsed["Error"] == {"Code": code, "Message": f"text for {code}"}
    assert status == (500 if code == "InternalServerError" else 400)
    cls = client.exceptions.from_code(code)
    if code in ALL_ERRORS:
        assert cls.__name__ == code  # a class boto3's client.exceptions knows


def test_an_unexpected_failure_is_internal_server_error(tmp_path: Any) -> None:
    """A database that cannot be opened (a folder) fails inside the operation with no
    Rekognition error: the client gets InternalServerError with status 500, the server
    keeps answering."""
    import botocore.exceptions

    from tests.serve.conftest import serve

    gen = serve(tmp_path)  # the database path is a directory
    served = next(gen)
    try:
        rek = served.boto3(retries={"total_max_attempts": 1, "mode": "standard"})
        for _ in range(2):
            with pytest.raises(botocore.exceptions.ClientError) as caught:
                rek.list_collections()
            response = caught.value.response
            assert response["Error"]["Code"] == "InternalServerError"
            assert response["ResponseMetadata"]["HTTPStatusCode"] == 500
    finally:
        gen.close()


def test_connections_send_without_waiting_for_acks() -> None:
    # Nagle's algorithm held each response body back until the client's delayed ACK:
    # 40 ms a request (bench/serve.py). Accepted connections inherit the listener's option.
    from facedesk.serve.server import bind

    listener = bind("127.0.0.1", 0)
    try:
        peer = socket.create_connection(listener.getsockname()[:2])
        accepted, _ = listener.accept()
        try:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        finally:
            accepted.close()
            peer.close()
    finally:
        listener.close()
