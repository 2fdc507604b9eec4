"""Build ``dist/facedesk_VERSION_ARCH.deb`` from the onedir bundle: ``python make_deb.py``.

Layout (the Filesystem Hierarchy Standard's place for a self-contained add-on package):

- ``/opt/facedesk/``: the PyInstaller bundle as built (``facedesk``, ``facedesk-cli``,
  ``_internal/``);
- ``/usr/bin/facedesk`` and ``/usr/bin/facedesk-cli``: relative symlinks into it;
- ``/usr/share/applications/facedesk.desktop``: the menu entry, with ``MimeType=`` for
  the image types facedesk indexes, so file managers offer "Open with facedesk"
  (the app indexes the files given on its command line);
- ``/usr/share/icons/hicolor/{SIZE}/apps/facedesk.png`` and ``scalable/apps/facedesk.svg``.

No maintainer scripts: Debian's desktop-file-utils and hicolor-icon-theme refresh the
MIME cache and icon caches through dpkg triggers on those folders. Needs ``dpkg-deb``
(Debian's ``dpkg`` package) and, for the PNG sizes, Pillow (the build venv has it).
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
# Shared libraries the bundle takes from the system (PyInstaller leaves out the graphics
# stack and X11/xcb, which must match the user's display server), as Debian 12 names them.
DEPENDS = (
    "libc6 (>= 2.31)",
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libfreetype6",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libdbus-1-3",
    # OpenSSL 3 for Python's ssl module (uvicorn, facedesk serve): libssl3t64 since the
    # 64-bit time_t transition (Debian 13, Ubuntu 24.04), libssl3 before.
    "libssl3t64 | libssl3",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xinerama0 | libxcb1",
)


def version() -> str:
    tree = ast.parse((REPO / "facedesk" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            return str(ast.literal_eval(node.value))
    raise SystemExit("facedesk/__init__.py has no __version__")


def architecture() -> str:
    out = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True)
    return out.stdout.strip() or "amd64"


def write_icons(root: Path) -> None:
    hicolor = root / "usr" / "share" / "icons" / "hicolor"
    svg = REPO / "resources" / "icons" / "facedesk.svg"
    (hicolor / "scalable" / "apps").mkdir(parents=True)
    shutil.copyfile(svg, hicolor / "scalable" / "apps" / "facedesk.svg")
    master = REPO / "resources" / "app.png"  # 256 px, rendered by packaging/make_icons.py
    try:
        from PIL import Image
    except ImportError:  # still a valid package: the 256 px icon and the SVG
        sizes: tuple[int, ...] = (256,)
        Image = None  # type: ignore[assignment]
    else:
        sizes = ICON_SIZES
    for size in sizes:
        folder = hicolor / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        if Image is None or size == 256:
            shutil.copyfile(master, folder / "facedesk.png")
        else:
            with Image.open(master) as im:
                im.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS).save(
                    folder / "facedesk.png"
                )


def installed_size_kib(root: Path) -> int:
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return (total + 1023) // 1024


def build_root(bundle: Path, root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    opt = root / "opt" / "facedesk"
    opt.parent.mkdir(parents=True)
    # Hard links when the bundle is on the same file system: no 500 MB copy.
    shutil.copytree(bundle, opt, symlinks=True, copy_function=_link_or_copy)
    usr_bin = root / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    for exe in ("facedesk", "facedesk-cli"):
        (usr_bin / exe).symlink_to(Path("..", "..", "opt", "facedesk", exe))
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copyfile(HERE / "facedesk.desktop", apps / "facedesk.desktop")
    write_icons(root)
    doc = root / "usr" / "share" / "doc" / "facedesk"
    doc.mkdir(parents=True)
    shutil.copyfile(REPO / "README.md", doc / "README.md")


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def control(root: Path, arch: str) -> str:
    return (
        "Package: facedesk\n"
        f"Version: {version()}\n"
        "Section: graphics\n"
        "Priority: optional\n"
        f"Architecture: {arch}\n"
        "Maintainer: facedesk developers <facedesk@localhost>\n"
        f"Installed-Size: {installed_size_kib(root)}\n"
        f"Depends: {', '.join(DEPENDS)}\n"
        "Homepage: https://localhost/facedesk\n"
        "Description: local face collections with Amazon Rekognition's semantics\n"
        " Index your photos and search them by face, offline: a desktop app, a\n"
        " boto3-style Python client and an AWS-CLI-style command line\n"
        " (facedesk-cli). Everything runs on this computer; no network is used.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=REPO / "dist" / "facedesk")
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    parser.add_argument("--work", type=Path, default=REPO / "build" / "deb-root")
    parser.add_argument(
        "--compression",
        default="zstd",
        help="dpkg-deb -Z (zstd: dpkg >= 1.21.18, Debian 12 / Ubuntu 21.10; xz for older)",
    )
    args = parser.parse_args(argv)
    if not (args.bundle / "facedesk").is_file():
        print(f"no bundle at {args.bundle}; build first (packaging/build.py)", file=sys.stderr)
        return 1
    arch = architecture()
    build_root(args.bundle.resolve(), args.work)
    (args.work / "DEBIAN").mkdir()
    (args.work / "DEBIAN" / "control").write_text(control(args.work, arch), encoding="utf-8")
    args.out.mkdir(parents=True, exist_ok=True)
    deb = args.out / f"facedesk_{version()}_{arch}.deb"
    subprocess.run(
        [
            "dpkg-deb",
            "--root-owner-group",
            f"-Z{args.compression}",
            "--build",
            str(args.work),
            str(deb),
        ],
        check=True,
    )
    shutil.rmtree(args.work)
    print(f"built {deb} ({deb.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
