"""Benchmark: a one-shot CLI command on a large SQLite library (issue 18 item 5: RSS <= 1 GB at
1M faces), its wall time and max RSS, for the first call (no persisted vector set: every
descriptor is read from SQLite and the set is saved at exit) and the next call (opens it).

Run (the library from bench/search_ann.py --library DIR, or any SQLite library):
  PYTHONPATH=. python bench/first_call.py --database DIR/bench.db --collection-id bench

The persisted set beside the library (``bench.db-vectors``, a cache facedesk rebuilds) is
deleted before each code's first call. Max RSS is the child's ru_maxrss (what /usr/bin/time
reports). The baseline is the code of ``--baseline`` (a commit before this round's changes,
extracted with git archive into a temporary folder), run first on the same library.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE = ROOT / ".." / "shared" / "testdata" / "real" / "face_recognition" / "obama.jpg"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def call(root: Path, database: Path, collection: str, image: Path) -> tuple[float, float, int]:
    """(wall s, max RSS MiB, exit code) of one SearchFacesByImage command, run with the
    facedesk package of the tree ``root``."""
    cmd = [sys.executable, "-m", "facedesk", "--database", str(database),
           "search-faces-by-image", "--collection-id", collection,
           "--image-bytes", f"fileb://{image.resolve()}", "--max-faces", "3"]  # fmt: skip
    t = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        cmd, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 and proc.stderr is not None:
        print(proc.stderr.read().decode()[-2000:], file=sys.stderr)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", type=Path, required=True)
    ap.add_argument("--collection-id", default="bench")
    ap.add_argument("--image", type=Path, default=IMAGE)
    ap.add_argument(
        "--baseline",
        default="a2d4982",
        help="git commit whose code runs first, as the same-run baseline ('' for none)",
    )
    args = ap.parse_args()
    trees = [("now", ROOT)]
    if args.baseline:
        old = Path(tempfile.mkdtemp(prefix="facedesk-baseline-"))
        archive = subprocess.run(
            ["git", "archive", args.baseline, "facedesk"], cwd=ROOT, check=True, capture_output=True
        )
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        trees.insert(0, (f"before ({args.baseline})", old))
    print("| code | call | wall s | max RSS MiB | exit | load |\n|---|---|---|---|---|---|")
    for label, root in trees:
        # Each code's own first call: its set (a cache) is deleted before it.
        shutil.rmtree(args.database.with_name(args.database.name + "-vectors"), ignore_errors=True)
        for name in ("first (reads SQLite, saves the set at exit)", "next (opens the set)"):
            wall, rss, code = call(root, args.database, args.collection_id, args.image)
            print(f"| {label} | {name} | {wall:.1f} | {rss:.0f} | {code} | {load()} |", flush=True)
        if root != ROOT:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
