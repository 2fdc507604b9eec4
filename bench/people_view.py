"""The People view at scale: 100k faces, 5k named people.

    python bench/people_view.py --db DB [--people 5000] [--baseline-people 20]
        [--old-tree /work/main] [--rounds 2]

DB is a collection "scale" of synthetic faces (bench/groups.py --keep DIR makes one). The
first run names ``--people`` of its groups (storage writes, not timed). Then, offscreen,
built as the app builds it: time from the window shown to the People view showing its
people and groups (two phases: tiles, then suggestions), against a baseline measured in the
same run: what the old People panel did to list people (ListUsers, then ListFaces per user
to count faces). With ``--old-tree``, the same measurement also runs on that checkout's code
(on a copy of DB taken back to its schema), alternating old and new ``--rounds`` times, each
in a fresh process, so the two are compared under the same machine load. With ``--action``
each measurement also accepts one suggested group in the view once its suggestions are in,
and times until the view lists the new state and until it shows it with its suggestions
(then undoes it). Each measurement also gives process start -> window shown and process
start -> people shown (the child's age from /proc when the clock starts), and the run ends
with the medians of the three, new against old: the target's figure is the first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tree_runs import measure_in_tree, old_schema_copy, tree_root

ROOT = tree_root(Path(__file__).resolve().parents[1])  # --tree: another checkout's code
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def name_people(db: Path, n: int) -> None:
    import facedesk
    from facedesk.core.types import UserInfo

    client = facedesk.client(database=str(db))
    with client.context.db.unit_of_work(read_only=True) as uow:
        if uow.users.count("scale") >= n:  # named by an earlier run
            client.close()
            return
    listing = client.people.groups("scale")
    with client.context.db.unit_of_work() as uow:
        for k, group in enumerate(listing.groups[:n]):
            uid = f"person_{k:05d}"
            uow.users.add(UserInfo("scale", uid, display_name=f"Person {k}"))
            uow.faces.set_user("scale", list(group.face_ids)[:100], uid)
            uow.groups.forget("scale", list(group.face_ids))
        uow.commit()
    client.close()


def naive_people(db: Path, limit: int | None) -> tuple[float, int]:
    """Seconds for the old listing of ``limit`` people (all if None), and how many."""
    import facedesk

    client = facedesk.client(database=str(db))
    t = time.perf_counter()
    done = 0
    for page in client.get_paginator("list_users").paginate(CollectionId="scale"):
        for user in page["Users"]:
            if limit is not None and done >= limit:
                break
            client.list_faces(CollectionId="scale", UserId=user["UserId"], MaxResults=4096)
            done += 1
    took = time.perf_counter() - t
    client.close()
    return took, done


def one_action(app: Any, p: Any) -> dict[str, float]:
    """Accept one suggested group as a user would (the People view's own controller), once
    the view shows its suggestions: seconds until the view lists the new state, and until
    it shows it with its suggestions. Then undone (not timed), leaving the database as it
    was."""
    snaps: list[Any] = []
    p.loaded.connect(snaps.append)

    def wait(done: Any, limit: float = 900) -> None:
        deadline = time.perf_counter() + limit
        while not done() and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.005)
        if not done():
            raise TimeoutError("the People view did not load")

    def suggested(s: Any) -> bool:
        return any(t.suggested_user for t in s.groups)

    wait(lambda: any(suggested(s) for s in snaps) and not p.busy)  # the second phase
    tile = next(t for t in p.groups.tiles() if t.suggested_user and t.count > 1)
    snaps.clear()
    t = time.perf_counter()
    p.accept_tile(tile, tile.suggested_user, tile.suggested_name or "")

    def gone(s: Any) -> bool:
        return all(g.key != tile.key for g in s.groups)

    wait(lambda: any(gone(s) for s in snaps))
    listed = time.perf_counter() - t
    wait(lambda: any(gone(s) and suggested(s) for s in snaps))
    shown = time.perf_counter() - t
    wait(lambda: not p.busy)
    p.undo()
    wait(lambda: not p.busy)
    return {"action_listed": listed, "action_suggested": shown}


def process_age() -> float:
    """Seconds since this process started (Linux: /proc, 10 ms resolution; else 0): what
    "process start -> ..." adds to the figures measured from the window's build."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, uptime - started)


def gui(db: Path, measure_only: bool = False) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    import facedesk
    from facedesk.qt.controller import MainController
    from facedesk.qt.main_window import MainWindow
    from facedesk.qt.settings import AppSettings

    app = QApplication.instance() or QApplication([])
    client = facedesk.client(database=str(db), store_thumbnails=True)
    from PySide6.QtCore import QSettings

    settings = AppSettings(QSettings(str(db) + ".ini", QSettings.Format.IniFormat))
    controller = MainController(client)
    window = MainWindow(controller, settings, ask_before_close=False)
    out: dict[str, float] = {}
    t0, cpu0 = time.perf_counter(), time.process_time()
    out["process_age_at_show"] = process_age()
    window.show()
    app.processEvents()
    out["window_shown"] = time.perf_counter() - t0
    window.show_view("people")

    def shown(_snapshot: object) -> None:
        if "people_shown" not in out:
            app.processEvents()  # the window's own handlers of the signal (its page) first
            out["people_shown"] = time.perf_counter() - t0
            # CPU of every thread of the process meanwhile: what an idle machine would wait
            out["cpu_to_people_shown"] = time.process_time() - cpu0
            # shown means on screen: the People tab of the window's page, not the welcome
            out["people_tab_visible"] = float(window.people_view.isVisible())

    window.people_controller.loaded.connect(shown)
    controller.collection_selected.connect(
        lambda _cid: out.setdefault("collection_selected", time.perf_counter() - t0)
    )
    # the Photos and Faces grids in (before the People view's load in the old order)
    controller.collection_loaded.connect(
        lambda _cid: out.setdefault("collection_loaded", time.perf_counter() - t0)
    )
    controller.refresh_collections(select="scale")
    deadline = time.perf_counter() + 600
    while "people_shown" not in out and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.005)
    # the events queued by then (the grids' first layout and paint) run: people drawn
    app.processEvents()
    out["people_painted"] = time.perf_counter() - t0
    out["people_tiles"] = len(window.people_controller.people.tiles())
    out["group_tiles"] = len(window.people_controller.groups.tiles())
    out["group_rows_in_view"] = window.people_controller.groups.rowCount()
    if os.environ.get("FACEDESK_BENCH_ACTION"):
        out.update(one_action(app, window.people_controller))
    if measure_only:
        # the second phase (suggestions for every group) runs on for minutes at this size;
        # the measurement is taken, so this process ends without waiting for it
        print(json.dumps(out), flush=True)
        os._exit(0)
    controller.shutdown()
    window.people_controller.shutdown()
    window.viewer.loader.shutdown()
    client.close()
    return out


