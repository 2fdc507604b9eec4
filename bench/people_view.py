"""The People view at scale: 100k faces, 5k named people.

    python bench/people_view.py --db DB [--people 5000]

DB is a collection "scale" of synthetic faces (bench/groups.py --keep DIR makes one). The
first run names ``--people`` of its groups (storage writes, not timed). Then, offscreen,
built as the app builds it: time from the window shown to the People view showing its
people and groups (two phases: tiles, then suggestions), against a baseline measured in the
same run: what the old People panel did to list people (ListUsers, then ListFaces per user
to count faces).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
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


def gui(db: Path) -> dict[str, float]:
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
    t0 = time.perf_counter()
    window.show()
    app.processEvents()
    out["window_shown"] = time.perf_counter() - t0
    window.show_view("people")
    window.people_controller.loaded.connect(
        lambda s: out.setdefault("people_shown", time.perf_counter() - t0)
    )
    # when the People load starts: the collection's own loading (photos, faces) comes first
    controller.collection_loaded.connect(
        lambda _cid: out.setdefault("collection_loaded", time.perf_counter() - t0)
    )
    controller.refresh_collections(select="scale")
    deadline = time.perf_counter() + 600
    while "people_shown" not in out and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.005)
    out["people_tiles"] = window.people_controller.people.rowCount()
    out["group_tiles"] = window.people_controller.groups.rowCount()
    controller.shutdown()
    window.people_controller.shutdown()
    window.viewer.loader.shutdown()
    client.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument(
        "--baseline-people",
        type=int,
        help="time the old listing for this many people only (it takes minutes for 5k)",
    )
    args = parser.parse_args()
    print(f"load {os.getloadavg()}")
    name_people(args.db, args.people)
    base, listed = naive_people(args.db, args.baseline_people)
    print(
        f"baseline, old panel's listing of {listed} people: {base:.2f} s (load {os.getloadavg()})"
    )
    result = gui(args.db)
    print(f"GUI: {result} (load {os.getloadavg()})")
    shown = result["people_shown"] - result["window_shown"]
    own = result["people_shown"] - result.get("collection_loaded", result["window_shown"])
    print(
        f"people view after the window: {shown:.2f} s ({own:.2f} s after the collection "
        f"loaded); baseline / people view: {base / max(1e-9, shown):.1f}x "
        f"(baseline for {listed} people)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
