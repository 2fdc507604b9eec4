"""SigV4 for ``facedesk serve``: the key pair, and signature checks with botocore's own signer.

The signature is never re-derived by hand: the request is rebuilt as a botocore
``AWSRequest`` holding exactly the headers the client says it signed, botocore's
``SigV4Auth`` computes the signature for the client's timestamp and credential scope, and
the two are compared in constant time. Any SigV4 client (boto3, the AWS CLI, the other SDKs)
signs the same canonical request, so what botocore accepts is what AWS accepts.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from facedesk.serve.wire import WireError

ACCESS_KEY_ENV = "FACEDESK_ACCESS_KEY_ID"
SECRET_KEY_ENV = "FACEDESK_SECRET_ACCESS_KEY"
CREDENTIALS_FILE = "serve-credentials.json"
SERVICE = "rekognition"
# AWS refuses signatures more than 5 minutes from its clock ("Signature expired").
MAX_CLOCK_SKEW_S = 300

_AUTH_HEADER = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+),\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+),\s*Signature=(?P<sig>[0-9a-f]{64})\s*$"
)


_AMZ_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z", re.ASCII)


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


@dataclass(frozen=True)
class LoadedCredentials:
    credentials: Credentials
    source: str  # "environment", "file" or "generated"
    path: Path | None


def load_or_create(folder: Path) -> LoadedCredentials:
    """The environment's key pair, else the stored one, else a new one stored 0600."""
    key, secret = os.environ.get(ACCESS_KEY_ENV), os.environ.get(SECRET_KEY_ENV)
    if key and secret:
        return LoadedCredentials(Credentials(key, secret), "environment", None)
    if key or secret:
        raise ValueError(f"set both {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, or neither")
    path = folder / CREDENTIALS_FILE
    if path.exists():
        data = json.loads(path.read_text())
        creds = Credentials(data["AccessKeyId"], data["SecretAccessKey"])
        return LoadedCredentials(creds, "file", path)
    upper = string.ascii_uppercase + string.digits
    creds = Credentials(
        "FDSK" + "".join(secrets.choice(upper) for _ in range(16)),
        secrets.token_urlsafe(30)[:40],
    )
    folder.mkdir(parents=True, exist_ok=True)
    # O_EXCL + mode 0600 at creation: the secret is never readable by others, not even
    # for the moment between a write and a chmod.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(
            {"AccessKeyId": creds.access_key_id, "SecretAccessKey": creds.secret_access_key}, f
        )
    return LoadedCredentials(creds, "generated", path)


