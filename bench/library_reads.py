"""The GUI's reads through the Library against the ways they were answered before.

    python bench/library_reads.py [--people 5000] [--faces-per-person 20] [--repeat 5]

Builds a synthetic library in a temporary folder (rows written with sqlite3 straight
into facedesk's schema: no detection), then times, in the same run:

- the People side bar's list: ``Library.people_with_counts`` (one grouped query) against
  ``PeopleGroups.people`` (what the controller called before: pages of 1000 users with a
  count subquery per user) and against the boto3-shaped way the issue describes
  (ListUsers, then ListFaces per user to count faces);
- a search's searched face: ``face_without_embedding`` against ListFaces with FaceIds
  (what the controller called before; it reads the 128-d descriptor).

Prints the medians, the ratios against the old ways, and ``os.getloadavg()``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CID = "bench"


def build(db: Path, people: int, per_person: int) -> None:
    import facedesk

    with facedesk.client(database=str(db)) as client:
        client.create_collection(CollectionId=CID)
        version = client.describe_collection(CollectionId=CID)["FaceModelVersion"]
    now = datetime.now(UTC).isoformat(sep=" ")
    blob = bytes(128 * 4)
    con = sqlite3.connect(db)
    with con:
        (cpk,) = con.execute("SELECT pk FROM collections WHERE collection_id=?", (CID,)).fetchone()
        for u in range(people):
            image_id = f"{u:08x}-0000-4000-8000-000000000000"
            con.execute(
                "INSERT INTO images (image_id, sha256, byte_size, width, height, format)"
                " VALUES (?, ?, 1000, 800, 600, 'JPEG')",
                (image_id, f"{u:064x}"),
            )
            cur = con.execute(
                "INSERT INTO users (collection_pk, user_id, status, created_at, display_name,"
                " hidden) VALUES (?, ?, 'ACTIVE', ?, ?, 0)",
                (cpk, f"person_{u:05d}", now, f"Person {u}"),
            )
            upk = cur.lastrowid
            con.executemany(
                "INSERT INTO faces (collection_pk, face_id, image_id, external_image_id,"
                " box_left, box_top, box_width, box_height, confidence, model_version,"
                " user_pk, embedding, indexed_at) VALUES"
                " (?, ?, ?, ?, 0.1, 0.1, 0.2, 0.2, 99.0, ?, ?, ?, ?)",
                [
                    (
                        *(cpk, f"{u:08x}-{j:04x}-4000-8000-{j:012x}", image_id, f"p{u}.jpg"),
                        *(version, upk, blob, now),
                    )
                    for j in range(per_person)
                ],
            )
    con.close()


def median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=5000)
    ap.add_argument("--faces-per-person", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--naive-people", type=int, default=500, help="people the ListFaces way lists")
    args = ap.parse_args()

    import facedesk
    from facedesk.storage.library_queries import face_without_embedding

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        build(db, args.people, args.faces_per_person)
        client = facedesk.client(database=str(db))
        lib = client.library
        print(f"{args.people} people x {args.faces_per_person} faces; loadavg {os.getloadavg()}")

        new = median_s(lambda: lib.people_with_counts(CID), args.repeat)
        old = median_s(lambda: lib.people.people(CID), args.repeat)
        assert lib.people_with_counts(CID) == lib.people.people(CID)

        def naive() -> None:
            done = 0
            for page in client.get_paginator("list_users").paginate(CollectionId=CID):
                for user in page["Users"]:
                    if done >= args.naive_people:
                        return
                    client.list_faces(CollectionId=CID, UserId=user["UserId"], MaxResults=4096)
                    done += 1

        naive_s = median_s(naive, 1) * args.people / min(args.naive_people, args.people)
        print(f"people list: Library.people_with_counts {new * 1000:.1f} ms")
        print(
            f"  PeopleGroups.people (before)           {old * 1000:.1f} ms  ratio {old / new:.1f}x"
        )
        print(
            f"  ListUsers + ListFaces per user         {naive_s * 1000:.0f} ms"
            f" (extrapolated from {args.naive_people})  ratio {naive_s / new:.0f}x"
        )

        face_id = f"{7:08x}-{3:04x}-4000-8000-{3:012x}"

        def one_query() -> None:
            with lib.context.db.unit_of_work(read_only=True) as uow:
                face_without_embedding(uow, CID, face_id)

        new_f = median_s(one_query, args.repeat * 20)
        old_f = median_s(
            lambda: client.list_faces(CollectionId=CID, FaceIds=[face_id], MaxResults=1),
            args.repeat * 20,
        )
        print(f"searched face: face_without_embedding {new_f * 1000:.2f} ms")
        print(f"  ListFaces FaceIds=[id] (before)      {old_f * 1000:.2f} ms", end="")
        print(f"  ratio {old_f / new_f:.1f}x")
        print(f"loadavg after {os.getloadavg()}")
        client.close()


if __name__ == "__main__":
    main()
