"""Opaque pagination tokens.

A token carries the sort key to resume after, bound to the operation and its filters by
a checksum, so a token from another listing or an edited one is refused as
InvalidPaginationTokenException instead of silently listing the wrong thing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from facedesk.core.errors import InvalidPaginationTokenException


def _digest(scope: Any, after: str) -> str:
    raw = json.dumps([scope, after], sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def encode(scope: Any, after: str) -> str:
    payload = json.dumps({"a": after, "h": _digest(scope, after)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode(scope: Any, token: str | None) -> str | None:
    """The key to resume after, or None for the first page."""
    if token is None:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        after, check = data["a"], data["h"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidPaginationTokenException("Invalid Token") from exc
    if not isinstance(after, str) or check != _digest(scope, after):
        raise InvalidPaginationTokenException("Invalid Pagination Token")
    return after
