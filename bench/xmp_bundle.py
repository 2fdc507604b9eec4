"""What leaving facedesk costs: XMP export/import per photo and the library bundle.

    python bench/xmp_bundle.py [--rounds 3]

Indexes tmp copies of the dev photos that have faces (the testdata, never written in place),
names every face, then times, each against a baseline measured in the same run (machine load
varies; ``os.getloadavg()`` is printed):

- export-xmp (digiKam sidecars) and import-xmp per photo, against reading each photo's bytes
  and hashing them (one pass over the files: the least any per-photo tool does);
- export-library and import-library (into an empty library), against copying the SQLite file,
  and the bundle's size against the database's.

Medians of ``--rounds`` runs; prints one JSON object.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT.parent / "shared" / "testdata"
PHOTOS = [
    "real/face_recognition/obama.jpg",
    "real/face_recognition/biden.jpg",
    "real/face_recognition/two_people.jpg",
    "real/face_recognition/obama_and_biden.jpg",
    "real/dlib/2007_007763.jpg",
    "real/dlib/2008_007676.jpg",
    "real/dlib/bald_guys.jpg",
    "derived/biden_exif_orientation6.jpg",
    "derived/obama_exif_orientation3.jpg",
]


def median_time(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    import facedesk
    from facedesk.service.bundle import export_library, import_library
    from facedesk.service.indexing import IndexOptions
    from facedesk.service.people import person_for_name
    from facedesk.service.xmp_export import iter_export_xmp
    from facedesk.service.xmp_import import ImportReceipt, iter_import_xmp, undo_import

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="facedesk-bench-xmp-"))
    try:
        folder = work / "photos"
        folder.mkdir()
        for rel in PHOTOS:
            shutil.copyfile(TESTDATA / rel, folder / Path(rel).name)
        db = work / "lib.db"
        client = facedesk.client(database=str(db), store_thumbnails=True)
        client.create_collection(CollectionId="C")
        list(client.library.iter_index_files("C", [folder], IndexOptions()))
        faces = client.list_faces(CollectionId="C", MaxResults=4096)["Faces"]
        for i, face in enumerate(faces):
            person = person_for_name(client.context, "C", f"Person {i}")
            client.associate_faces(
                CollectionId="C", UserId=person.user_id, FaceIds=[face["FaceId"]]
            )
        ctx = client.context
        files = sorted(p for p in folder.iterdir() if p.suffix == ".jpg")

        def read_all() -> None:
            for p in files:
                hashlib.sha256(p.read_bytes()).hexdigest()

        def export() -> None:
            results = [e.result for e in iter_export_xmp(ctx, "C", [folder])]
            assert all(r["Status"] == "exported" for r in results), results

        def import_and_undo() -> None:
            receipt = ImportReceipt("C")
            # The faces are named already: the import matches and finds them named, the
            # same work as a first import minus the writes; undo then has nothing to do.
            results = [e.result for e in iter_import_xmp(ctx, "C", [folder], receipt)]
            assert all(r["Status"] == "imported" for r in results), results
            undo_import(ctx, receipt)

        bundle = work / "lib.zip"
        copies = iter(range(10_000))

        def copy_db() -> None:
            shutil.copyfile(db, work / f"copy{next(copies)}.db")

        def bundle_out() -> None:
            export_library(ctx, bundle)

        def bundle_in() -> None:
            target = facedesk.client(database=str(work / f"in{next(copies)}.db"))
            try:
                import_library(target.context, bundle)
            finally:
                target.close()

        baseline_files = median_time(read_all, args.rounds)
        baseline_copy = median_time(copy_db, args.rounds)
        t_export = median_time(export, args.rounds)
        t_import = median_time(import_and_undo, args.rounds)
        t_out = median_time(bundle_out, args.rounds)
        t_in = median_time(bundle_in, args.rounds)
        client.close()
        print(
            json.dumps(
                {
                    "loadavg": os.getloadavg(),
                    "photos": len(files),
                    "faces": len(faces),
                    "read_and_hash_photos_s": round(baseline_files, 4),
                    "export_xmp_s": round(t_export, 4),
                    "export_xmp_ms_per_photo": round(1000 * t_export / len(files), 1),
                    "export_xmp_vs_read": round(t_export / baseline_files, 1),
                    "import_xmp_s": round(t_import, 4),
                    "import_xmp_ms_per_photo": round(1000 * t_import / len(files), 1),
                    "import_xmp_vs_read": round(t_import / baseline_files, 1),
                    "copy_db_s": round(baseline_copy, 4),
                    "export_library_s": round(t_out, 4),
                    "export_library_vs_copy": round(t_out / baseline_copy, 1),
                    "import_library_s": round(t_in, 4),
                    "import_library_vs_copy": round(t_in / baseline_copy, 1),
                    "db_bytes": db.stat().st_size,
                    "bundle_bytes": bundle.stat().st_size,
                    "bundle_vs_db_size": round(bundle.stat().st_size / db.stat().st_size, 2),
                },
                indent=1,
            )
        )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
