"""Mutation score of the rules (core, quality, planning, similarity, users, pagination).

Usage: python bench/mutation.py [--keep]

Copies the working tree (the files git tracks, as they are on disk) to a temporary folder,
runs mutmut 3 there under ``nice -n 10`` with ``[tool.mutmut]`` from pyproject.toml (fast
unit tests only, about 7 minutes on 2 busy cores), and prints killed / survived per module,
the score, and every surviving mutant as a one-line diff. Needs the ``bench`` extra
(``pip install -e .[bench]``). ``--keep`` leaves the copy for ``mutmut show NAME``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = [sys.executable, "-m", "mutmut"]
LINE = re.compile(r"^\s*(\S+): (.+)$")


def copy_tree(dst: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.split(b"\0")
    for raw in files:
        if not raw:
            continue
        src = ROOT / raw.decode()
        if src.is_file():
            target = dst / raw.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def module_of(mutant: str) -> str:
    """``pkg.mod.x_func__mutmut_3`` or ``pkg.mod.xǁClassǁmethod__mutmut_3`` -> ``pkg.mod``."""
    return re.split(r"\.x[_ǁ]", mutant, maxsplit=1)[0]


def changed_lines(cwd: Path, mutant: str) -> str:
    shown = subprocess.run(
        [*MUTMUT, "show", mutant], cwd=cwd, capture_output=True, text=True
    ).stdout
    minus = [ln[1:].strip() for ln in shown.splitlines() if ln.startswith("-") and ln[1:2] != "-"]
    plus = [ln[1:].strip() for ln in shown.splitlines() if ln.startswith("+") and ln[1:2] != "+"]
    return f"{' / '.join(minus)}  ->  {' / '.join(plus)}"


def main() -> int:
    keep = "--keep" in sys.argv
    work = Path(tempfile.mkdtemp(prefix="facedesk-mutation-"))
    print(f"load before {os.getloadavg()}; copy in {work}")
    try:
        copy_tree(work)
        started = time.perf_counter()
        env = {**os.environ, "PYTHONPATH": ""}
        run = subprocess.run(
            ["nice", "-n", "10", *MUTMUT, "run", "--max-children", "2"],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - started
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:])
            return run.returncode
        subprocess.run([*MUTMUT, "export-cicd-stats"], cwd=work, capture_output=True, check=True)
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
        listing = subprocess.run(
            [*MUTMUT, "results", "--all", "true"], cwd=work, capture_output=True, text=True
        ).stdout
        status: dict[str, str] = {}
        for ln in listing.splitlines():
            m = LINE.match(ln)
            if m:
                status[m.group(1)] = m.group(2)
        per_module: dict[str, Counter[str]] = {}
        for mutant, st in status.items():
            per_module.setdefault(module_of(mutant), Counter())[st] += 1
        print(f"mutmut run: {elapsed:.0f} s, load after {os.getloadavg()}")
        print(f"{'module':40s} {'killed':>7s} {'survived':>9s} {'other':>6s} {'score':>7s}")
        for module in sorted(per_module):
            c = per_module[module]
            other = sum(c.values()) - c["killed"] - c["survived"]
            score = 100.0 * c["killed"] / max(1, sum(c.values()))
            print(f"{module:40s} {c['killed']:7d} {c['survived']:9d} {other:6d} {score:6.1f}%")
        total = stats["total"]
        print(
            f"TOTAL killed {stats['killed']} / {total} mutants = "
            f"{100.0 * stats['killed'] / total:.1f} % (survived {stats['survived']}, "
            f"no tests {stats['no_tests']}, timeout {stats['timeout']}, "
            f"suspicious {stats['suspicious']})"
        )
        print("surviving / untested mutants:")
        for mutant, st in sorted(status.items()):
            if st != "killed":
                print(f"  {mutant} [{st}]: {changed_lines(work, mutant)}")
        return 0
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
