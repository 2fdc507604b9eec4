"""The People view's second phase at scale: "Is this <name>?" for every group.

    python bench/people_suggest.py --db DB [--old-tree /work/main]

DB as for bench/people_view.py (100k faces, its groups, 5k people named by that bench).
Times ``list_groups(suggest=True)`` (groups as stored, no regrouping) in a fresh process,
wall and CPU seconds; with ``--old-tree`` the same on that checkout's code first (on a copy
of DB at its schema), and the ratio. One BLAS thread, as the app runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tree_runs import measure_in_tree, old_schema_copy, tree_root

ROOT = tree_root(Path(__file__).resolve().parents[1])  # --tree: another checkout's code

ONE_BLAS = {"OPENBLAS_NUM_THREADS": "1"}  # as the app runs


def measure(db: Path) -> dict[str, float]:
    import facedesk
    from facedesk.service.groups import list_groups

    client = facedesk.client(database=str(db))
    ctx = client.context
    ctx.vectors("scale").face_ids()  # the search matrix, as the app has it loaded
    list_groups(ctx, "scale", refresh=True, suggest=False)  # grouped before timing
    t, cpu = time.perf_counter(), time.process_time()
    listing = list_groups(ctx, "scale", refresh=False, suggest=True)
    out = {
        "wall_s": round(time.perf_counter() - t, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "groups": len(listing.groups),
        "suggested_groups": sum(g.suggestion is not None for g in listing.groups),
        "suggested_lone_faces": len(listing.ungrouped_suggestions),
    }
    client.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--old-tree", type=Path)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.db)), flush=True)
        return 0
    print(f"load {os.getloadavg()}")
    old = None
    if args.old_tree is not None:
        old_db = old_schema_copy(args.db, args.old_tree)
        old = measure_in_tree(__file__, args.old_tree, old_db, timeout=1800, env=ONE_BLAS)
        print(f"old: {old} (load {os.getloadavg()})", flush=True)
    new = measure_in_tree(__file__, ROOT, args.db, timeout=1800, env=ONE_BLAS)
    print(f"new: {new} (load {os.getloadavg()})")
    if old is not None:
        print(f"old / new CPU: {old['cpu_s'] / max(new['cpu_s'], 1e-9):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
