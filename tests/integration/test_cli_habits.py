"""The AWS CLI's habits in facedesk's command line: output formats, --query, input JSON,
skeletons, per-parameter help, exit codes, and the batch progress bar on a terminal."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from facedesk.cli import EXIT_SERVICE_ERROR, EXIT_USAGE, main
from facedesk.service.validation import input_shape_name, shape

ROOT = Path(__file__).resolve().parents[2]


def run(db: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--database", str(db), *args], out=out)
    return code, out.getvalue()


@pytest.fixture
def db(tmp_path: Path, testdata: Path) -> Path:
    path = tmp_path / "habits.db"
    run(path, "create-collection", "--collection-id", "fam")
    run(path, "create-collection", "--collection-id", "work")
    photo = testdata / "real/face_recognition/obama.jpg"
    code, _ = run(
        path, "index-faces", "--collection-id", "fam", "--image-bytes", f"fileb://{photo}"
    )
    assert code == 0
    return path


def test_output_formats_print_the_same_response(db: Path) -> None:
    _, as_json = run(db, "list-collections")
    data = json.loads(as_json)
    _, as_yaml = run(db, "list-collections", "--output", "yaml")
    assert yaml.safe_load(as_yaml) == data
    _, as_text = run(db, "--output", "text", "list-collections")
    version = data["FaceModelVersions"][0]  # new collections take the newest face model
    assert as_text.splitlines() == [
        "COLLECTIONIDS\tfam",
        "COLLECTIONIDS\twork",
        f"FACEMODELVERSIONS\t{version}",
        f"FACEMODELVERSIONS\t{version}",
    ]
    _, faces_text = run(db, "list-faces", "--collection-id", "fam", "--output", "text")
    first, face_line = faces_text.splitlines()[:2]
    assert first == version  # the structure's scalars, in key order
    face = json.loads(run(db, "list-faces", "--collection-id", "fam")[1])["Faces"][0]
    assert face_line.startswith("FACES\t") and face["FaceId"] in face_line.split("\t")
    assert "BOUNDINGBOX\t" in faces_text
    _, table = run(db, "describe-collection", "--collection-id", "fam", "--output", "table")
    lines = table.splitlines()
    assert "DescribeCollection" in lines[1] and any("FaceCount" in line for line in lines)
    assert all(line[0] in "-|+" for line in lines)


def test_query_picks_with_jmespath(db: Path) -> None:
    code, out = run(db, "list-faces", "--collection-id", "fam", "--query", "Faces[].FaceId")
    ids = json.loads(out)
    assert code == 0 and len(ids) == 1 and isinstance(ids[0], str)
    code, out = run(db, "--query", "length(CollectionIds)", "--output", "text", "list-collections")
    assert (code, out) == (0, "2\n")
    _, stamp = run(
        db, "describe-collection", "--collection-id", "fam", "--query", "CreationTimestamp"
    )
    assert json.loads(stamp).endswith("+00:00")  # ISO 8601, as AWS CLI v2 prints
    code, _ = run(db, "list-collections", "--query", "Faces[")
    assert code == EXIT_USAGE


def test_region_and_profile_are_accepted_and_ignored(db: Path) -> None:
    code, out = run(db, "--region", "eu-west-1", "list-collections", "--profile", "work")
    assert code == 0 and json.loads(out)["CollectionIds"] == ["fam", "work"]


def test_cli_input_json_and_skeleton(db: Path, tmp_path: Path) -> None:
    code, out = run(db, "list-faces", "--generate-cli-skeleton")
    skeleton = json.loads(out)
    assert code == 0
    assert set(skeleton) == set(shape(input_shape_name("ListFaces"))["members"])
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"CollectionId": "work", "MaxResults": 5}))
    code, out = run(db, "list-faces", "--cli-input-json", f"file://{request}")
    assert code == 0 and json.loads(out)["Faces"] == []
    # A flag given as well wins over the JSON.
    code, out = run(
        db, "list-faces", "--cli-input-json", f"file://{request}", "--collection-id", "fam"
    )
    assert code == 0 and len(json.loads(out)["Faces"]) == 1
    code, out = run(db, "index-faces", "--generate-cli-skeleton", "output")
    assert {"FaceRecords", "UnindexedFaces", "FaceModelVersion"} <= set(json.loads(out))
    code, _ = run(db, "list-faces", "--cli-input-json", "{not json")
    assert code == EXIT_USAGE


def test_help_shows_the_model_documentation_and_required_flags() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "facedesk", "index-faces", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    text = " ".join(done.stdout.split())
    assert "Detects faces in the input image and adds them to the specified collection." in text
    assert "--collection-id VALUE [required] The ID of an existing collection" in text
    assert "--max-faces INT The maximum number of faces to index." in text
    assert "accepted and ignored" in text
    top = subprocess.run(
        [sys.executable, "-m", "facedesk", "--help"], capture_output=True, text=True, env=env
    )
    assert "254" in top.stdout and "252" in top.stdout and "serve" in top.stdout


def test_missing_required_flag_is_a_usage_error(tmp_path: Path) -> None:
    err = io.StringIO()
    sys_stderr, sys.stderr = sys.stderr, err
    try:
        code, _ = run(tmp_path / "x.db", "list-faces", "--max-results", "3")
    finally:
        sys.stderr = sys_stderr
    assert code == EXIT_USAGE and "--collection-id" in err.getvalue()


def test_index_on_a_missing_collection_names_the_flag(
    tmp_path: Path, testdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = testdata / "real/face_recognition/obama.jpg"
    code, out = run(tmp_path / "x.db", "index", "--collection-id", "nope", str(photo))
    assert code == EXIT_SERVICE_ERROR and out == ""
    assert "--create-collection" in capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_and_clean_json_lines(tmp_path: Path, testdata: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("obama.jpg", "biden.jpg"):
        (folder / name).write_bytes((testdata / "real/face_recognition" / name).read_bytes())
    (folder / "broken.jpg").write_bytes(b"not a photo")
    main_fd, tty_fd = pty.openpty()
    # A new pty is 0x0 characters; a real terminal is not (tqdm draws to its width).
    fcntl.ioctl(tty_fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    chunks: list[bytes] = []

    def drain() -> None:  # read while it runs: a pty drops unread output once closed
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "facedesk", "--database", str(tmp_path / "p.db"), "index"]
    done = subprocess.run(
        [*cmd, "--collection-id", "c", "--create-collection", str(folder)],
        stdout=subprocess.PIPE,
        stderr=tty_fd,
        env=env,
        text=True,
        timeout=300,
        check=False,
    )
    os.close(tty_fd)
    reader.join(timeout=10)
    os.close(main_fd)
    bar = b"".join(chunks).decode(errors="replace")
    assert done.returncode == 1  # one file failed, the others were indexed
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(r["status"] for r in lines) == ["error", "indexed", "indexed"]
    assert "0/3" in bar and "img/s" in bar  # tqdm drew on the terminal, not into stdout
