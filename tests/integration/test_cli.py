"""The command line, run as a user would (a subprocess), and in-process for speed."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from facedesk.cli import EXIT_SERVICE_ERROR, main


def run(db: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--database", str(db), *args], out=out)
    return code, out.getvalue()


def test_index_faces_subprocess_prints_two_face_records(tmp_path: Path, testdata: Path) -> None:
    db = tmp_path / "cli.db"
    photo = testdata / "real/face_recognition/two_people.jpg"
    base = [sys.executable, "-m", "facedesk", "--database", str(db)]
    subprocess.run(
        [*base, "create-collection", "--collection-id", "C"], check=True, capture_output=True
    )
    done = subprocess.run(
        [
            *base,
            "index-faces",
            "--collection-id",
            "C",
            "--image-bytes",
            f"fileb://{photo}",
            "--external-image-id",
            "two_people.jpg",
            "--max-faces",
            "5",
            "--quality-filter",
            "AUTO",
            "--detection-attributes",
            "DEFAULT",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    response = json.loads(done.stdout)
    assert len(response["FaceRecords"]) == 2
    assert "ResponseMetadata" not in response


def test_describe_prints_iso_timestamps_and_errors_exit_254(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert run(db, "create-collection", "--collection-id", "C")[0] == 0
    code, out = run(db, "describe-collection", "--collection-id", "C")
    assert code == 0
    stamp = json.loads(out)["CreationTimestamp"]
    assert stamp[:4].isdigit() and "T" in stamp and stamp.endswith("+00:00")
    code, _ = run(db, "describe-collection", "--collection-id", "missing")
    assert code == EXIT_SERVICE_ERROR


def test_list_faces_follows_next_token(tmp_path: Path, testdata: Path) -> None:
    db = tmp_path / "cli.db"
    run(db, "create-collection", "--collection-id", "C")
    photo = testdata / "real/dlib/bald_guys.jpg"
    run(
        db,
        "index-faces",
        "--collection-id",
        "C",
        "--image-bytes",
        f"fileb://{photo}",
        "--quality-filter",
        "NONE",
    )
    code, out = run(db, "list-faces", "--collection-id", "C", "--max-results", "5")
    faces = json.loads(out)["Faces"]
    assert code == 0 and len(faces) >= 20 and "NextToken" not in json.loads(out)
    code, out = run(db, "list-faces", "--collection-id", "C", "--max-results", "5", "--no-paginate")
    assert len(json.loads(out)["Faces"]) == 5 and "NextToken" in json.loads(out)


def test_batch_index_continues_past_bad_files_and_resumes(tmp_path: Path, testdata: Path) -> None:
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(testdata / "real/face_recognition/obama.jpg", folder / "obama.jpg")
    shutil.copy(testdata / "derived/corrupt_body.jpg", folder / "corrupt body.jpg")
    shutil.copy(testdata / "derived/two_people.webp", folder / "sub" / "two_people.webp")
    shutil.copy(testdata / "derived/empty.jpg", folder / "sub" / "empty.jpg")
    db = tmp_path / "cli.db"
    code, out = run(db, "index", "--collection-id", "C", "--create-collection", str(folder))
    lines = [json.loads(line) for line in out.splitlines()]
    by_name = {Path(r["path"]).name: r for r in lines}
    assert code == 1  # some files failed, all were tried
    assert by_name["obama.jpg"]["status"] == "indexed" and by_name["obama.jpg"]["indexed"] == 1
    assert by_name["two_people.webp"]["indexed"] == 2  # relaxed limits take WebP
    assert by_name["corrupt body.jpg"]["error_code"] == "InvalidImageFormatException"
    assert by_name["corrupt body.jpg"]["external_image_id"] == "corrupt_body.jpg"
    assert by_name["empty.jpg"]["status"] == "error"
    code, out = run(db, "index", "--collection-id", "C", str(folder))
    again = {Path(json.loads(x)["path"]).name: json.loads(x) for x in out.splitlines()}
    assert again["obama.jpg"]["status"] == "unchanged"
    assert again["two_people.webp"]["status"] == "unchanged"
    code, out = run(db, "describe-collection", "--collection-id", "C")
    assert json.loads(out)["FaceCount"] == 3


def test_search_compare_and_user_commands(tmp_path: Path, testdata: Path) -> None:
    db = tmp_path / "cli.db"
    obama = testdata / "real/face_recognition/obama.jpg"
    two = testdata / "real/face_recognition/two_people.jpg"
    run(db, "create-collection", "--collection-id", "C")
    code, out = run(
        db,
        "index-faces",
        "--collection-id",
        "C",
        "--image-bytes",
        f"fileb://{two}",
        "--external-image-id",
        "two",
    )
    face_ids = [f["Face"]["FaceId"] for f in json.loads(out)["FaceRecords"]]
    code, out = run(
        db,
        "search-faces-by-image",
        "--collection-id",
        "C",
        "--image-bytes",
        f"fileb://{obama}",
        "--face-match-threshold",
        "80",
        "--max-faces",
        "5",
    )
    matches = json.loads(out)["FaceMatches"]
    assert code == 0 and len(matches) == 1 and matches[0]["Similarity"] >= 80
    code, out = run(
        db,
        "compare-faces",
        "--source-image-bytes",
        f"fileb://{obama}",
        "--target-image-bytes",
        f"fileb://{two}",
    )
    assert code == 0 and len(json.loads(out)["FaceMatches"]) == 1
    assert run(db, "create-user", "--collection-id", "C", "--user-id", "obama")[0] == 0
    code, out = run(
        db,
        "associate-faces",
        "--collection-id",
        "C",
        "--user-id",
        "obama",
        "--face-ids",
        matches[0]["Face"]["FaceId"],
    )
    assert json.loads(out)["AssociatedFaces"] == [{"FaceId": matches[0]["Face"]["FaceId"]}]
    code, out = run(db, "list-users", "--collection-id", "C")
    assert json.loads(out)["Users"] == [{"UserId": "obama", "UserStatus": "ACTIVE"}]
    code, out = run(
        db,
        "search-faces",
        "--collection-id",
        "C",
        "--face-id",
        face_ids[0],
        "--face-match-threshold",
        "0",
    )
    assert code == 0 and len(json.loads(out)["FaceMatches"]) == 1
    assert run(db, "delete-faces", "--collection-id", "C", "--face-ids", "bad")[0] == 254
