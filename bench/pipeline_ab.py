"""A/B: ``facedesk index`` of the same photos from two checkouts, alternating.

    python bench/pipeline_ab.py BASELINE_CHECKOUT [--repeats 3] [--photos 8]

Each run is a fresh ``python -m facedesk index`` process (PYTHONPATH = the checkout) into
a fresh database, so import, model loading, the analysis processes and the writer are all
in the time. The two checkouts alternate, so machine load (printed) hits both alike; the
ratio is this checkout's median wall time over the baseline's. Used to check that a
refactor of the pipeline (issue 14) left indexing as fast as it was.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
TESTDATA = HERE.parent / "shared" / "testdata" / "real"


def photos(n: int) -> list[Path]:
    found = sorted(p for p in TESTDATA.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    return found[:n]


def one_run(checkout: Path, files: list[Path], cache: str) -> tuple[float, list[str]]:
    """Wall time and the JSON lines (one per file), sorted: completion order varies."""
    with tempfile.TemporaryDirectory() as tmp:
        # One cache folder for every run: the descriptor graph is converted once, by the
        # first run, which is then left out (see main).
        env = {**os.environ, "PYTHONPATH": str(checkout), "FACEDESK_CACHE_DIR": cache}
        cmd = [sys.executable, "-m", "facedesk", "--database", f"{tmp}/ab.db", "index"]
        cmd += ["--collection-id", "ab", "--create-collection", "--no-progress"]
        cmd += [str(p) for p in files]
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode not in (0, 1):
            raise SystemExit(f"{checkout}: exit {done.returncode}\n{done.stderr[-2000:]}")
        return elapsed, sorted(done.stdout.splitlines())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("baseline", type=Path)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--photos", type=int, default=8)
    args = ap.parse_args()
    files = photos(args.photos)
    times: dict[str, list[float]] = {"baseline": [], "this": []}
    answers: dict[str, set[tuple[str, ...]]] = {"baseline": set(), "this": set()}
    print(f"{len(files)} photos, load before {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as cache:
        one_run(HERE, files, cache)  # warm-up: converts and caches the descriptor graph
        for i in range(args.repeats):
            for name, checkout in (("baseline", args.baseline), ("this", HERE)):
                t, lines = one_run(checkout, files, cache)
                times[name].append(t)
                answers[name].add(tuple(lines))
                load = os.getloadavg()[0]
                print(f"run {i + 1} {name:8s} {t:6.2f} s  load {load:.1f}", flush=True)
    base, this = statistics.median(times["baseline"]), statistics.median(times["this"])
    print(f"median baseline {base:.2f} s, this {this:.2f} s, ratio this/baseline {this / base:.3f}")
    print(f"load after {os.getloadavg()}")
    same = len(answers["this"]) == 1 and answers["this"] == answers["baseline"]
    print(f"every run printed the same {len(files)} result lines: {same}")


if __name__ == "__main__":
    main()
