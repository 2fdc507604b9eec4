"""packaging/hooks/hook-facedesk.py ships every data file facedesk reads at run time.

The frozen app finds its data with ``importlib.resources``; a file the hook's ``includes``
patterns miss is simply absent from the bundle, and only the frozen smoke test (after a
several-minute build) would notice. Here the same patterns are matched the way
PyInstaller's ``collect_data_files`` matches them (``Path.glob`` from the package folder).
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "facedesk"
HOOK = REPO / "packaging" / "hooks" / "hook-facedesk.py"
# Read by type checkers only, never at run time.
NOT_SHIPPED = {"py.typed"}


def _include_patterns() -> list[str]:
    """The ``includes=[...]`` of every ``collect_data_files("facedesk", ...)`` call."""
    patterns: list[str] = []
    for node in ast.walk(ast.parse(HOOK.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or getattr(node.func, "id", "") != "collect_data_files":
            continue
        if not (node.args and ast.literal_eval(node.args[0]) == "facedesk"):
            continue
        for keyword in node.keywords:
            if keyword.arg == "includes":
                patterns += ast.literal_eval(keyword.value)
    return patterns


def _data_files() -> set[Path]:
    return {
        path
        for path in PACKAGE.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and path.suffix not in {".py", ".pyc"}
        and path.name not in NOT_SHIPPED
    }


def test_hook_patterns_are_found() -> None:
    assert "service/*.json" in _include_patterns()


def test_every_data_file_is_collected() -> None:
    collected = {path for pattern in _include_patterns() for path in PACKAGE.glob(pattern)}
    missing = sorted(str(p.relative_to(REPO)) for p in _data_files() - collected)
    assert missing == [], f"not in the bundle (add to hook-facedesk.py's includes): {missing}"
