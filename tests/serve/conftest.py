"""A facedesk server on a free loopback port per test module, and real boto3 clients for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ACCESS_KEY = "FDSKTESTKEY0000000001"
SECRET_KEY = "facedesk-test-secret-key-0000000000000000"


@pytest.fixture(autouse=True)
def _no_aws_files(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing under ~ is read or written: AWS config and credentials come from temp files."""
    home = tmp_path_factory.mktemp("aws-home")
    (home / "config").write_text("[default]\nregion = us-east-1\n")
    (home / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


class Served:
    def __init__(self, running: Any, local: Any, db: Path | str) -> None:
        self.running, self.local, self.db = running, local, db

    @property
    def url(self) -> str:
        return str(self.running.url)

    def boto3(self, key: str = ACCESS_KEY, secret: str = SECRET_KEY, **config: Any) -> Any:
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            aws_access_key_id=key, aws_secret_access_key=secret, region_name="eu-west-1"
        )
        return session.client("rekognition", endpoint_url=self.url, config=Config(**config))


def serve(db: Path | str) -> Iterator[Served]:
    """A server over ``db``: a SQLite file or a PostgreSQL URL."""
    import facedesk
    from facedesk.serve.app import ServeConfig
    from facedesk.serve.auth import Credentials
    from facedesk.serve.server import start_in_thread

    local = facedesk.client(database=str(db))
    config = ServeConfig(credentials=Credentials(ACCESS_KEY, SECRET_KEY), workers=4)
    running = start_in_thread(local, config)
    try:
        yield Served(running, local, db)
    finally:
        running.stop()
        assert not running.thread.is_alive()
        local.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from serve(tmp_path_factory.mktemp("serve") / "serve.db")


@pytest.fixture(scope="module")
def photos() -> dict[str, bytes]:
    from tests.conftest import TESTDATA

    names = {
        "obama": "real/face_recognition/obama.jpg",
        "obama2": "real/face_recognition/obama2.jpg",
        "obama_small": "real/face_recognition/obama_small.jpg",
        "biden": "real/face_recognition/biden.jpg",
        "coffee": "real/skimage/coffee.png",
    }
    return {k: (TESTDATA / v).read_bytes() for k, v in names.items()}
