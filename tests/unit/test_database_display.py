"""The app's status bar shows the library's URL: never its password."""

from __future__ import annotations

import pytest

from facedesk.service.library import mask_password


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://me:s3:cr/et@nas:5432/photos", "postgresql+psycopg://me:***@nas:5432/photos"),
        ("postgresql://u:p@h/d?host=/run/a@b", "postgresql://u:***@h/d?host=/run/a@b"),
        ("postgresql+psycopg://postgres@/db?host=/tmp/x", "postgresql+psycopg://postgres@/db?host=/tmp/x"),
        ("sqlite:////home/me/facedesk.db", "sqlite:////home/me/facedesk.db"),
        ("/home/me/family.db", "/home/me/family.db"),
    ],
)  # fmt: skip
def test_password_is_masked(url: str, shown: str) -> None:
    assert mask_password(url) == shown
    assert "s3:cr" not in mask_password(url)
