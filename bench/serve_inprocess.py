"""Thread-CPU cost of the requests bench/serve.py times, in process only.

    PYTHONPATH=. python bench/serve_inprocess.py [--faces 10000] [--reps 150] [--database DB]

CPU time of the calling thread (``time.thread_time``) rather than wall time: on a shared
machine it holds under load, so two checkouts can be compared in the same minutes (run it
with ``PYTHONPATH`` at each, alternately, on one ``--database``). Prints min / p25 / p50
per request and the load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_scale import COLLECTION, fill


def _cpu_ms(call: Callable[[], Any], reps: int) -> list[float]:
    for _ in range(10):  # warm: the search matrix, statement caches
        call()
    samples = []
    for _ in range(reps):
        start = time.thread_time()
        call()
        samples.append((time.thread_time() - start) * 1000)
    return sorted(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=150)
    ap.add_argument("--database", help="reuse this database (filled on first use)")
    args = ap.parse_args()

    import facedesk

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.database or Path(tmp) / "inprocess.db")
        if not db.exists():
            fill(db, args.faces, thumbnails=False)
        client = facedesk.client(database=str(db))
        face_id = client.list_faces(CollectionId=COLLECTION, MaxResults=1)["Faces"][0]["FaceId"]
        cases: dict[str, Callable[[], Any]] = {
            "ListFaces MaxResults=100": lambda: client.list_faces(
                CollectionId=COLLECTION, MaxResults=100
            ),
            "ListFaces MaxResults=1000": lambda: client.list_faces(
                CollectionId=COLLECTION, MaxResults=1000
            ),
            "SearchFaces": lambda: client.search_faces(CollectionId=COLLECTION, FaceId=face_id),
            "SearchFaces MaxFaces=10 FaceMatchThreshold=0": lambda: client.search_faces(
                CollectionId=COLLECTION, FaceId=face_id, MaxFaces=10, FaceMatchThreshold=0
            ),
        }
        print(f"code: {Path(facedesk.__file__).parent}")
        print("| request | thread CPU min ms | p25 | p50 | load avg |")
        print("|---|---|---|---|---|")
        for name, call in cases.items():
            s = _cpu_ms(call, args.reps)
            print(
                f"| {name} | {s[0]:.2f} | {s[len(s) // 4]:.2f} | {s[len(s) // 2]:.2f} "
                f"| {os.getloadavg()[0]:.1f} |",
                flush=True,
            )
        client.close()


if __name__ == "__main__":
    main()
