"""A smaller ICU data library for the bundle: ``libicudata.so.NN`` without the parts Qt never reads.

PySide6's Qt6Core links ICU (libicuuc, libicui18n, libicudata). The data library is one
32 MB array (``icudtNN_dat``, an ICU common-data package) of which a running facedesk
touches 68 kB (Rss in /proc/PID/smaps of the frozen GUI after start). Qt 6 calls ICU for
collation (QCollator, e.g. QFileSystemModel's sort), locale-aware case mapping
(QLocale::toUpper/toLower), legacy text codecs (QStringConverter) and time-zone names
(QTimeZone::displayName); its own locale (CLDR), IDNA, text-boundary and line-breaking
code does not use ICU. So the trees that no Qt call reaches are removed with ICU's own
package tool (``icupkg -r``), the categories of ICU's data-filter tooling
(``ICU_DATA_FILTER_FILE`` featureFilters, docs/userguide/icu_data/buildtool.md):

- ``brkitr`` (break-iterator rules and dictionaries), ``translit`` (transliterators),
  ``rbnf`` (spelled-out numbers), ``unit`` / ``curr`` / ``lang`` / ``region`` (display
  names of units, currencies, languages and regions), ``unames.icu`` (character names),
  ``*.spp`` (StringPrep profiles) and ``confusables.cfu`` (spoof checker);
- kept: collation, case mapping and normalization, all converters and their aliases,
  time-zone data and names, every locale's main resource bundle, likely subtags.

The result is written back as a shared library with ICU's ``genccode`` (assembly) and the
C compiler, with the same soname and entry point. ``check`` then runs a probe of those Qt
calls (``icu_probe.py``) in the build venv twice, with the original and with the smaller
library preloaded (LD_PRELOAD; the probe verifies from /proc/self/maps which one Qt
mapped), and the build fails unless the answers are identical. Linux only; without
``icupkg``/``genccode`` (Debian: icu-devtools) or a compiler the step is skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Item-name patterns (inside the package, after the ``icudtNNl/`` prefix) that are removed.
REMOVED = (
    re.compile(r"brkitr/"),
    re.compile(r"translit/"),
    re.compile(r"rbnf/"),
    re.compile(r"unit/"),
    re.compile(r"curr/"),
    re.compile(r"lang/"),
    re.compile(r"region/"),
    re.compile(r"unames\.icu$"),
    re.compile(r"[^/]+\.spp$"),
    re.compile(r"confusables\.cfu$"),
)
TOOLS = ("icupkg", "genccode", "readelf", "cc")


class IcuSlimError(RuntimeError):
    pass


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def _run(cmd: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise IcuSlimError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def extract_package(lib: Path, out: Path) -> str:
    """Write the common-data array of ``lib`` to ``out``; returns its entry name (icudtNN)."""
    symbols = _run(["readelf", "-s", "-W", str(lib)])
    found = re.search(r"^\s*\d+:\s+([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+\S+\s+"
                      r"(\d+)\s+(icudt\d+_dat)$", symbols, re.MULTILINE)  # fmt: skip
    if found is None:
        raise IcuSlimError(f"{lib} exports no icudtNN_dat array")
    address, size, section = int(found.group(1), 16), int(found.group(2), 0), found.group(3)
    sections = _run(["readelf", "-S", "-W", str(lib)])
    header = re.search(
        rf"^\s*\[\s*{section}\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", sections, re.MULTILINE
    )
    if header is None:
        raise IcuSlimError(f"{lib}: no section {section}")
    offset = address - int(header.group(1), 16) + int(header.group(2), 16)
    with lib.open("rb") as f:
        f.seek(offset)
        data = f.read(size)
    if len(data) != size or data[2:4] != b"\xda\x27" or b"CmnD" not in data[:32]:
        raise IcuSlimError(f"{lib}: the array at {offset:#x} is not an ICU common-data package")
    out.write_bytes(data)
    return found.group(4)[: -len("_dat")]


def removed_items(package: Path) -> list[str]:
    items = _run(["icupkg", "-l", str(package)]).split()
    return [item for item in items if any(p.match(item) for p in REMOVED)]


def build_library(lib: Path, out: Path, work: Path) -> dict[str, int]:
    """Write the smaller copy of ``lib`` to ``out``; returns item and byte counts."""
    # icupkg wants the file named as the package's items are prefixed (icudtNNl).
    extracted = work / "extracted.dat"
    entry = extract_package(lib, extracted)
    full = work / "full" / f"{entry}l.dat"
    full.parent.mkdir()
    extracted.rename(full)
    remove = removed_items(full)
    listing = work / "remove.txt"
    listing.write_text("\n".join(remove) + "\n", encoding="utf-8")
    slim = work / f"{entry}l.dat"
    _run(["icupkg", "-r", str(listing), str(full), str(slim)])
    _run(["genccode", "-q", "-e", entry, "-a", "gcc", "-d", str(work), str(slim)])
    (assembly,) = work.glob("*.S")
    soname = re.search(r"\(SONAME\)\s+Library soname: \[(.+?)\]", _run(["readelf", "-d", str(lib)]))
    if soname is None:
        raise IcuSlimError(f"{lib} has no soname")
    _run(["cc", "-shared", "-nostdlib", "-Wl,-soname," + soname.group(1), "-Wl,-z,noexecstack",
          "-o", str(out), str(assembly)])  # fmt: skip
    return {
        "items_removed": len(remove),
        "package_bytes_before": full.stat().st_size,
        "package_bytes_after": slim.stat().st_size,
        "library_bytes_before": lib.stat().st_size,
        "library_bytes_after": out.stat().st_size,
    }


def probe(python: str, preload: Path | None) -> dict[str, object]:
    """The Qt/ICU answers of icu_probe.py, run by ``python`` (with PySide6)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("LD_PRELOAD", None)
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    done = subprocess.run(
        [python, str(HERE / "icu_probe.py")], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise IcuSlimError(f"icu_probe.py failed:\n{done.stderr[-3000:]}")
    answers: dict[str, object] = json.loads(done.stdout)
    return answers


def slim(bundle: Path, python: str) -> dict[str, object]:
    """Replace the bundle's libicudata with the smaller copy once the probe agrees."""
    if not sys.platform.startswith("linux"):
        return {"skipped": "not Linux"}
    missing = missing_tools()
    if missing:
        return {"skipped": f"missing {' '.join(missing)} (Debian: icu-devtools, gcc, binutils)"}
    # Absolute: the probe compares it with the path in /proc/self/maps.
    libs = sorted(p for p in bundle.resolve().rglob("libicudata.so.*") if not p.is_symlink())
    if len(libs) != 1:
        return {"skipped": f"expected one libicudata in the bundle, found {len(libs)}"}
    (lib,) = libs
    with tempfile.TemporaryDirectory(prefix="facedesk-icu-") as tmp:
        work = Path(tmp)
        small = work / lib.name
        figures: dict[str, object] = dict(build_library(lib, small, work))
        before, after = probe(python, lib), probe(python, small)
        for answers, wanted in ((before, lib), (after, small)):
            if answers.pop("icudata_mapped") != str(wanted):
                raise IcuSlimError(f"the probe's Qt did not map {wanted}: LD_PRELOAD ignored?")
        if before != after:
            diff = {
                k: (before.get(k), after.get(k)) for k in before if before.get(k) != after.get(k)
            }
            raise IcuSlimError(f"Qt answers differ with the smaller ICU data: {diff}")
        figures["probe_answers"] = len(before)
        # A new file in place of the old (never written through: the old may be a hard
        # link of another build kept for comparison, bundle_size.py --before).
        staged = lib.with_name(lib.name + ".slim")
        shutil.copyfile(small, staged)
        staged.chmod(lib.stat().st_mode)
        os.replace(staged, lib)
    return figures


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--python", default=sys.executable, help="a Python with PySide6")
    args = parser.parse_args(argv)
    print(json.dumps(slim(args.bundle, args.python), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
