"""Run every check CI runs: ruff, mypy, import-linter, then the whole pytest suite.

Usage: python tools/check.py [extra pytest args]. Exits non-zero on the first failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    code = subprocess.call(cmd, cwd=ROOT)
    if code:
        sys.exit(code)


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    py = sys.executable
    run(py, "-m", "ruff", "check", "facedesk", "tests", "bench", "tools", "packaging")
    run(py, "-m", "mypy")
    run(str(Path(py).with_name("lint-imports")))
    run(py, "-m", "pytest", *sys.argv[1:])


if __name__ == "__main__":
    main()
