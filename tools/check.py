"""Run every check CI runs: ruff (lint and format), mypy, import-linter, import cycles, then
the whole pytest suite.

Usage: python tools/check.py [extra pytest args]. Exits non-zero on the first failure.
``python tools/check.py --cycles`` runs only the import-cycle check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Set
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("facedesk", "tests", "bench", "tools", "packaging")

# Imports left out of the cycle check: (importer, imported). Empty: every cycle is a defect.
ALLOWED_IMPORTS: frozenset[tuple[str, str]] = frozenset()


def run(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT)
    if code:
        sys.exit(code)


def strongly_connected(graph: Mapping[str, Set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (or a self-import).

    Iterative, so a long import chain cannot hit Python's recursion limit.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterable[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    found.append(sorted(component))
    return found


def import_cycles(
    package: str = "facedesk", allowed: Set[tuple[str, str]] = ALLOWED_IMPORTS
) -> list[list[str]]:
    """Cycles among a package's modules, counting every import grimp sees: module level,
    function level (the usual way to hide a cycle) and ``if TYPE_CHECKING:``."""
    import grimp

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # this checkout's facedesk, whatever is installed
    graph = grimp.build_graph(package, cache_dir=None)
    edges = {
        m: {i for i in graph.find_modules_directly_imported_by(m) if (m, i) not in allowed}
        for m in graph.modules
    }
    return strongly_connected(edges)


def check_cycles() -> None:
    print("+ import cycles (grimp)", flush=True)
    cycles = import_cycles()
    for cycle in cycles:
        print("import cycle: " + " <-> ".join(cycle), file=sys.stderr, flush=True)
    if cycles:
        sys.exit(1)
    print("no import cycle", flush=True)


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if sys.argv[1:] == ["--cycles"]:
        check_cycles()
        return
    py = sys.executable
    run(py, "-m", "ruff", "check", *SOURCES)
    run(py, "-m", "ruff", "format", "--check", *SOURCES)
    run(py, "-m", "mypy")
    run(str(Path(py).with_name("lint-imports")))
    check_cycles()
    run(py, "-m", "pytest", *sys.argv[1:])


if __name__ == "__main__":
    main()
