"""The AWS CLI (from PyPI, run as a separate process) against ``facedesk serve``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.serve.conftest import ACCESS_KEY, SECRET_KEY, Served


def _aws(served: Served, *args: str, home: Path) -> Any:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-west-2",
        "HOME": str(home),  # nothing of the real ~ is read or written
        "AWS_PAGER": "",
    }
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "rekognition", "--endpoint-url", served.url, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else None


def test_index_list_search_with_the_aws_cli(served: Served, testdata: Path, tmp_path: Path) -> None:
    photo = testdata / "real/face_recognition/obama.jpg"
    other = testdata / "real/face_recognition/obama2.jpg"
    _aws(served, "create-collection", "--collection-id", "c", home=tmp_path)
    indexed = _aws(
        served,
        "index-faces",
        "--collection-id",
        "c",
        "--image-bytes",
        f"fileb://{photo}",
        "--external-image-id",
        "obama.jpg",
        home=tmp_path,
    )
    [record] = indexed["FaceRecords"]
    assert indexed["UnindexedFaces"] == []
    face_id = record["Face"]["FaceId"]
    listed = _aws(served, "list-faces", "--collection-id", "c", home=tmp_path)
    assert [f["FaceId"] for f in listed["Faces"]] == [face_id]
    found = _aws(
        served,
        "search-faces-by-image",
        "--collection-id",
        "c",
        "--image-bytes",
        f"fileb://{other}",
        home=tmp_path,
    )
    assert found["FaceMatches"][0]["Face"]["FaceId"] == face_id
    assert found["FaceMatches"][0]["Similarity"] >= 80
    described = _aws(served, "describe-collection", "--collection-id", "c", home=tmp_path)
    assert described["FaceCount"] == 1
    assert not (tmp_path / ".aws").exists()  # config and credentials came from temp files


def test_the_aws_cli_reports_service_errors(served: Served, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": "us-west-2",
        "HOME": str(tmp_path),
    }
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "awscli",
            "rekognition",
            "--endpoint-url",
            served.url,
            "describe-collection",
            "--collection-id",
            "missing",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert out.returncode == 255  # AWS CLI v1 (PyPI's awscli); v2 exits 254
    assert "ResourceNotFoundException" in out.stderr


@pytest.mark.parametrize("secret", ["wrong-secret"])
def test_the_aws_cli_with_a_wrong_secret(served: Served, tmp_path: Path, secret: str) -> None:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-west-2",
        "HOME": str(tmp_path),
    }
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "awscli",
            "rekognition",
            "--endpoint-url",
            served.url,
            "list-collections",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert out.returncode == 255 and "InvalidSignatureException" in out.stderr
