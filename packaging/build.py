"""Build the desktop install in one command: ``python packaging/build.py``.

1. creates a clean build venv (default ``build/venv``; the test venv is never touched),
2. installs the project (editable, so the installed self-test and the bundle read the same
   sources) and PyInstaller from ``packaging/requirements-build.txt``,
3. runs ``packaging/facedesk.spec`` into ``dist/facedesk/``, strips debug info and
   replaces Qt's ICU data library with a smaller one (``packaging/icu_slim.py``),
4. prints the build time and the bundle size, and writes them to ``build/build-info.json``.

Use the Python the app should ship with (3.11): ``python3.11 packaging/build.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def tree_size(root: Path) -> tuple[int, int]:
    """(bytes, files) under root, not following symlinks (macOS bundles are full of them)."""
    total = files = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            files += 1
    return total, files


def strip_debug_info(bundle: Path) -> tuple[int, int]:
    """``strip --strip-debug`` the ELF files that carry DWARF debug info; (files, bytes saved).

    A pyenv-built Python ships libpython and lib-dynload unstripped (measured: 23 MB ->
    6 MB for libpython). Only files with a ``.debug_info`` section are touched: wheels'
    libraries are already stripped, and rewriting patchelf-ed ones (auditwheel) is a known
    way to break them. Linux only; a missing ``strip`` or ``readelf`` skips the step.
    """
    if not sys.platform.startswith("linux") or not (
        shutil.which("strip") and shutil.which("readelf")
    ):
        return 0, 0
    count = saved = 0
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        sections = subprocess.run(
            ["readelf", "-S", "-W", str(path)], capture_output=True, text=True, check=False
        ).stdout
        if ".debug_info" not in sections:
            continue
        before = path.stat().st_size
        subprocess.run(["strip", "--strip-debug", str(path)], check=True)
        count += 1
        saved += before - path.stat().st_size
    return count, saved


def drop_dangling_links(bundle: Path) -> list[str]:
    """Remove symlinks whose target the spec filtered out (PyInstaller 6 links top-level
    libraries to their package folders before the spec's binary filters run, e.g.
    libQt6Network.so.6); they point nowhere in the bundle and in the .deb."""
    dropped = []
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() and not path.exists():
            path.unlink()
            dropped.append(path.relative_to(bundle).as_posix())
    return dropped


def _run(cmd: Sequence[str | Path], **kwargs: object) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)  # type: ignore[call-overload]


def make_venv(
    venv: Path, python: str, extras: Sequence[str], no_deps: Sequence[str], reuse: bool
) -> Path:
    py = venv_python(venv)
    if reuse and py.is_file():
        print(f"reusing build venv {venv}")
    else:
        if venv.exists():
            shutil.rmtree(venv)
        _run([python, "-m", "venv", venv])
    _run(
        [
            py,
            "-m",
            "pip",
            "install",
            "--quiet",
            "-e",
            # The serve extra: ``facedesk serve`` works in the desktop install too
            # (starlette, uvicorn, httptools, orjson, botocore's signer).
            f"{REPO}[serve]",
            "-r",
            HERE / "requirements-build.txt",
            *extras,
        ]
    )
    if no_deps:
        # For packages whose declared pins conflict with the versions facedesk tests with.
        _run([py, "-m", "pip", "install", "--quiet", "--no-deps", *no_deps])
    return py


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=REPO / "build" / "venv")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the venv")
    parser.add_argument("--dist", type=Path, default=REPO / "dist")
    parser.add_argument(
        "--reuse-venv",
        action="store_true",
        help="keep an existing build venv (faster rebuilds; not a clean build)",
    )
    parser.add_argument(
        "--pip",
        dest="extras",
        action="append",
        default=[],
        metavar="REQ",
        help="extra requirement for the build venv (repeatable)",
    )
    parser.add_argument(
        "--pip-no-deps",
        dest="no_deps",
        action="append",
        default=[],
        metavar="REQ",
        help="extra requirement installed with --no-deps (repeatable)",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    py = make_venv(args.venv.resolve(), args.python, args.extras, args.no_deps, args.reuse_venv)
    venv_done = time.perf_counter()
    work = REPO / "build" / "pyinstaller"
    _run(
        [
            py,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            args.dist.resolve(),
            "--workpath",
            work,
            HERE / "facedesk.spec",
        ],
        cwd=REPO,
    )
    bundle = args.dist.resolve() / "facedesk"
    dangling = drop_dangling_links(bundle)
    print(f"removed {len(dangling)} dangling links: {' '.join(dangling)}")
    stripped, saved = strip_debug_info(bundle)
    print(f"stripped debug info from {stripped} files: {saved / 1e6:.1f} MB")
    # Qt's ICU data without the trees Qt never reads (packaging/icu_slim.py; 15.8 MB).
    sys.path.insert(0, str(HERE))
    import icu_slim

    icu = icu_slim.slim(bundle, str(py))
    print(f"ICU data: {json.dumps(icu)}")
    finished = time.perf_counter()

    size, files = tree_size(bundle)
    info = {
        "bundle": str(bundle),
        "bundle_bytes": size,
        "bundle_files": files,
        "venv_seconds": round(venv_done - started, 1),
        "pyinstaller_seconds": round(finished - venv_done, 1),
        "build_seconds": round(finished - started, 1),
        "icu_data": icu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    (REPO / "build").mkdir(exist_ok=True)
    (REPO / "build" / "build-info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(
        f"built {bundle} in {info['build_seconds']} s "
        f"(venv {info['venv_seconds']} s, PyInstaller {info['pyinstaller_seconds']} s); "
        f"bundle {size / 2**20:.0f} MiB in {files} files"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
