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
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if "--tree" in sys.argv:
    ROOT = Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
sys.path.insert(0, str(ROOT))


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


def _run(tree: Path, db: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(tree), OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, __file__, "--measure", "--tree", str(tree), "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


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
        import importlib.util

        # the old-schema copy as bench/people_view.py makes it (a script, not a package)
        spec = importlib.util.spec_from_file_location(
            "people_view_bench", Path(__file__).with_name("people_view.py")
        )
        assert spec is not None and spec.loader is not None
        people_view = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(people_view)
        old = _run(args.old_tree, people_view._old_schema_copy(args.db, args.old_tree))
        print(f"old: {old} (load {os.getloadavg()})", flush=True)
    new = _run(ROOT, args.db)
    print(f"new: {new} (load {os.getloadavg()})")
    if old is not None:
        print(f"old / new CPU: {old['cpu_s'] / max(new['cpu_s'], 1e-9):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
