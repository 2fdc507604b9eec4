"""Build-time: stand-ins for the FFmpeg and libavif libraries of the OpenCV wheel (Linux).

opencv-python-headless links ``cv2.abi3.so`` against FFmpeg (libavcodec, libavformat,
libavutil, libswscale) and libavif, which pull in libaom, libdav1d, libvpx and
libswresample: 46 MB that facedesk never calls (it decodes with Pillow; no video, no
``cv2.imread``). They cannot simply be left out, because the dynamic loader needs every
``NEEDED`` library and every imported symbol when Python imports cv2 (RTLD_NOW).

So each library cv2 links directly is replaced by a small stand-in with the same SONAME
and symbol versions that defines exactly the functions cv2 imports from it (read from
both files with ``readelf``); each one writes which function was called and aborts. The
codec libraries that only the real FFmpeg/libavif needed are then left out. cv2 imports
no data objects from these libraries (checked here: a data import stops the stand-in).
Needs ``gcc`` and ``readelf``; without them, or on another OS, the real libraries stay.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

# Linked by cv2.abi3.so itself: replaced. Needed only through those: dropped.
STUBBED = ("libavcodec", "libavformat", "libavutil", "libswscale", "libavif")
ONLY_THROUGH_STUBBED = ("libswresample", "libvpx", "libaom", "libdav1d")
_SYM = re.compile(r"^\s*\d+:\s+\S+\s+\d+\s+(\w+)\s+(\w+)\s+\w+\s+(\w+)\s+(\S+)")


def _dynsyms(path: Path) -> list[tuple[str, str, str, str]]:
    """(type, bind, ndx, name[@version]) of the dynamic symbol table."""
    out = subprocess.run(
        ["readelf", "--dyn-syms", "-W", str(path)], capture_output=True, text=True, check=True
    ).stdout
    rows = []
    for line in out.splitlines():
        m = _SYM.match(line)
        if m:
            rows.append((m.group(1), m.group(2), m.group(3), m.group(4)))
    return rows


def _soname(path: Path) -> str:
    out = subprocess.run(
        ["readelf", "-d", "-W", str(path)], capture_output=True, text=True, check=True
    ).stdout
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", out)
    return m.group(1) if m else path.name


def _split(symbol: str) -> tuple[str, str]:
    name, _, version = symbol.partition("@")
    return name, version.lstrip("@").split(" ")[0]


def make_stub(real: Path, user: Path, out_dir: Path) -> Path:
    """Compile the stand-in for ``real`` holding the functions ``user`` imports from it."""
    defined = {}
    for kind, _bind, ndx, symbol in _dynsyms(real):
        if ndx != "UND":
            name, version = _split(symbol)
            defined[name] = (kind, version)
    wanted: dict[str, list[str]] = defaultdict(list)
    for _kind, _bind, ndx, symbol in _dynsyms(user):
        name, _version = _split(symbol)
        if ndx == "UND" and name in defined:
            kind, version = defined[name]
            if kind != "FUNC":
                raise RuntimeError(f"{user.name} imports data {name} from {real.name}")
            wanted[version].append(name)
    out_dir.mkdir(parents=True, exist_ok=True)
    c_file = out_dir / f"{real.name}.c"
    lines = [
        "#include <stdio.h>",
        "#include <stdlib.h>",
        "static void novideo(const char *name) {",
        '  fprintf(stderr, "facedesk: %s is not in this bundle (OpenCV video/AVIF I/O'
        ' was left out, see packaging/novideo.py)\\n", name);',
        "  abort();",
        "}",
    ]
    for names in wanted.values():
        lines += [f'void {n}(void) {{ novideo("{n}"); }}' for n in sorted(names)]
    c_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    map_file = out_dir / f"{real.name}.map"
    nodes = []
    for version, names in sorted(wanted.items()):
        body = " ".join(f"{n};" for n in sorted(names))
        nodes.append(f"{version} {{ global: {body} }};" if version else f"{{ global: {body} }};")
    if any(not v for v in wanted) and len(wanted) > 1:
        raise RuntimeError(f"{real.name} mixes versioned and unversioned imports")
    map_file.write_text("\n".join(nodes) + "\n", encoding="utf-8")
    stub = out_dir / real.name
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-O2",
            "-s",
            "-o",
            str(stub),
            str(c_file),
            f"-Wl,-soname,{_soname(real)}",
            f"-Wl,--version-script,{map_file}",
        ],
        check=True,
    )
    return stub


def replace_video_libraries(binaries: list, out_dir: Path) -> list:  # type: ignore[type-arg]
    """PyInstaller TOC -> the same TOC with the stand-ins (see the module docstring)."""
    if not sys.platform.startswith("linux"):
        return binaries  # the macOS/Windows OpenCV wheels use the system's video APIs
    if not (shutil.which("gcc") and shutil.which("readelf")):
        print("novideo: no gcc/readelf here; OpenCV's FFmpeg libraries stay in the bundle")
        return binaries
    cv2 = next(
        (Path(src) for dest, src, _k in binaries if Path(dest).name.startswith("cv2.")), None
    )
    if cv2 is None:
        return binaries

    def base(dest: str) -> str:
        return Path(dest).name.split("-")[0].split(".")[0]

    kept = []
    for dest, src, kind in binaries:
        in_opencv_libs = "opencv_python_headless.libs" in dest.replace("\\", "/")
        if in_opencv_libs and base(dest) in ONLY_THROUGH_STUBBED:
            continue
        if in_opencv_libs and base(dest) in STUBBED:
            src = str(make_stub(Path(src), cv2, out_dir))
        kept.append((dest, src, kind))
    print(f"novideo: {len(STUBBED)} libraries replaced, {len(binaries) - len(kept)} left out")
    return kept
