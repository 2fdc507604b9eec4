"""Request validation from Rekognition's own service model.

botocore checks only types, ``required`` and ``min`` on the client; the service then
rejects pattern, ``max`` and enum violations. facedesk runs both halves here, from the
shapes extracted into ``rekognition_model.json`` (see tools/extract_model.py), so every
operation is checked exactly as the model says instead of by hand-copied rules.
Messages follow the service's wording ("1 validation error detected: Value ... at
'collectionId' failed to satisfy constraint: ...").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from facedesk.core.errors import ImageTooLargeException, InvalidParameterException


@cache
def service_model() -> Mapping[str, Any]:
    text = resources.files("facedesk.service").joinpath("rekognition_model.json").read_text()
    model: Mapping[str, Any] = json.loads(text)
    return model


def shape(name: str) -> Mapping[str, Any]:
    result: Mapping[str, Any] = service_model()["shapes"][name]
    return result


def input_shape_name(operation: str) -> str:
    name: str = service_model()["operations"][operation]["input"]
    return name


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    if "\\p{" in pattern:
        return None  # Unicode classes: checked by _unicode_class_match
    return re.compile(pattern)


_UNICODE_CLASS = re.compile(r"\\p\{(\w)\}")


def _unicode_class_match(pattern: str, value: str) -> bool:
    """TagKey/TagValue patterns use \\p{L}\\p{Z}\\p{N}, which ``re`` lacks."""
    body = pattern.removeprefix("^").removesuffix("$")
    if body.startswith("(?!aws:)"):
        if value.startswith("aws:"):
            return False
        body = body[len("(?!aws:)") :]
    body = body.strip("()")
    m = re.fullmatch(r"\[(.*)\]\*", body)
    if not m:
        return True
    inner = m.group(1)
    categories = set(_UNICODE_CLASS.findall(inner))
    literal = _UNICODE_CLASS.sub("", inner).replace("\\-", "-")
    return all(ch in literal or unicodedata.category(ch)[0] in categories for ch in value)


def _camel(path: str) -> str:
    """AWS reports member paths in lowerCamelCase ('collectionId', 'image.bytes')."""
    return ".".join(
        p[:1].lower() + p[1:] if p and not p[0].isdigit() else p for p in path.split(".")
    )


class _Validator:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.too_large = False

    def fail(self, path: str, value: Any, constraint: str) -> None:
        shown = value if isinstance(value, str | int | float) else type(value).__name__
        self.errors.append(
            f"Value '{shown}' at '{_camel(path)}' failed to satisfy constraint: {constraint}"
        )

    def check(self, shape_name: str, value: Any, path: str) -> Any:
        s = shape(shape_name)
        kind = s["type"]
        method = getattr(self, f"_{kind}")
        return method(s, value, path)

    def _structure(self, s: Mapping[str, Any], value: Any, path: str) -> Any:
        if not isinstance(value, Mapping):
            self.fail(path, value, "Member must be a structure (dict)")
            return value
        members = s.get("members", {})
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key not in members:
                self.errors.append(
                    f'Unknown parameter in {path or "input"}: "{key}", must be one of: '
                    + ", ".join(members)
                )
                continue
            sub = f"{path}.{key}" if path else key
            out[key] = self.check(members[key]["shape"], item, sub)
        for req in s.get("required", []):
            if req not in value:
                sub = f"{path}.{req}" if path else req
                self.fail(sub, "null", "Member must not be null")
        return out

    def _list(self, s: Mapping[str, Any], value: Any, path: str) -> Any:
        if not isinstance(value, list | tuple):
            self.fail(path, value, "Member must be a list")
            return value
        self._length(s, len(value), value, path)
        return [self.check(s["member"]["shape"], v, f"{path}.{i + 1}") for i, v in enumerate(value)]

    def _map(self, s: Mapping[str, Any], value: Any, path: str) -> Any:
        if not isinstance(value, Mapping):
            self.fail(path, value, "Member must be a map (dict)")
            return value
        self._length(s, len(value), value, path)
        return {
            self.check(s["key"]["shape"], k, f"{path}.key"): self.check(
                s["value"]["shape"], v, f"{path}.{k}"
            )
            for k, v in value.items()
        }

    def _string(self, s: Mapping[str, Any], value: Any, path: str) -> Any:
        if not isinstance(value, str):
            self.fail(path, value, "Member must be a string")
            return value
        self._length(s, len(value), value, path)
        if "enum" in s and value not in s["enum"]:
            self.fail(path, value, f"Member must satisfy enum value set: [{', '.join(s['enum'])}]")
        pattern = s.get("pattern")
        if pattern is not None and value:
            compiled = _compiled(pattern)
            ok = (
                compiled.fullmatch(value) is not None
                if compiled is not None
                else _unicode_class_match(pattern, value)
            )
            if not ok:
                self.fail(path, value, f"Member must satisfy regular expression pattern: {pattern}")
        return value

    def _integer(self, s: Mapping[str, Any], value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, value, "Member must be an integer")
            return value
        self._range(s, value, path)
        return value

    _long = _integer

    def _float(self, s: Mapping[str, Any], value: Any, path: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, value, "Member must be a number")
            return value
        if value != value:  # NaN passes every comparison: reject it outright
            self.fail(path, value, "Member must be a number")
            return value
        self._range(s, value, path)
        return float(value)

    _double = _float

    def _boolean(self, s: Mapping[str, Any], value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            self.fail(path, value, "Member must be a boolean")
        return value

    def _timestamp(self, s: Mapping[str, Any], value: Any, path: str) -> Any:
        if not isinstance(value, datetime | int | float) or isinstance(value, bool):
            self.fail(path, value, "Member must be a timestamp")
        return value

    def _blob(self, s: Mapping[str, Any], value: Any, path: str) -> Any:
        # boto3 accepts bytes-like and readable file objects for blobs.
        if isinstance(value, bytearray | memoryview):
            value = bytes(value)
        elif hasattr(value, "read") and not isinstance(value, bytes):
            try:
                value = value.read()
            except (OSError, ValueError) as exc:
                self.fail(path, type(value).__name__, f"Member must be readable ({exc})")
                return b""
            if isinstance(value, str):
                value = value.encode()
        elif isinstance(value, str):
            value = value.encode()
        if not isinstance(value, bytes):
            self.fail(path, value, "Member must be bytes or a readable file object")
            return value
        if "max" in s and len(value) > s["max"]:
            self.too_large = True
        if "min" in s and len(value) < s["min"]:
            self.fail(
                path,
                f"{len(value)} bytes",
                f"Member must have length greater than or equal to {s['min']}",
            )
        return value

    def _length(self, s: Mapping[str, Any], n: int, value: Any, path: str) -> None:
        shown = value if isinstance(value, str) else f"{n} items"
        if "min" in s and n < s["min"]:
            self.fail(path, shown, f"Member must have length greater than or equal to {s['min']}")
        if "max" in s and n > s["max"]:
            self.fail(path, shown, f"Member must have length less than or equal to {s['max']}")

    def _range(self, s: Mapping[str, Any], value: float, path: str) -> None:
        if "min" in s and value < s["min"]:
            self.fail(path, value, f"Member must have value greater than or equal to {s['min']}")
        if "max" in s and value > s["max"]:
            self.fail(path, value, f"Member must have value less than or equal to {s['max']}")


def validate_request(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``params`` against the operation's input shape and return a normalised copy.

    Blobs come back as ``bytes`` (file objects are read). Raises
    InvalidParameterException for every violation, ImageTooLargeException for an
    image blob over the model's 5 MiB maximum.
    """
    v = _Validator()
    result = v.check(input_shape_name(operation), dict(params), "")
    if v.errors:
        n = len(v.errors)
        raise InvalidParameterException(
            f"{n} validation error{'s' if n > 1 else ''} detected: " + "; ".join(v.errors)
        )
    if v.too_large:
        raise ImageTooLargeException(
            f"Image size is too large: Bytes are limited to {5 * 1024 * 1024} bytes (5 MiB)."
        )
    assert isinstance(result, dict)
    return result


__all__ = ["input_shape_name", "service_model", "shape", "validate_request"]
