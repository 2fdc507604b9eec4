"""The vendored HOG detector file is dlib's built-in frontal face detector, byte for byte."""

from __future__ import annotations

from pathlib import Path

from facedesk.engine import dlib_models


def test_vendored_hog_detector_is_dlibs_builtin(tmp_path: Path) -> None:
    import dlib

    builtin = tmp_path / "builtin.svm"
    dlib.get_frontal_face_detector().save(str(builtin))
    vendored = dlib_models.hog_detector_path()
    assert vendored.read_bytes() == builtin.read_bytes(), (
        "dlib's built-in detector changed: regenerate with "
        "dlib.get_frontal_face_detector().save('facedesk/engine/models/frontal_face_detector.svm')"
    )
    # ...and it loads as the detector dlib_models hands out.
    assert dlib_models.get("hog").num_detectors == 5
