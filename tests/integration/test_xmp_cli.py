"""The XMP and library-bundle commands, run as a user would: JSON lines out, exit codes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from facedesk.cli import EXIT_SERVICE_ERROR, main


def run(db: Path, *args: str) -> tuple[int, list[Any]]:
    out = io.StringIO()
    code = main(["--database", str(db), *args], out=out)
    text = out.getvalue()
    try:
        return code, [json.loads(text)]  # the AWS-style commands print one indented document
    except json.JSONDecodeError:
        return code, [json.loads(line) for line in text.splitlines() if line.strip()]


def test_import_export_undo_and_bundle_from_the_command_line(
    testdata: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    photo = folder / "two_people.jpg"
    shutil.copyfile(testdata / "real/face_recognition/two_people.jpg", photo)
    db = tmp_path / "cli.db"
    code, _ = run(
        db, "index", "--collection-id", "C", "--create-collection", "--no-progress", str(folder)
    )
    assert code == 0
    # Regions as Lightroom writes them (photo.xmp), both people, boxes around dlib's.
    faces = sorted(
        run(db, "list-faces", "--collection-id", "C")[1][0]["Faces"],
        key=lambda f: f["BoundingBox"]["Left"],
    )
    regions = ",".join(
        f"{{Area={{X={b['Left'] + b['Width'] / 2},Y={b['Top'] + b['Height'] / 2},"
        f"W={b['Width']},H={b['Height']},Unit=normalized}},Name={name},Type=Face}}"
        for name, b in zip(
            ("Barack Obama", "Joe Biden"), (f["BoundingBox"] for f in faces), strict=True
        )
    )
    subprocess.run(
        [
            "exiftool",
            "-q",
            "-o",
            str(folder / "two_people.xmp"),
            f"-XMP-mwg-rs:RegionInfo={{AppliedToDimensions={{W=1126,H=661,Unit=pixel}},"
            f"RegionList=[{regions}]}}",
            str(photo),
        ],
        check=True,
    )
    receipt = tmp_path / "receipt.json"
    code, lines = run(
        db, "import-xmp", "--collection-id", "C", "--receipt", str(receipt), str(folder)
    )
    assert code == 0
    result, summary = lines
    assert result["Status"] == "imported" and len(result["Assigned"]) == 2
    assert sorted(summary["Summary"]["CreatedUsers"]) == ["Barack_Obama", "Joe_Biden"]
    users = run(db, "list-users", "--collection-id", "C")[1][0]["Users"]
    assert sorted(u["UserId"] for u in users) == ["Barack_Obama", "Joe_Biden"]

    code, lines = run(db, "export-xmp", "--collection-id", "C", "--embed", str(folder))
    assert code == 0 and [r["Status"] for r in lines] == ["exported"]
    read = subprocess.run(
        ["exiftool", "-j", "-XMP-mwg-rs:RegionName", str(photo)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert sorted(json.loads(read.stdout)[0]["RegionName"]) == ["Barack Obama", "Joe Biden"]

    bundle = tmp_path / "lib.zip"
    assert run(db, "export-library", str(bundle))[0] == 0
    other = tmp_path / "other.db"
    code, lines = run(other, "import-library", str(bundle))
    assert code == 0 and lines[0]["Collections"][0]["CollectionId"] == "C"
    code, _ = run(other, "import-library", str(bundle))
    assert code == EXIT_SERVICE_ERROR, "a clash is refused"
    code, lines = run(other, "import-library", "--rename-on-clash", str(bundle))
    assert code == 0 and lines[0]["Collections"][0]["CollectionId"] == "C_imported"

    code, lines = run(db, "undo-import-xmp", str(receipt))
    assert code == 0 and lines == [{"FacesReleased": 2, "DrawnFacesRemoved": 0, "UsersDeleted": 2}]
    assert run(db, "list-users", "--collection-id", "C")[1][0]["Users"] == []


def test_commands_are_cli_invocations_and_errors_are_json_lines(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    base = [sys.executable, "-m", "facedesk", "--database", str(db)]
    subprocess.run(
        [*base, "create-collection", "--collection-id", "C"], check=True, capture_output=True
    )
    missing = tmp_path / "gone.jpg"
    done = subprocess.run(
        [*base, "import-xmp", "--collection-id", "C", str(missing)], capture_output=True, text=True
    )
    assert done.returncode == 1
    first = json.loads(done.stdout.splitlines()[0])
    assert first["Status"] == "error" and "not indexed" in first["Error"]
