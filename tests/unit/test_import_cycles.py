"""tools/check.py fails on import cycles, also those hidden in function-level imports."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _check_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("facedesk_check_tool", ROOT / "tools/check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _package(root: Path, name: str, modules: dict[str, str]) -> None:
    folder = root / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for module, source in modules.items():
        (folder / f"{module}.py").write_text(textwrap.dedent(source))


def test_strongly_connected_finds_each_cycle_once() -> None:
    check = _check_tool()
    graph = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a", "d"},
        "d": {"e"},
        "e": {"d"},
        "f": {"f"},
        "g": {"a"},
        "h": set(),
    }
    assert sorted(check.strongly_connected(graph)) == [["a", "b", "c"], ["d", "e"], ["f"]]


def test_a_cycle_through_a_function_level_import_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = _check_tool()
    _package(
        tmp_path,
        "cyclepkg",
        {
            "pipeline": "from cyclepkg.indexing import Options\n",
            "indexing": """
                class Options: ...

                def run() -> None:
                    from cyclepkg.pipeline import Options  # hidden from import time
            """,
            "leaf": "import cyclepkg.indexing\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert check.import_cycles("cyclepkg", frozenset()) == [
        ["cyclepkg.indexing", "cyclepkg.pipeline"]
    ]
    allowed = frozenset({("cyclepkg.indexing", "cyclepkg.pipeline")})
    assert check.import_cycles("cyclepkg", allowed) == []
    sys.modules.pop("cyclepkg", None)


def test_facedesk_has_no_import_cycle() -> None:
    assert _check_tool().import_cycles() == []
