"""Bad input through the client (strict limits), ``facedesk index`` and the GUI worker path
(relaxed limits): each input ends in a result or a named error with a useful message, the
rest of the batch is indexed and the process carries on.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from PIL import ImageFile

import facedesk
from facedesk import cli
from facedesk.core.errors import ClientError
from facedesk.service.indexing import FileResult
from tests.reliability.inputs import (
    FOLDER_PHOTO,
    OK,
    OUTCOMES,
    BadInput,
    Expect,
    build,
    outcome_text,
    vanish,
)

REPO = Path(__file__).resolve().parents[2]
UNREADABLE = "gen_unreadable_chmod000.jpg"


@pytest.fixture(scope="module")
def inputs(testdata: Path, manifest: dict[str, dict[str, Any]]) -> list[BadInput]:
    return build(testdata, manifest)


def _strict_expect(item: BadInput) -> Expect | None:
    if item.data == b"":
        # botocore's `min: 1` on Image.Bytes: a validation error before any decoding.
        return Expect("InvalidParameterException", "greater than or equal to 1")
    return item.strict


def _check(expect: Expect, code: str | None, message: str | None, where: str) -> None:
    assert code == expect.code, f"{where}: expected {expect.code}, got {code} ({message})"
    if expect.code is not None:
        assert message, f"{where}: {code} without a message"
        assert expect.message.lower() in message.lower(), f"{where}: unhelpful message {message!r}"


def _make_batch(folder: Path, inputs: list[BadInput], photo: bytes) -> list[str]:
    """Write the inputs into ``folder``; returns the explicit paths to pass after the folder."""
    folder.mkdir()
    explicit: list[str] = []
    for item in inputs:
        path = folder / item.name
        if item.data is None:
            path.mkdir()
            (path / FOLDER_PHOTO).write_bytes(photo)
        else:
            path.write_bytes(item.data)
        if item.explicit:
            explicit.append(str(path))
    unreadable = folder / UNREADABLE
    unreadable.write_bytes(photo)
    unreadable.chmod(0)
    return explicit


def _unreadable_expect(folder: Path, name: str = UNREADABLE) -> Expect:
    """chmod 000 blocks reads unless we are root (CI is): the outcome follows what the OS does."""
    try:
        with open(folder / name, "rb"):
            return OK
    except PermissionError:
        return Expect("PermissionError", "Permission denied")


def _expectations(inputs: list[BadInput], folder: Path) -> dict[str, Expect]:
    expected = {
        item.name if item.data is not None else f"{item.name}/{FOLDER_PHOTO}": item.relaxed
        for item in inputs
    }
    expected[UNREADABLE] = _unreadable_expect(folder)
    return expected


def _check_batch(
    results: list[FileResult], expected: dict[str, Expect], folder: Path, label: str
) -> None:
    by_name = {Path(r.path).relative_to(folder).as_posix(): r for r in results}
    assert sorted(by_name) == sorted(expected), f"{label}: one result per input"
    assert len(results) == len(expected)
    for name, expect in expected.items():
        r = by_name[name]
        code = r.error_code if r.status == "error" else None
        _check(expect, code, r.message, f"{label} {name}")
        if r.status != "error":
            assert r.status == "indexed" and r.image_id, f"{label} {name}: {r}"
            OUTCOMES.append((name, label, outcome_text(None, f"indexed {r.indexed} face(s)")))
        else:
            OUTCOMES.append((name, label, outcome_text(r.error_code, str(r.message))))


def _assert_stored(db: Path, collection: str, expected: dict[str, Expect]) -> None:
    with facedesk.client(database=str(db)) as c:
        images = c.library.list_images(collection)
        faces = c.library.faces(collection)
    good = sorted(Path(name).name for name, e in expected.items() if e.code is None)
    stored = sorted(str(i.external_image_id) for i in images)
    assert stored == good
    assert {f.external_image_id for f in faces} <= set(good)


def test_client_strict_limits(inputs: list[BadInput], client: Any) -> None:
    client.create_collection(CollectionId="strict")
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    for item in inputs:
        expect = _strict_expect(item)
        if expect is None:
            OUTCOMES.append((item.name, "client", "n/a (the client takes bytes, not paths)"))
            continue
        assert item.data is not None
        try:
            response = client.index_faces(
                CollectionId="strict", Image={"Bytes": item.data}, ExternalImageId=item.name
            )
        except ClientError as exc:
            _check(expect, exc.code, exc.message, f"client {item.name}")
            assert exc.response["Error"]["Code"] == exc.code
            assert "IndexFaces" in str(exc)
            OUTCOMES.append((item.name, "client", outcome_text(exc.code, exc.message)))
            continue
        _check(expect, None, None, f"client {item.name}")
        n = len(response.get("FaceRecords", []))
        OUTCOMES.append((item.name, "client", outcome_text(None, f"indexed {n} face(s)")))
    assert before == ImageFile.LOAD_TRUNCATED_IMAGES
    # The client still works after every bad request.
    assert client.describe_collection(CollectionId="strict")["FaceCount"] >= 1


class _VanishingOut(io.StringIO):
    """The CLI's output stream: changes queued files when the first result is printed."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def write(self, text: str) -> int:
        vanish(self.folder)
        return super().write(text)