def _shown(result: dict[str, float]) -> tuple[float, float, float]:
    """Window -> people shown, the part after the collection was chosen (the People
    view's own: the grids may load before it, as the old code did, or after), first paint."""
    shown = result["people_shown"] - result["window_shown"]
    start = result.get("collection_selected", result["window_shown"])
    if result.get("collection_loaded", 0.0) < result["people_shown"]:  # grids came first
        start = result.get("collection_loaded", start)
    own = result["people_shown"] - start
    painted = result["people_painted"] - result["window_shown"]
    return shown, own, painted


def _summary(figures: dict[str, list[tuple[float, float, float]]]) -> None:
    """The target's figure (median of the rounds) beside the old tree's in the same run."""
    names = ("window -> people shown", "process start -> people shown", "process start -> window")
    for k, name in enumerate(names):
        old = statistics.median(f[k] for f in figures["old"])
        new = statistics.median(f[k] for f in figures["new"])
        target = " (target <= 0.5 s)" if k == 0 else ""
        print(f"{name}: new {new:.2f} s, old {old:.2f} s, old / new {old / new:.2f}x{target}")
    print(f"load {os.getloadavg()}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument(
        "--baseline-people",
        type=int,
        help="time the old listing for this many people only (it takes minutes for 5k)",
    )
    parser.add_argument("--old-tree", type=Path, help="also measure this checkout's code")
    parser.add_argument("--rounds", type=int, default=2, help="old/new pairs (--old-tree)")
    parser.add_argument(
        "--action",
        action="store_true",
        help="also time one accept in the view, once its suggestions are in (minutes)",
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.action:
        os.environ["FACEDESK_BENCH_ACTION"] = "1"  # read by gui(), here or in the child
    if args.measure:
        gui(args.db, measure_only=True)
        return 0
    print(f"load {os.getloadavg()}")
    name_people(args.db, args.people)
    base, listed = naive_people(args.db, args.baseline_people)
    print(
        f"baseline, old panel's listing of {listed} people: {base:.2f} s (load {os.getloadavg()})"
    )
    if args.old_tree is not None:
        old_db = old_schema_copy(args.db, args.old_tree)
        print(
            "| round | code | window -> people shown | of which the People load "
            "| -> first paint | process start -> window | process start -> people shown "
            "| process CPU to people shown | people / group tiles (rows in view) | load |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        figures: dict[str, list[tuple[float, float, float]]] = {"old": [], "new": []}
        for k in range(args.rounds):
            for label, tree, db in (("old", args.old_tree, old_db), ("new", ROOT, args.db)):
                r = measure_in_tree(__file__, tree, db, timeout=1800)
                shown, own, painted = _shown(r)
                start_window = r["process_age_at_show"] + r["window_shown"]
                start_people = r["process_age_at_show"] + r["people_shown"]
                figures[label].append((shown, start_people, start_window))
                acted = (
                    f" accept -> listed {r['action_listed']:.2f} s, -> with suggestions "
                    f"{r['action_suggested']:.2f} s |"
                    if "action_listed" in r
                    else ""
                )
                print(
                    f"| {k + 1} | {label} | {shown:.2f} s | {own:.2f} s | {painted:.2f} s | "
                    f"{start_window:.2f} s | {start_people:.2f} s | "
                    f"{r['cpu_to_people_shown']:.2f} s | "
                    f"{r['people_tiles']:.0f} / {r['group_tiles']:.0f} "
                    f"({r['group_rows_in_view']:.0f}) | {os.getloadavg()[0]:.1f} |{acted}",
                    flush=True,
                )
        _summary(figures)
        return 0
    result = gui(args.db)
    print(f"GUI: {result} (load {os.getloadavg()})")
    shown, own, painted = _shown(result)
    print(
        f"process start -> window {result['process_age_at_show'] + result['window_shown']:.2f} s,"
        f" -> people shown {result['process_age_at_show'] + result['people_shown']:.2f} s"
    )
    print(
        f"people view after the window: {shown:.2f} s ({own:.2f} s of it the People load "
        f"itself, first paint {painted:.2f} s, People tab visible: "
        f"{bool(result.get('people_tab_visible'))}); baseline / people view: "
        f"{base / max(1e-9, shown):.1f}x (baseline for {listed} people)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
