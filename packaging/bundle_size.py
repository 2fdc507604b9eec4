"""Size a built bundle by component: ``python packaging/bundle_size.py [DIST] [--before DIST]``.

Prints one row per component (MB = 10^6 bytes, files counted once: symlinks are skipped,
as PyInstaller 6 links top-level libraries to their package folders). With ``--before`` a
second bundle (e.g. an older build kept with ``cp -al dist/facedesk /tmp/before``) is sized
the same way and both columns are printed, so each exclusion's cost is read off one table.
``--json OUT`` writes the figures too. Standard library only: runs with any Python 3.11.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
MB = 1_000_000

# (component, glob patterns on the path relative to _internal/), first match wins.
_FFMPEG = (
    "libavcodec",
    "libavformat",
    "libavutil",
    "libswscale",
    "libswresample",
    "libaom",
    "libvpx",
    "libdav1d",
    "libavif",
)
COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # the compact forms (facedesk.engine.shape_store) first: the .dat patterns match them too
    ("68-point predictor, int8 .npz (built at build time)", ("*shape_predictor_68*.npz",)),
    ("5-point predictor, float32 .npz (built at build time)", ("*shape_predictor_5_*.npz",)),
    ("dlib model: 68-point shape predictor", ("*shape_predictor_68*",)),
    ("dlib model: 5-point shape predictor", ("*shape_predictor_5_*",)),
    ("dlib model: ResNet descriptor (.dat)", ("*dlib_face_recognition_resnet*",)),
    ("dlib model: CNN (MMOD) detector", ("*mmod_human_face_detector*",)),
    ("descriptor ONNX graph (built at build time)", ("*dlib-resnet*.onnx", "*dlib-resnet*.json")),
    ("facedesk attribute models (onnx/tflite/svm)", ("facedesk/engine/models/*",)),
    ("facedesk code + resources", ("facedesk/*",)),
    ("dlib (_dlib_pybind11)", ("_dlib_pybind11*", "dlib*")),
    (
        "OpenCV: FFmpeg, libavif, AV1/VP9 codecs",
        tuple(f"opencv_python_headless.libs/{n}*" for n in _FFMPEG),
    ),
    ("OpenCV: OpenBLAS, gfortran, libpng", ("opencv_python_headless.libs/*",)),
    ("OpenCV: cv2 module", ("cv2/*",)),
    ("Qt: ICU (libicu*)", ("PySide6/Qt/lib/libicu*",)),
    ("Qt: translations", ("PySide6/Qt/translations/*",)),
    ("Qt: plugins", ("PySide6/Qt/plugins/*",)),
    ("Qt: libraries (Core/Gui/Widgets/...)", ("PySide6/Qt/lib/*",)),
    ("Qt: Python bindings + shiboken", ("PySide6/*", "shiboken6/*")),
    ("onnxruntime", ("onnxruntime/*", "onnxruntime.libs/*")),
    ("onnx + protobuf (graph conversion)", ("onnx/*", "google/*", "ml_dtypes/*")),
    ("numpy: OpenBLAS libs", ("numpy.libs/*",)),
    ("numpy", ("numpy/*",)),
    ("ai-edge-litert (TFLite)", ("ai_edge_litert/*", "ai_edge_litert.libs/*")),
    ("Pillow + simplejpeg", ("PIL/*", "pillow.libs/*", "simplejpeg*")),
    ("SQLAlchemy + Alembic", ("sqlalchemy/*", "alembic/*", "mako/*")),
    (
        # starlette, uvicorn, anyio, botocore... are Python: they are in the archive
        # (executables); these are their native parts. OpenSSL itself (uvicorn imports
        # ssl) comes from the system, as D-Bus does (facedesk.spec, make_deb.py DEPENDS).
        "facedesk serve: httptools, orjson, _ssl",
        ("httptools/*", "orjson/*", "python3*/lib-dynload/_ssl*"),
    ),
    ("Python runtime", ("libpython*", "python3*/*", "base_library.zip", "lib-dynload/*")),
    ("usearch (search graph for large collections)", ("usearch/*", "numkong/*", "numkong.libs/*")),
    ("system libraries (GTK, X11, GLib, ...)", ("*.so", "*.so.*")),
    ("dist-info metadata", ("*.dist-info/*",)),
)
OTHER = "other"


def component_of(rel: str) -> str:
    for name, patterns in COMPONENTS:
        if any(fnmatch.fnmatch(rel, p) for p in patterns):
            return name
    return OTHER


def measure(dist: Path) -> dict[str, int]:
    """component -> bytes for the bundle folder ``dist`` (``dist/facedesk``)."""
    if not dist.is_dir():
        raise SystemExit(f"no bundle at {dist}; build first (python packaging/build.py)")
    internal = dist / "_internal" if (dist / "_internal").is_dir() else dist
    sizes: dict[str, int] = defaultdict(int)
    for path in dist.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            rel = path.relative_to(internal).as_posix()
        except ValueError:
            rel = "executables/" + path.relative_to(dist).as_posix()
            sizes["executables (bootloaders)"] += path.stat().st_size
            continue
        sizes[component_of(rel)] += path.stat().st_size
    return dict(sizes)


def table(after: dict[str, int], before: dict[str, int] | None) -> str:
    names = sorted(set(after) | set(before or {}), key=lambda n: -(before or after).get(n, 0))
    rows = []
    if before is None:
        rows.append("| Component | MB |\n|---|---:|")
        rows += [f"| {n} | {after.get(n, 0) / MB:.1f} |" for n in names]
        rows.append(f"| **total** | **{sum(after.values()) / MB:.1f}** |")
    else:
        rows.append("| Component | MB before | MB after | saved |\n|---|---:|---:|---:|")
        for n in names:
            b, a = before.get(n, 0), after.get(n, 0)
            rows.append(f"| {n} | {b / MB:.1f} | {a / MB:.1f} | {(b - a) / MB:.1f} |")
        b, a = sum(before.values()), sum(after.values())
        rows.append(f"| **total** | **{b / MB:.1f}** | **{a / MB:.1f}** | **{(b - a) / MB:.1f}** |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dist", nargs="?", type=Path, default=HERE.parent / "dist" / "facedesk")
    parser.add_argument("--before", type=Path, help="an older bundle to compare with")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--limit-mb", type=float, help="exit 1 when the bundle is larger")
    args = parser.parse_args(argv)
    after = measure(args.dist)
    before = measure(args.before) if args.before else None
    print(table(after, before))
    total = sum(after.values()) / MB
    if args.json:
        args.json.write_text(json.dumps({"after": after, "before": before}, indent=2) + "\n")
    if args.limit_mb is not None and total > args.limit_mb:
        print(f"bundle is {total:.1f} MB, over the {args.limit_mb:.0f} MB limit", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