def verify(
    credentials: Credentials,
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    now: datetime | None = None,
) -> None:
    """Raise WireError (Rekognition's code) unless the request is signed by ``credentials``."""
    pairs = list(headers)
    lookup: dict[str, list[str]] = {}
    for name, value in pairs:
        lookup.setdefault(name.lower(), []).append(value)
    authorization = (lookup.get("authorization") or [""])[0]
    if not authorization:
        raise WireError(
            "UnrecognizedClientException",
            "The request is not signed: no Authorization header (SigV4 with the key from "
            f"{ACCESS_KEY_ENV} or facedesk serve's generated key).",
        )
    match = _AUTH_HEADER.match(authorization)
    if match is None:
        raise WireError("IncompleteSignatureException", "Authorization header is not SigV4.")
    scope = match["cred"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise WireError("IncompleteSignatureException", "Credential scope is malformed.")
    access_key, date, region, service, _ = scope
    if not hmac.compare_digest(access_key.encode(), credentials.access_key_id.encode()):
        raise WireError(
            "UnrecognizedClientException", "The security token included in the request is invalid."
        )
    if service != SERVICE:
        raise WireError(
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{SERVICE}'.",
        )
    timestamp = (lookup.get("x-amz-date") or [""])[0]
    _check_time(timestamp, date, now or datetime.now(UTC))
    signed = match["signed"].split(";")
    if "host" not in signed:
        raise WireError("InvalidSignatureException", "The host header must be signed.")
    missing = [h for h in signed if h not in lookup]
    if missing:
        raise WireError("InvalidSignatureException", f"Signed header(s) missing: {missing}.")
    content_sha = lookup.get("x-amz-content-sha256")
    if content_sha and content_sha[0] != hashlib.sha256(body).hexdigest():
        raise WireError(
            "InvalidSignatureException", "X-Amz-Content-SHA256 does not match the body."
        )

    # Only the signed headers, in the client's spelling: botocore's canonical request signs
    # every header it is given.
    request = _botocore_classes()[0](
        method=method,
        url=url,
        headers={n: ",".join(lookup[n]) for n in signed},
        data=body,
    )
    request.context["timestamp"] = timestamp
    signer = _signer(access_key, credentials.secret_access_key, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, match["sig"]):
        raise WireError(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method.",
        )


@functools.cache
def _botocore_classes() -> tuple[type[Any], type[Any]]:
    """botocore's request and SigV4 signer, each with one thing changed (made on the first
    request, so importing this module does not import botocore's signer)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    class ReceivedRequest(AWSRequest):  # type: ignore[misc]
        """A request as received: its body is already the bytes that were signed.

        ``AWSRequest.body`` prepares the whole request (URL, a copy of the headers,
        Content-Length) in order to encode a dict body, and botocore's canonical request
        reads it to hash the payload. For bytes the prepared body is the bytes themselves
        (None for b"", which hashes as the empty payload, as b"" does)."""

        @property
        def body(self) -> bytes:
            data: bytes = self.data
            return data

    class CachedKeySigV4Auth(SigV4Auth):  # type: ignore[misc]
        """botocore's signer, with the signing key derived once per day.

        ``SigV4Auth.signature`` derives the key (four chained HMACs of the secret, date,
        region and service) on every call; AWS's SigV4 documentation has clients cache it
        per date and scope. The canonical request and the string to sign stay botocore's,
        and so does the last HMAC."""

        _cached: tuple[str, bytes] = ("", b"")

        def signature(self, string_to_sign: str, request: Any) -> str:
            day = request.context["timestamp"][0:8]
            cached = self._cached  # one read: another thread may replace it, never half
            if cached[0] != day:
                k_date = self._sign(f"AWS4{self.credentials.secret_key}".encode(), day)
                k_region = self._sign(k_date, self._region_name)
                k_service = self._sign(k_region, self._service_name)
                cached = self._cached = (day, self._sign(k_service, "aws4_request"))
            return str(self._sign(cached[1], string_to_sign, hex=True))

    return ReceivedRequest, CachedKeySigV4Auth


# Bounded: the region is the client's word (any is accepted), and the access key id
# alone, which passes the check before this, is no secret.
@functools.lru_cache(maxsize=16)
def _signer(access_key: str, secret_key: str, region: str) -> Any:
    """One signer per key and region, kept, and so is its day's signing key."""
    from botocore.credentials import Credentials as BotoCredentials

    return _botocore_classes()[1](BotoCredentials(access_key, secret_key), SERVICE, region)


def _check_time(timestamp: str, date: str, now: datetime) -> None:
    # Not strptime: it and replace(tzinfo=...) were a tenth of a signature check
    # (bench/serve.py); the fixed basic format goes to fromisoformat with its offset.
    match = _AMZ_DATE.fullmatch(timestamp)
    try:
        if match is None:
            raise ValueError(timestamp)
        y, mo, d, h, mi, sec = match.groups()
        signed_at = datetime.fromisoformat(f"{y}-{mo}-{d}T{h}:{mi}:{sec}+00:00")
    except ValueError:
        raise WireError(
            "IncompleteSignatureException", "X-Amz-Date is missing or malformed."
        ) from None
    if not timestamp.startswith(date):
        raise WireError("InvalidSignatureException", "Credential date does not match X-Amz-Date.")
    if abs((now - signed_at).total_seconds()) > MAX_CLOCK_SKEW_S:
        raise WireError(
            "InvalidSignatureException",
            f"Signature expired: {timestamp} is more than 5 minutes from the server's time.",
        )
