"""``facedesk serve`` as a user starts it: its own process, a generated key pair, loopback."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from facedesk.serve import auth

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _serve(tmp_path: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACEDESK_")}
    env.update(XDG_DATA_HOME=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "facedesk",
            "--database",
            str(tmp_path / "s.db"),
            "serve",
            "--port",
            "0",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "ready" in line:
                break
        yield proc, lines
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_first_start_generates_a_key_pair_stored_0600(tmp_path: Path) -> None:
    import boto3

    with _serve(tmp_path) as (proc, lines):
        text = "".join(lines)
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", text).group(1))  # type: ignore[union-attr]
        key = re.search(r"AWS_ACCESS_KEY_ID=(\S+)", text).group(1)  # type: ignore[union-attr]
        secret = re.search(r"AWS_SECRET_ACCESS_KEY=(\S+)", text).group(1)  # type: ignore[union-attr]
        stored = tmp_path / "data" / "facedesk" / auth.CREDENTIALS_FILE
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        rek = boto3.client(
            "rekognition",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="ap-south-1",  # any region is accepted
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )
        assert rek.list_collections()["CollectionIds"] == []
    assert proc.returncode == 0  # Ctrl+C is a normal stop
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
    with _serve(tmp_path) as (_proc, lines):
        text = "".join(lines)
        assert key in text and secret not in text  # printed once, on the first start only


def test_a_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp_path / "d")}
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "facedesk",
                "--database",
                str(tmp_path / "s.db"),
                "serve",
                "--port",
                str(port),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    assert out.returncode == 255 and "Address already in use" in out.stderr
    assert "Traceback" not in out.stderr


def test_load_or_create(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auth.ACCESS_KEY_ENV, raising=False)
    monkeypatch.delenv(auth.SECRET_KEY_ENV, raising=False)
    first = auth.load_or_create(tmp_path / "f")
    assert first.source == "generated" and first.path is not None
    assert re.fullmatch(r"[A-Z0-9]{20}", first.credentials.access_key_id)
    again = auth.load_or_create(tmp_path / "f")
    assert again.source == "file" and again.credentials == first.credentials
    monkeypatch.setenv(auth.ACCESS_KEY_ENV, "AKIDENV")
    monkeypatch.setenv(auth.SECRET_KEY_ENV, "s3cret")
    env = auth.load_or_create(tmp_path / "g")
    assert env.source == "environment" and env.credentials == auth.Credentials("AKIDENV", "s3cret")
    assert not (tmp_path / "g").exists()
    monkeypatch.delenv(auth.SECRET_KEY_ENV)
    with pytest.raises(ValueError, match="both"):
        auth.load_or_create(tmp_path / "g")
