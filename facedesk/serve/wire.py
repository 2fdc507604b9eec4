"""Rekognition's JSON 1.1 wire format: request bodies in, response and error bodies out.

Pure functions, no server library: the Starlette app calls them. What botocore does on the
client side is mirrored here on the server side:

- request: ``X-Amz-Target: RekognitionService.<Operation>``, a JSON object body whose blob
  members (``Image.Bytes``...) are base64 text, found by walking the operation's input shape;
- response: JSON with timestamps as epoch seconds (botocore's JSON parser turns them back
  into timezone-aware datetimes);
- error: ``{"__type": Code, "message": ...}`` with the HTTP status the service uses for the
  code (botocore takes the code from ``__type`` and the text from ``message``/``Message``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from facedesk.service.validation import input_shape_name, service_model, shape

TARGET_PREFIX = "RekognitionService."
CONTENT_TYPE = "application/x-amz-json-1.1"

# HTTP status per error code, as Rekognition answers: every modeled error is a 400 except
# the server-side failure (500, which botocore retries); the front end's authentication
# and protocol errors are 400 too, apart from a missing token (403, as for every JSON 1.1
# service). botocore keys retries and exception classes off the code, not the status.
_STATUS: Mapping[str, int] = {
    "InternalServerError": 500,
    "MissingAuthenticationTokenException": 403,
    "RequestEntityTooLargeException": 413,
}


def status_for(code: str) -> int:
    return _STATUS.get(code, 400)


class WireError(Exception):
    """A protocol-level error raised before an operation runs (bad target, body or auth)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class WireRequest:
    operation: str
    params: dict[str, Any]


def operation_from_target(target: str | None, known: frozenset[str]) -> str:
    if not target or not target.startswith(TARGET_PREFIX):
        raise WireError("UnknownOperationException", f"Unknown operation: {target or '(none)'}")
    operation = target[len(TARGET_PREFIX) :]
    if operation not in known:
        raise WireError("UnknownOperationException", f"Unknown operation: {operation}")
    return operation


def decode_request(operation: str, body: bytes) -> WireRequest:
    """The JSON body as the keyword arguments boto3 would have passed (blobs as bytes)."""
    try:
        data = json.loads(body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(
            "SerializationException", f"Request body is not valid JSON: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise WireError("SerializationException", "Request body must be a JSON object.")
    params = _decode_blobs(input_shape_name(operation), data, operation)
    assert isinstance(params, dict)
    return WireRequest(operation, params)


def _decode_blobs(shape_name: str, value: Any, path: str) -> Any:
    """Base64 text -> bytes wherever the model says blob; everything else passes through
    (type and range checks stay with the service's validator, which words them as AWS does)."""
    s = shape(shape_name)
    kind = s["type"]
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise WireError("SerializationException", f"{path}: blob is not valid base64") from None
    if kind == "structure" and isinstance(value, dict):
        members = s.get("members", {})
        return {
            k: _decode_blobs(members[k]["shape"], v, f"{path}.{k}") if k in members else v
            for k, v in value.items()
        }
    if kind == "list" and isinstance(value, list):
        member = s["member"]["shape"]
        return [_decode_blobs(member, v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()  # JSON 1.1 timestamps are epoch seconds
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def encode_response(response: Mapping[str, Any]) -> bytes:
    """Compact JSON. orjson, not the standard library: a page of 100 faces encodes in about
    0.1 ms instead of 1.0-1.3 ms (bench/serve.py), and floats come out as the same shortest
    round-trip text. Datetimes are passed through to ``_json_default`` (epoch seconds)."""
    import orjson

    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    return orjson.dumps(body, default=_json_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def encode_error(code: str, message: str) -> tuple[int, bytes]:
    # Rekognition sends both spellings of the message; botocore reads either.
    body = {"__type": code, "Code": code, "Message": message, "message": message}
    return status_for(code), json.dumps(body).encode()


def face_operations() -> frozenset[str]:
    """The operations facedesk answers (the model file holds exactly those)."""
    return frozenset(service_model()["operations"])
