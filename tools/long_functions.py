"""List functions longer than a limit (docstring and comments included), longest first.

Usage: python tools/long_functions.py [--max 60] [--fail] [PATH ...]   (default: facedesk)

A reviewer's aid for issue 14's "no function over ~60 lines in service and storage";
``--fail`` exits 1 when any is found, for a future CI gate.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def long_functions(paths: list[Path], limit: int) -> list[tuple[int, str, str]]:
    """(lines, file:line, qualified name) of every function or method over ``limit`` lines."""
    found: list[tuple[int, str, str]] = []
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            found += _walk(tree, path, "", limit)
    return sorted(found, reverse=True)


def _walk(node: ast.AST, path: Path, prefix: str, limit: int) -> list[tuple[int, str, str]]:
    found: list[tuple[int, str, str]] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                lines = (child.end_lineno or child.lineno) - child.lineno + 1
                if lines > limit:
                    found.append((lines, f"{path}:{child.lineno}", name))
            found += _walk(child, path, name + ".", limit)
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", type=Path, default=[ROOT / "facedesk"])
    ap.add_argument("--max", type=int, default=60)
    ap.add_argument("--fail", action="store_true")
    args = ap.parse_args()
    found = long_functions(args.paths, args.max)
    for lines, where, name in found:
        print(f"{lines:4d}  {where}  {name}")
    if args.fail and found:
        sys.exit(1)


if __name__ == "__main__":
    main()
