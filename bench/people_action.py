"""One people action at 100k faces / 5k people: time until the People view has the new state.

    python bench/people_action.py --db DIR/scale100000.db [--repeats 3]

DB: the collection "scale" that bench/groups.py --keep DIR makes and bench/people_view.py
names 5,000 groups of. For each action (accept a suggestion, assign a lone face to a
person, merge two people): the action, then what the People view reads after it
(``load_snapshot`` with suggestions: the grouping refresh, the suggestions, the listing,
the tiles), timed with the suggestions kept and updated for what the action touched
(facedesk now), then again from scratch (the baseline: what every action cost before, a
full recompute), measured in the same run. The two snapshots must agree tile for tile
(the mismatches are printed). Each action is undone afterwards (the database is left as
it was). Runs with one BLAS thread, as the app does. The merge merges a group named as a
new person into the person it was suggested as.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
CID = "scale"


def _tiles(snapshot: Any) -> list[tuple[Any, ...]]:
    people = [(t.key, t.count, t.cover) for t in snapshot.people]
    groups = [(t.key, t.count, t.suggested_user, t.similarity) for t in snapshot.groups]
    return people + groups


def _timed(fn: Any) -> tuple[Any, float, float]:
    t, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import facedesk
    from facedesk.core.errors import InvalidParameterException
    from facedesk.qt.people_controller import load_snapshot
    from facedesk.service import suggest_state

    client = facedesk.client(database=str(args.db), store_thumbnails=True)
    lib, people = client.library, client.people
    print(f"load {os.getloadavg()}")
    first, wall, cpu = _timed(lambda: load_snapshot(lib, CID))
    print(
        f"first listing with suggestions (full, kept from now on): {wall:.2f} s, "
        f"CPU {cpu:.2f} s; {len(first.people)} people, {len(first.groups)} group tiles"
    )

    def pick(action: str, snapshot: Any, k: int) -> Any:
        if action == "accept":
            tile = [t for t in snapshot.groups if t.suggested_user and t.count > 1][k]
            faces = list(tile.face_ids)
            return lambda: people.accept(CID, faces, tile.suggested_user)
        if action == "assign":
            tile = [t for t in snapshot.groups if t.count == 1 and not t.suggested_user][k]
            small = [t.key for t in snapshot.people if t.count < 50][k:]

            def assign() -> None:
                for target in small:  # the first person not already in the face's photo
                    try:
                        people.assign(CID, list(tile.face_ids), target)
                        return
                    except InvalidParameterException:
                        continue

            return assign
        # As merges happen: a group named as a new person, then found to be the person
        # it was suggested as (merging two unrelated people makes a mean near everyone's,
        # which is no merge anyone wants; it costs a full scoring, and is correct too).
        tile = [t for t in snapshot.groups if t.suggested_user and t.count > 1][-1 - k]
        duplicate = people.name_faces(CID, list(tile.face_ids), f"Bench duplicate {k}")
        load_snapshot(lib, CID)  # the naming's own update, not timed
        return lambda: people.merge(CID, duplicate.user_id, tile.suggested_user)

    rows: list[str] = []
    snapshot = first
    for action in ("accept", "assign", "merge"):
        kept_s: list[float] = []
        kept_cpu: list[float] = []
        full_s: list[float] = []
        act_s: list[float] = []
        mismatches = 0
        for k in range(args.repeats):
            do = pick(action, snapshot, k)
            _, took, _ = _timed(do)
            act_s.append(took)
            updated = suggest_state.COUNTS["updated"]
            kept, wall, cpu = _timed(lambda: load_snapshot(lib, CID))
            assert suggest_state.COUNTS["updated"] == updated + 1, "the kept state was not used"
            kept_s.append(wall)
            kept_cpu.append(cpu)
            suggest_state.forget(client.context, CID)  # the baseline: every listing in full
            full, wall, _ = _timed(lambda: load_snapshot(lib, CID))
            full_s.append(wall)
            mismatches += sum(a != b for a, b in zip(_tiles(kept), _tiles(full), strict=False))
            mismatches += abs(len(_tiles(kept)) - len(_tiles(full)))
            for _ in range(2 if action == "merge" else 1):  # the merge's naming too
                people.undo(CID)
            snapshot = load_snapshot(lib, CID)  # the undo's own update (kept state again)
        kept_m, full_m = statistics.median(kept_s), statistics.median(full_s)
        rows.append(
            f"| {action} | {statistics.median(act_s) * 1000:.0f} ms | "
            f"**{kept_m:.2f} s** (CPU {statistics.median(kept_cpu):.2f} s) | {full_m:.2f} s | "
            f"{full_m / kept_m:.1f}x | {mismatches} |"
        )
    print(
        "| action | the action | People view's new state, suggestions kept "
        "| baseline: full recompute (same run) | ratio | tiles differing |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"load after: {os.getloadavg()}")
    client.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