def test_cli_batch_relaxed_limits(
    inputs: list[BadInput], tmp_path: Path, small_photos: dict[str, bytes]
) -> None:
    folder = tmp_path / "batch"
    explicit = _make_batch(folder, inputs, small_photos["obama_small.jpg"])
    expected = _expectations(inputs, folder)
    db = tmp_path / "cli.db"
    out = _VanishingOut(folder)
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    argv = [
        "--database",
        str(db),
        "index",
        "--collection-id",
        "c",
        "--create-collection",
        "--no-progress",
        str(folder),
        *explicit,
    ]
    code = cli.main(argv, out=out)
    assert before == ImageFile.LOAD_TRUNCATED_IMAGES
    assert code == 1  # some files failed; the batch itself finished
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    results = [FileResult(**line) for line in lines]
    _check_batch(results, expected, folder, "CLI")
    _assert_stored(db, "c", expected)


def test_gui_worker_path_relaxed_limits(
    inputs: list[BadInput], tmp_path: Path, small_photos: dict[str, bytes]
) -> None:
    folder = tmp_path / "batch"
    explicit = _make_batch(folder, inputs, small_photos["obama_small.jpg"])
    expected = _expectations(inputs, folder)
    db = tmp_path / "gui.db"
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    results: list[FileResult] = []
    with facedesk.client(database=str(db), store_thumbnails=True) as c:
        c.create_collection(CollectionId="g")
        for event in c.library.iter_index_files("g", [str(folder), *explicit]):
            results.append(event.result)
            vanish(folder)
    assert before == ImageFile.LOAD_TRUNCATED_IMAGES
    _check_batch(results, expected, folder, "GUI worker")
    _assert_stored(db, "g", expected)


def test_cli_single_operation_with_unusable_paths(tmp_path: Path, capsys: Any) -> None:
    db = str(tmp_path / "ops.db")
    folder = tmp_path / "x.jpg"
    folder.mkdir()
    assert cli.main(["--database", db, "create-collection", "--collection-id", "c"]) == 0
    cases = {
        "folder": (f"fileb://{folder}", cli.EXIT_USAGE, "directory"),
        "missing": (f"fileb://{tmp_path / 'gone.jpg'}", cli.EXIT_USAGE, "no such file"),
    }
    text = tmp_path / "text.jpg"
    text.write_text("not a picture")
    cases["text"] = (f"fileb://{text}", cli.EXIT_SERVICE_ERROR, "InvalidImageFormatException")
    for name, (blob, exit_code, fragment) in cases.items():
        capsys.readouterr()
        code = cli.main(
            ["--database", db, "index-faces", "--collection-id", "c", "--image-bytes", blob]
        )
        err = capsys.readouterr().err
        assert code == exit_code, (name, err)
        assert fragment.lower() in err.lower(), (name, err)
        OUTCOMES.append((f"{name} (index-faces --image-bytes)", "CLI op", err.strip()))


