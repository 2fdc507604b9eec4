"""Checks that a facedesk response is one Rekognition could have sent.

Two halves, both from botocore's own copy of the Rekognition model (independent of the
extract facedesk ships):

1. ``botocore.stub.Stubber(client).add_response(op, response)``: types, required members,
   unknown keys, ``min``.
2. What botocore skips (reference section 7): enum members, regex patterns, ``max`` on
   numbers, strings and lists; Percent 0..100 and Degree -180..180 fall out of ``max``/``min``.

Also rejects ``None`` anywhere and NaN floats.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from functools import cache
from typing import Any

import botocore.session
from botocore.stub import Stubber


@cache
def _boto_client() -> Any:
    return botocore.session.get_session().create_client(
        "rekognition",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def _walk(shape: Any, value: Any, path: str, problems: list[str]) -> None:
    if value is None:
        problems.append(f"{path}: None")
        return
    t = shape.type_name
    if t == "structure":
        for name, member in shape.members.items():
            if name in value:
                _walk(member, value[name], f"{path}.{name}", problems)
    elif t == "list":
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{path}: {len(value)} items > max {shape.metadata['max']}")
        for i, item in enumerate(value):
            _walk(shape.member, item, f"{path}[{i}]", problems)
    elif t == "map":
        for k, v in value.items():
            _walk(shape.value, v, f"{path}.{k}", problems)
    elif t == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} not in enum {shape.enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and "\\p{" not in pattern and not re.fullmatch(pattern, value):
            problems.append(f"{path}: {value!r} does not match {pattern}")
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{path}: length {len(value)} > max {shape.metadata['max']}")
    elif t in ("integer", "long", "float", "double"):
        if isinstance(value, bool):
            problems.append(f"{path}: bool where a number belongs")
            return
        if isinstance(value, float) and math.isnan(value):
            problems.append(f"{path}: NaN")
        if "max" in shape.metadata and value > shape.metadata["max"]:
            problems.append(f"{path}: {value} > max {shape.metadata['max']}")
        if "min" in shape.metadata and value < shape.metadata["min"]:
            problems.append(f"{path}: {value} < min {shape.metadata['min']}")
    elif t == "timestamp" and (not isinstance(value, datetime) or value.tzinfo is None):
        problems.append(f"{path}: timestamps must be timezone-aware datetimes")


def check_response(method: str, response: dict[str, Any]) -> None:
    """Raise AssertionError unless ``response`` is a valid ``method`` response."""
    client = _boto_client()
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    with Stubber(client) as stubber:
        stubber.add_response(method, body)  # raises ParamValidationError if invalid
    op = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[method])
    problems: list[str] = []
    _walk(op.output_shape, body, op.name, problems)
    assert not problems, "\n".join(problems)


class CheckedClient:
    """Wraps a facedesk client so that every response a test receives is checked."""

    def __init__(self, client: Any) -> None:
        from facedesk.service.client import operation_names

        self._client = client
        self._methods = set(operation_names())
        self.checked = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name not in self._methods:
            return attr

        def call(**kwargs: Any) -> Any:
            response = attr(**kwargs)
            check_response(name, response)
            self.checked += 1
            return response

        return call
