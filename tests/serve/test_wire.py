"""The JSON 1.1 body encoder: what botocore's parser gets back must equal what the in-process
client returned (floats to the last bit, timestamps as epoch seconds, blobs as base64)."""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime

from facedesk.serve import wire


def test_response_round_trips_floats_timestamps_and_blobs() -> None:
    floats = [0.1, 1 / 3, 99.99999237060547, 1e-7, 12345.678901234567, math.nextafter(1.0, 2.0)]
    created = datetime(2026, 12, 2, 23, 59, 58, 123456, tzinfo=UTC)
    response = {
        "Faces": [{"Confidence": f, "BoundingBox": {"Left": f / 2}} for f in floats],
        "CreationTimestamp": created,
        "Blob": b"\x00\xffface",
        "UnindexedFaces": [],
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }
    decoded = json.loads(wire.encode_response(response))
    assert [face["Confidence"] for face in decoded["Faces"]] == floats
    assert [face["BoundingBox"]["Left"] for face in decoded["Faces"]] == [f / 2 for f in floats]
    assert decoded["CreationTimestamp"] == created.timestamp()
    assert base64.b64decode(decoded["Blob"]) == b"\x00\xffface"
    assert decoded["UnindexedFaces"] == []
    assert "ResponseMetadata" not in decoded


def test_response_is_compact_utf8() -> None:
    body = wire.encode_response({"ExternalImageId": "Zoë's café", "Faces": []})
    assert b" " not in body.replace("Zoë's café".encode(), b"")
    assert json.loads(body)["ExternalImageId"] == "Zoë's café"