# A FIFO named like a photo: reading it would block until a writer appears, which is never.
# (Found hanging the batch; fixed in service/indexing.py by the pipeline rewrite.)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_in_the_batch_does_not_hang_it(tmp_path: Path, small_photos: dict[str, bytes]) -> None:
    folder = tmp_path / "fifo"
    folder.mkdir()
    os.mkfifo(folder / "a_pipe.jpg")
    (folder / "b_photo.jpg").write_bytes(small_photos["obama_small.jpg"])
    argv = [
        sys.executable,
        "-m",
        "facedesk",
        "--database",
        str(tmp_path / "f.db"),
        "index",
        "--collection-id",
        "c",
        "--create-collection",
        "--no-progress",
        str(folder),
    ]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20, cwd=REPO)
    except subprocess.TimeoutExpired:
        OUTCOMES.append(("a_pipe.jpg (FIFO)", "CLI", "HANGS"))
        pytest.fail("facedesk index hung on a FIFO named a_pipe.jpg")
    lines = done.stdout.splitlines()
    assert len(lines) == 2 and '"status": "indexed"' in lines[1], done.stdout + done.stderr
    pipe = json.loads(lines[0])
    assert pipe["status"] == "error" and "regular file" in pipe["message"], pipe
    OUTCOMES.append(("a_pipe.jpg (FIFO)", "CLI", f"{pipe['error_code']}: {pipe['message']}"))


def test_facedesk_leaves_load_truncated_images_alone(testdata: Path) -> None:
    """In a fresh process: indexing and detecting never flip Pillow's global switch, and the
    face engine does not import face_recognition (whose import flips it)."""
    script = textwrap.dedent(
        f"""
        import sys
        from PIL import ImageFile
        import facedesk
        assert ImageFile.LOAD_TRUNCATED_IMAGES is False
        c = facedesk.client(database=":memory:")
        c.create_collection(CollectionId="c")
        data = open({str(testdata / "real/face_recognition/obama_small.jpg")!r}, "rb").read()
        c.index_faces(CollectionId="c", Image={{"Bytes": data}})
        c.detect_faces(Image={{"Bytes": data}}, Attributes=["ALL"])
        for name in ("obama2_truncated.jpg", "two_people.webp", "obama_cmyk.jpg"):
            path = {str(testdata / "derived")!r} + "/" + name
            for event in c.library.iter_index_files("c", [path]):
                pass
        print(ImageFile.LOAD_TRUNCATED_IMAGES, "face_recognition" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


@pytest.fixture
def truncated_ok_globally() -> Any:
    old = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # what `import face_recognition` does
    yield
    ImageFile.LOAD_TRUNCATED_IMAGES = old


def test_truncated_files_fail_even_when_someone_set_load_truncated_images(
    testdata: Path, inputs: list[BadInput], truncated_ok_globally: None, client: Any
) -> None:
    from facedesk.engine import RELAXED_LIMITS, STRICT_LIMITS, decode_image

    truncated = {
        "obama2_truncated.jpg": (testdata / "derived" / "obama2_truncated.jpg").read_bytes(),
        "gen_truncated.png": next(i.data for i in inputs if i.name == "gen_truncated.png"),
    }
    client.create_collection(CollectionId="t")
    for name, data in truncated.items():
        assert data is not None
        for limits in (STRICT_LIMITS, RELAXED_LIMITS):
            with pytest.raises(ClientError) as info:
                decode_image(data, limits)
            assert info.value.code == "InvalidImageFormatException", name
            assert "truncated" in info.value.message.lower(), info.value.message
        with pytest.raises(client.exceptions.InvalidImageFormatException):
            client.index_faces(CollectionId="t", Image={"Bytes": data})
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # and facedesk did not reset it either


def test_unreadable_file_outcome_is_reported_either_way(
    tmp_path: Path, small_photos: dict[str, bytes]
) -> None:
    """chmod 000 is a real obstacle for a normal user and none for root; both are reported."""
    path = tmp_path / "locked.jpg"
    path.write_bytes(small_photos["obama_small.jpg"])
    path.chmod(0)
    assert stat.S_IMODE(path.stat().st_mode) == 0
    expect = _unreadable_expect(tmp_path, path.name)
    with facedesk.client(database=str(tmp_path / "u.db")) as c:
        c.create_collection(CollectionId="u")
        (event,) = list(c.library.iter_index_files("u", [str(path)]))
    r = event.result
    _check(expect, r.error_code if r.status == "error" else None, r.message, "chmod 000")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert r.status == "indexed"  # root reads through permission bits
    else:
        assert r.error_code == "PermissionError"
