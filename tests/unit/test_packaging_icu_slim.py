"""packaging/icu_slim.py: the smaller ICU data library built from PySide6's own is a valid
library that Qt loads, answers every ICU question as the full one does, and lacks the trees
it claims to remove; a bundle is changed only through a new file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))

import icu_slim  # noqa: E402

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or bool(icu_slim.missing_tools()),
    reason="needs Linux with icupkg, genccode (icu-devtools), readelf and cc",
)


def _pyside_icudata() -> Path:
    import PySide6

    (lib,) = (Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*")
    return lib


@pytest.mark.slow
def test_smaller_icu_data_gives_qt_the_same_answers(tmp_path: Path) -> None:
    full = _pyside_icudata()
    bundle = tmp_path / "bundle" / "PySide6" / "Qt" / "lib"
    bundle.mkdir(parents=True)
    lib = bundle / full.name
    shutil.copyfile(full, lib)
    keep = tmp_path / "kept-copy"
    os.link(lib, keep)  # a hard link, as bundle_size.py --before comparisons keep one

    figures = icu_slim.slim(tmp_path / "bundle", sys.executable)

    assert figures["probe_answers"] == 135
    assert lib.stat().st_size < 0.6 * full.stat().st_size
    assert figures["library_bytes_after"] == lib.stat().st_size
    assert keep.read_bytes() == full.read_bytes()  # replaced, not written through
    # The new library is still an ICU package, without the removed trees, with collation.
    package = tmp_path / "check" / "icudt.dat"
    package.parent.mkdir()
    entry = icu_slim.extract_package(lib, package)
    named = package.with_name(f"{entry}l.dat")
    package.rename(named)
    items = subprocess.run(
        ["icupkg", "-l", str(named)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [i for i in items if "/brkitr/" in i or "/translit/" in i or "/lang/" in i]
    assert any(i.endswith("coll/ucadata.icu") for i in items)
    assert any(i.endswith("zone/de.res") for i in items)


def test_a_library_without_an_icu_package_is_refused(tmp_path: Path) -> None:
    import PySide6

    (qtcore,) = (Path(PySide6.__file__).parent / "Qt" / "lib").glob("libQt6Core.so.*")
    with pytest.raises(icu_slim.IcuSlimError, match="exports no icudtNN_dat"):
        icu_slim.extract_package(qtcore, tmp_path / "x.dat")
