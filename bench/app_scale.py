"""The app and the client at 100k and 1M faces.

    python bench/app_scale.py [--faces 100000] [--big-faces 1000000] [--keep DIR]

1. Fills a database through the storage repositories (synthetic rows: random unit
   embeddings, realistic boxes, 5 faces per image, one index record per image, a
   ~2 KB JPEG thumbnail per face for the 100k database; the 1M database has no
   thumbnails, since the client never reads them).
2. GUI (a subprocess, QT_QPA_PLATFORM=offscreen, built as ``facedesk.app.run_gui``
   builds it): time from process start to the window shown (first paint), to the
   collection loaded (first page of faces and of photos; ``faces_page_in_model`` when the
   faces' page alone was in), to the faces view populated (switched to it after the
   collection loaded, first page painted), to the photo list fully streamed in
   (``photos_streamed``); the longest stall of the UI thread meanwhile
   (``ui_max_gap_ms_*``: gaps between ticks of a 10 ms timer); then the time per page
   scroll of the faces grid (paint), until that page's rows (paging) and thumbnails
   arrived; an ExternalImageId filter that matches 5 faces (a full scan in storage, on
   the model's pool) and clearing it; peak RSS. Also
   the wall time of the real screenshot mode
   ``facedesk --database DB --screenshot out.png --collection C --view faces``.
   ``--big-faces 0`` skips part 3. Naive baseline, run alternately with the GUI: a
   process that lists every photo and every face before it could show any (what the app
   did before paging), timed from process start; the ratio compares its median with the
   median time to the GUI's first page of faces.
3. Client at 1M faces (a subprocess): open + the first ``search_faces`` (loads the
   matrix) + a second one; peak RSS.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

COLLECTION = "scale"
FACES_PER_IMAGE = 5


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _thumbs(rng: np.random.Generator, n: int = 16) -> list[bytes]:
    from PIL import Image

    out = []
    for _ in range(n):
        base = rng.integers(60, 200, size=(8, 8, 3), dtype=np.uint8)
        im = Image.fromarray(base, "RGB").resize((128, 128), Image.Resampling.BICUBIC)
        buf = io.BytesIO()
        im.save(buf, format="JPEG", quality=85)
        out.append(buf.getvalue())
    return out


def fill(db_path: Path, n_faces: int, thumbnails: bool, seed: int = 1) -> float:
    import facedesk
    from facedesk.core.types import BoundingBox, ImageInfo, IndexRecord, StoredFace
    from facedesk.engine import MODEL_VERSION
    from facedesk.storage.database import Database

    client = facedesk.client(database=str(db_path))
    client.create_collection(CollectionId=COLLECTION)
    client.close()
    db = Database(str(db_path))
    rng = np.random.default_rng(seed)
    thumbs = _thumbs(rng) if thumbnails else []
    n_images = n_faces // FACES_PER_IMAGE
    chunk = 2000
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    for start in range(0, n_images, chunk):
        count = min(chunk, n_images - start)
        emb = rng.standard_normal((count * FACES_PER_IMAGE, 128)).astype(np.float32)
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        with db.unit_of_work() as uow:
            for i in range(count):
                k = start + i
                sha = f"{k:064x}"
                image_id = f"{k:08x}-0000-4000-8000-{k:012x}"
                eid = f"photo_{k:06d}.jpg"
                uow.images.upsert(ImageInfo(image_id, sha, 3_000_000, 4000, 3000, "JPEG"))
                faces, records, tmap = [], [], {}
                for j in range(FACES_PER_IMAGE):
                    w = float(rng.uniform(0.04, 0.2))
                    box = BoundingBox(
                        left=0.05 + 0.18 * j,
                        top=float(rng.uniform(0.1, 0.6)),
                        width=w,
                        height=w * 1.3,
                    )
                    fid = f"{k:08x}-{j:04x}-4000-8000-{k:012x}"
                    sf = StoredFace(
                        face_id=fid,
                        collection_id=COLLECTION,
                        image_id=image_id,
                        external_image_id=eid,
                        bounding_box=box,
                        confidence=99.9,
                        model_version=MODEL_VERSION,
                        embedding=emb[i * FACES_PER_IMAGE + j],
                        indexed_at=now,
                    )
                    faces.append(sf)
                    records.append(
                        {
                            "Face": sf.to_face_dict(),
                            "FaceDetail": {"BoundingBox": box.to_dict(), "Confidence": 99.9},
                        }
                    )
                    if thumbnails:
                        tmap[fid] = thumbs[(k + j) % len(thumbs)]
                uow.faces.add_many(faces, tmap or None)
                uow.index_records.add(
                    IndexRecord(
                        collection_id=COLLECTION,
                        image_id=image_id,
                        external_image_id=eid,
                        response={"FaceRecords": records, "FaceModelVersion": MODEL_VERSION},
                        settings={"QualityFilter": "AUTO"},
                        measurements=(),
                        indexed_at=now,
                        face_count=FACES_PER_IMAGE,
                        unindexed_count=0,
                        source_path=f"/photos/{eid}",
                        source_size=3_000_000,
                        source_mtime=1.7e9,
                    )
                )
            uow.collections.bump_generation(COLLECTION)
            uow.commit()
    db.dispose()
    return time.perf_counter() - t0


def grow(src: Path, dst: Path, factor: int) -> float:
    """``dst`` = ``src`` with its face rows copied ``factor`` times under new face ids.

    Same embeddings (so every face has ``factor`` exact twins) and the same images; plain
    SQL, because the repositories insert ~600 faces/s on this loaded machine (1M would
    take half an hour). Thumbnails are dropped: the client never reads them.
    """
    import shutil
    import sqlite3

    t0 = time.perf_counter()
    shutil.copyfile(src, dst)
    con = sqlite3.connect(dst)
    if _has_table(con, "face_thumbnails"):
        con.execute("DELETE FROM face_thumbnails")
    cols = [r[1] for r in con.execute("PRAGMA table_info(faces)")]
    rest = ", ".join(c for c in cols if c != "face_id")
    for k in range(1, factor):
        con.execute(
            f"INSERT INTO faces (face_id, {rest}) "
            f"SELECT substr(face_id, 1, 9) || printf('%02x', {k}) || substr(face_id, 12), {rest} "
            "FROM faces WHERE substr(face_id, 10, 2) = '00'"
        )
    con.execute("UPDATE collections SET generation = generation + 1")
    con.commit()
    con.execute("VACUUM")
    con.close()
    return time.perf_counter() - t0


def _has_table(con: object, name: str) -> bool:
    import sqlite3

    assert isinstance(con, sqlite3.Connection)
    row = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,))
    return row.fetchone() is not None


# --- child: the GUI -----------------------------------------------------------------------


def child_gui(db: str, pages: int) -> None:
    t_start = float(os.environ["FACEDESK_BENCH_T0"])
    marks: dict[str, float] = {"imports_start": time.time() - t_start}
    from PySide6.QtCore import QModelIndex, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    import facedesk
    from facedesk.qt.controller import MainController
    from facedesk.qt.main_window import MainWindow
    from facedesk.qt.resources import app_icon, stylesheet
    from facedesk.qt.settings import AppSettings

    app = QApplication([sys.argv[0]])
    app.setWindowIcon(app_icon())
    app.setStyleSheet(stylesheet())
    scratch = tempfile.mkdtemp()
    settings = AppSettings(QSettings(os.path.join(scratch, "s.ini"), QSettings.Format.IniFormat))
    client = facedesk.client(database=db, store_thumbnails=True)
    controller = MainController(client)
    window = MainWindow(controller, settings, ask_before_close=False)
    loaded: list[float] = []
    controller.collection_loaded.connect(
        lambda cid: loaded.append(time.time()) if cid == COLLECTION else None
    )
    faces_in: list[float] = []  # the face grid's first page is in its model
    controller.faces.query_loaded.connect(lambda _q, _n: faces_in.append(time.time()))
    ticks: list[float] = []
    heartbeat = QTimer(interval=10)
    heartbeat.timeout.connect(lambda: ticks.append(time.time()))

    def max_gap_ms(since: float) -> float:
        recent = [since, *(x for x in ticks if x >= since), time.time()]
        return 1000 * max(b - a for a, b in pairwise(recent))

    def wait_until(done: Any, limit: float = 120.0) -> bool:
        t0 = time.time()
        while not done() and time.time() - t0 < limit:
            app.processEvents()
            time.sleep(0.002)
        return bool(done())

    controller.refresh_collections(select=COLLECTION)
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    window.repaint()
    marks["window_shown"] = time.time() - t_start
    heartbeat.start()
    t_shown = time.time()
    if not wait_until(lambda: bool(loaded)):
        print(json.dumps({"error": "collection never loaded", **marks}))
        return
    marks["collection_loaded"] = loaded[0] - t_start
    marks["faces_page_in_model"] = faces_in[0] - t_start if faces_in else -1.0
    marks["ui_max_gap_ms_loading"] = max_gap_ms(t_shown)
    t = time.time()
    window.show_view("faces")
    view = window.faces_view.list
    app.processEvents()
    view.viewport().repaint()
    marks["faces_view_painted_after_switch"] = time.time() - t
    marks["faces_view_populated"] = time.time() - t_start
    marks["faces_rows"] = float(controller.faces.rowCount())
    marks["faces_total"] = float(controller.faces.total())
    t = time.time()
    wait_until(lambda: not controller.busy)
    marks["photos_streamed"] = time.time() - t_start
    marks["photos_rows"] = float(controller.photos.rowCount())
    marks["ui_max_gap_ms_streaming"] = max_gap_ms(t)

    def settle(limit: float = 10.0) -> float:
        t0 = time.time()
        faces = controller.faces
        wait_until(lambda: not controller.thumbnails.pending and not faces.loading, limit)
        return time.time() - t0

    marks["first_page_thumbs"] = settle()
    bar = view.verticalScrollBar()
    paint, thumbs = [], []
    for _ in range(pages):
        t = time.time()
        bar.setValue(bar.value() + bar.pageStep())
        app.processEvents()
        view.viewport().repaint()
        paint.append(time.time() - t)
        thumbs.append(settle())
    marks["scroll_paint_ms_median"] = 1000 * float(np.median(paint))
    marks["scroll_paint_ms_max"] = 1000 * float(np.max(paint))
    marks["scroll_rows_thumbs_ms_median"] = 1000 * float(np.median(thumbs))
    marks["scroll_rows_thumbs_ms_max"] = 1000 * float(np.max(thumbs))
    marks["rows_after_scroll"] = float(controller.faces.rowCount())
    t = time.time()
    fetched = controller.faces.rowCount()
    controller.faces.fetchMore(QModelIndex())
    wait_until(lambda: controller.faces.rowCount() > fetched)
    marks["next_page_ms"] = 1000 * (time.time() - t)
    for label, text in (("name_filter_5_faces", "photo_012345"), ("name_filter_cleared", "")):
        t = time.time()
        queried: list[int] = []
        controller.faces.query_loaded.connect(lambda _q, n, queried=queried: queried.append(n))
        controller.faces.set_name_filter(text)
        wait_until(lambda queried=queried: bool(queried))
        marks[f"{label}_ms"] = 1000 * (time.time() - t)
        marks[f"{label}_rows"] = float(controller.faces.rowCount())
    marks["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(marks))
    os._exit(0)  # the measurement is done; skip Qt teardown


def child_naive(db: str) -> None:
    """The naive baseline: what the app did before paging, list every photo and every face
    (without descriptors) before showing any; no Qt, so it flatters the baseline."""
    t_start = float(os.environ["FACEDESK_BENCH_T0"])
    import facedesk

    lib = facedesk.client(database=db, store_thumbnails=True).library
    images = lib.list_images(COLLECTION)
    faces = lib.faces(COLLECTION)
    marks = {
        "all_listed": time.time() - t_start,
        "images": float(len(images)),
        "faces": float(len(faces)),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(marks))
    os._exit(0)


def child_client(db: str) -> None:
    t_start = float(os.environ["FACEDESK_BENCH_T0"])
    import facedesk

    marks: dict[str, float] = {"import": time.time() - t_start}
    t = time.time()
    client = facedesk.client(database=db)
    desc = client.describe_collection(CollectionId=COLLECTION)
    marks["open_describe_s"] = time.time() - t
    marks["face_count"] = float(desc["FaceCount"])
    face_id = f"{7:08x}-0001-4000-8000-{7:012x}"
    t = time.time()
    r = client.search_faces(CollectionId=COLLECTION, FaceId=face_id, MaxFaces=10)
    marks["first_search_s"] = time.time() - t
    t = time.time()
    client.search_faces(CollectionId=COLLECTION, FaceId=face_id, MaxFaces=10)
    marks["second_search_s"] = time.time() - t
    marks["matches"] = float(len(r["FaceMatches"]))
    marks["total_s"] = time.time() - t_start
    marks["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(marks))
    client.close()


def _child(args: list[str], env_extra: dict[str, str] | None = None) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", FACEDESK_BENCH_T0=repr(time.time()))
    env.update(env_extra or {})
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, timeout=900
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"child failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result: dict[str, float] = json.loads(lines[-1])
    return result


def screenshot_wall(db: Path, out: Path) -> tuple[float, float]:
    t = time.time()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "facedesk",
            "--database",
            str(db),
            "--screenshot",
            str(out),
            "--collection",
            COLLECTION,
            "--view",
            "faces",
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        timeout=900,
    )
    wall = time.time() - t
    if done.returncode != 0:
        print(f"screenshot mode failed: {done.stderr.strip()[-400:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, usage


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--big-faces", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--keep", type=Path, help="folder for the databases (reused if present)")
    ap.add_argument("--child-gui")
    ap.add_argument("--child-client")
    ap.add_argument("--child-naive")
    args = ap.parse_args()
    if args.child_gui:
        child_gui(args.child_gui, args.pages)
        return 0
    if args.child_client:
        child_client(args.child_client)
        return 0
    if args.child_naive:
        child_naive(args.child_naive)
        return 0
    folder = args.keep or Path(tempfile.mkdtemp(prefix="facedesk-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "?",
    )
    print(f"machine: {os.cpu_count()} cores, {cpu}")
    small = folder / f"faces_{args.faces}.db"
    if not small.exists():
        s = fill(small, args.faces, thumbnails=True)
        print(f"filled {small.name}: {args.faces} faces in {s:.1f} s")
    print(f"database {small.stat().st_size / 1e6:.0f} MB")
    first_faces, naive = [], []
    for rep in range(args.repeats):
        before = _load()
        m = _child(["--child-gui", str(small), "--pages", str(args.pages)])
        first_faces.append(m["faces_page_in_model"])
        print(
            f"GUI run {rep + 1} (load {before}): "
            + json.dumps({k: round(v, 3) for k, v in m.items()})
        )
        before = _load()
        n = _child(["--child-naive", str(small)])
        naive.append(n["all_listed"])
        print(
            f"naive run {rep + 1} (load {before}): "
            + json.dumps({k: round(v, 3) for k, v in n.items()})
        )
    ours, theirs = float(np.median(first_faces)), float(np.median(naive))
    print(
        f"first faces from process start: facedesk {ours:.2f} s (median), naive list-all "
        f"{theirs:.2f} s (median): ratio {theirs / ours:.1f}x"
    )
    for rep in range(args.repeats):
        before = _load()
        wall, _ = screenshot_wall(small, folder / "faces.png")
        print(f"screenshot mode run {rep + 1} (load {before}): {wall:.2f} s wall")
    if args.big_faces:
        big = folder / f"faces_{args.big_faces}.db"
        if not big.exists():
            factor = max(1, args.big_faces // args.faces)
            s = grow(small, big, factor)
            print(f"made {big.name}: {args.faces} faces x {factor} (new ids) in {s:.1f} s")
        print(f"database {big.stat().st_size / 1e6:.0f} MB")
        for rep in range(args.repeats):
            before = _load()
            m = _child(["--child-client", str(big)])
            print(
                f"client run {rep + 1} (load {before}): "
                + json.dumps({k: round(v, 3) for k, v in m.items()})
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
