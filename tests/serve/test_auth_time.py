"""X-Amz-Date checks of the SigV4 verifier: the basic ISO 8601 form only, the credential
scope's date, and AWS's five minutes of clock skew either way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from facedesk.serve.auth import MAX_CLOCK_SKEW_S, _check_time
from facedesk.serve.wire import WireError

NOW = datetime(2026, 12, 3, 23, 58, 30, tzinfo=UTC)


@pytest.mark.parametrize("skew", [0, MAX_CLOCK_SKEW_S, -MAX_CLOCK_SKEW_S])
def test_times_within_the_skew_pass(skew: int) -> None:
    stamp = (NOW + timedelta(seconds=skew)).strftime("%Y%m%dT%H%M%SZ")
    _check_time(stamp, stamp[:8], NOW)


@pytest.mark.parametrize("skew", [MAX_CLOCK_SKEW_S + 1, -MAX_CLOCK_SKEW_S - 1])
def test_times_past_the_skew_are_expired(skew: int) -> None:
    stamp = (NOW + timedelta(seconds=skew)).strftime("%Y%m%dT%H%M%SZ")
    with pytest.raises(WireError, match="expired") as caught:
        _check_time(stamp, stamp[:8], NOW)
    assert caught.value.code == "InvalidSignatureException"


@pytest.mark.parametrize(
    "stamp",
    [
        "",
        "20261203T235830",  # no Z
        "2026-12-03T23:58:30Z",  # extended form: SigV4 uses the basic one
        "20261303T235830Z",  # month 13
        "20261203T245830Z",  # hour 24
        "\uff12\uff10\uff12\uff16" + "1203T235830Z",  # full-width digits
        "20261203T235830Z ",
    ],
)
def test_malformed_dates_are_incomplete_signatures(stamp: str) -> None:
    with pytest.raises(WireError) as caught:
        _check_time(stamp, "20261203", NOW)
    assert caught.value.code == "IncompleteSignatureException"


def test_scope_date_must_match() -> None:
    with pytest.raises(WireError, match="Credential date") as caught:
        _check_time("20261203T235830Z", "20261202", NOW)
    assert caught.value.code == "InvalidSignatureException"
