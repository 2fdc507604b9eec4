"""Benchmark: a one-shot CLI command on a large SQLite library (issue 18 item 5: RSS <= 1 GB at
1M faces), its wall time and max RSS, for the first call (no persisted vector set: every
descriptor is read from SQLite and the set is saved at exit) and the next call (opens it).

Run (the library from bench/search_ann.py --library DIR, or any SQLite library):
  PYTHONPATH=. python bench/first_call.py --database DIR/bench.db --collection-id bench
  PYTHONPATH=. python bench/first_call.py --storage-only 1000000   # no library needed

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


# The storage part of a first call without SQLite or the engine: a VectorIndex loads N
# sorted UUID face ids and their rows, searches once (exact) and saves the set as the CLI does
# at exit; prints the peak RSS over the interpreter's (sampled every 10 ms).
STORAGE_ONLY = """
import shutil, sys, tempfile, threading, time, uuid
from pathlib import Path
import numpy as np
from facedesk.storage.index_files import save_store
from facedesk.storage.vector_index import VectorIndex
def rss():
    status = open("/proc/self/status").read().splitlines()
    return next(int(x.split()[1]) // 1024 for x in status if x.startswith("VmRSS"))
peak = [0]
def sample():
    while True:
        peak[0] = max(peak[0], rss())
        time.sleep(0.01)
threading.Thread(target=sample, daemon=True).start()
time.sleep(0.1)
base, n, rng = rss(), int(sys.argv[1]), np.random.default_rng(1)
def loader():
    ids = sorted(str(uuid.UUID(int=int(x))) for x in rng.integers(0, 2**62, n))
    m = np.empty((n, 128), np.float32)
    for a in range(0, n, 65536):
        m[a : a + 65536] = rng.normal(0, 0.1, (min(65536, n - a), 128))
    return ids, m
index = VectorIndex(loader)
index.search(np.zeros(128, np.float32), 3)
loaded = peak[0]
folder = Path(tempfile.mkdtemp(prefix="facedesk-bench-"))
save_store(folder / "set", 1, index._current())
time.sleep(0.05)
shutil.rmtree(folder)
print(f"{loaded - base} {peak[0] - base}")
"""


def storage_only(trees: list[tuple[str, Path]], n: int) -> None:
    print("| code | faces | peak RSS over the interpreter: load + search | + save | load |")
    print("|---|---|---|---|---|")
    for label, root in trees:
        env = {**os.environ, "PYTHONPATH": str(root)}
        out = subprocess.run(
            [sys.executable, "-c", STORAGE_ONLY, str(n)],
            cwd=root, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        loaded, saved = out.stdout.split()
        print(f"| {label} | {n:,} | {loaded} MiB | {saved} MiB | {load()} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database", type=Path)
    ap.add_argument("--storage-only", type=int, help="faces: the storage part alone, no SQLite")
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
    if args.storage_only:
        storage_only(trees, args.storage_only)
    else:
        assert args.database is not None, "--database or --storage-only"
        calls(args, trees)
    for _, root in trees:
        if root != ROOT:
            shutil.rmtree(root, ignore_errors=True)


def calls(args: argparse.Namespace, trees: list[tuple[str, Path]]) -> None:
    print("| code | call | wall s | max RSS MiB | exit | load |\n|---|---|---|---|---|---|")
    for label, root in trees:
        # Each code's own first call: its set (a cache) is deleted before it.
        shutil.rmtree(args.database.with_name(args.database.name + "-vectors"), ignore_errors=True)
        for name in ("first (reads SQLite, saves the set at exit)", "next (opens the set)"):
            wall, rss, code = call(root, args.database, args.collection_id, args.image)
            print(f"| {label} | {name} | {wall:.1f} | {rss:.0f} | {code} | {load()} |", flush=True)


if __name__ == "__main__":
    main()
