"""Reliability tests: the outcome table of the bad-input matrix is printed at the end of the run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.reliability.inputs import OUTCOMES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not OUTCOMES:
        return
    tr = terminalreporter
    tr.section("bad-input matrix (input, path, outcome)")
    width = max(len(row[0]) for row in OUTCOMES)
    for name, path, outcome in sorted(OUTCOMES, key=lambda r: (r[0], r[1])):
        tr.write_line(f"{name:<{width}}  {path:<10}  {outcome}")


@pytest.fixture(scope="session")
def small_photos(testdata: Any) -> dict[str, bytes]:
    """Small real photos with faces: quick to index in bulk."""
    import io

    from PIL import Image

    real = testdata / "real"
    two = Image.open(real / "face_recognition" / "two_people.jpg")
    two.thumbnail((480, 480))
    buf = io.BytesIO()
    two.save(buf, "JPEG", quality=85)
    return {
        "obama_small.jpg": (real / "face_recognition" / "obama_small.jpg").read_bytes(),
        "2009_004587.jpg": (real / "dlib" / "2009_004587.jpg").read_bytes(),
        "two_people_480.jpg": buf.getvalue(),
    }
