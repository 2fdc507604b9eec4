"""Benchmark: PostgreSQL + pgvector search through facedesk's own code, at N synthetic faces.

Run:  PYTHONPATH=. python bench/postgres.py [--faces 1000000] [--queries 200] [--out FILE.md]

A private server (pgserver: PostgreSQL 16, pgvector 0.6.2, Unix socket only) in a temp folder,
stopped at the end. Faces are bench/search.py's dlib-like synthetic descriptors (~5 photos per
identity). Measured, each printed as it completes:

- insert throughput through ``FaceRepository.add_many`` (facedesk's write path, 1000 faces per
  transaction) with the collection's HNSW index live, on the first ``--live`` faces;
- the rest bulk-loaded with the index dropped (as ``facedesk migrate`` does), then the HNSW
  build time (m=16, ef_construction=64, the shape facedesk creates);
- the index check facedesk runs after a build (``postgres_check.check_index``): its time and
  the first candidate list it chose, or that it found none and the collection scans exactly;
- SearchFaces' step in the database as facedesk runs it (``FaceRepository.nearest``: the
  verdict's candidate list + exact float32 re-rank, or the exact scan in the database), k=10
  without threshold and k=4096 with Rekognition's default threshold (distance 0.6): p50/p99
  per query, recall@10 and complete threshold answers against the exact scan (numpy, float32)
  of the same data; then the exact scan in the database on its own;
- the same exact scan in process for reference (VectorIndex on the same matrix);
- with ``--ef-sweep 200,400,1000``: the index searched with each first candidate list
  (pgvector's ``hnsw.ef_search``; 1000 is its maximum), to show what a longer list buys in
  recall and costs in time;
- ``--m`` / ``--ef-construction`` build the index with another shape than facedesk's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.search import Population, rss_mib
from facedesk.core.types import BoundingBox, CollectionInfo, ImageInfo, StoredFace
from facedesk.storage import postgres, postgres_check
from facedesk.storage.database import Database
from facedesk.storage.vector_index import VectorIndex

T0 = __import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC)


def say(text: str, out: list[str]) -> None:
    print(text, flush=True)
    out.append(text)


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def face_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-000000000000"


def faces(cid: str, start: int, vectors: np.ndarray) -> list[StoredFace]:
    return [
        StoredFace(
            face_id=face_id(start + i),
            collection_id=cid,
            image_id="img",
            external_image_id=None,
            bounding_box=BoundingBox(0.1, 0.1, 0.2, 0.2),
            confidence=99.0,
            model_version="1.0",
            embedding=v,
            indexed_at=T0,
        )
        for i, v in enumerate(vectors)
    ]


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=1_000_000)
    ap.add_argument("--live", type=int, default=20_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--ef-sweep", default="", help="first candidate lists, e.g. 200,400,1000")
    ap.add_argument("--m", type=int, default=postgres.HNSW_M)
    ap.add_argument("--ef-construction", type=int, default=postgres.HNSW_EF_CONSTRUCTION)
    args = ap.parse_args()
    postgres.HNSW_M, postgres.HNSW_EF_CONSTRUCTION = args.m, args.ef_construction
    n = args.faces
    out: list[str] = []
    rng = np.random.default_rng(1)
    pop = Population(rng, max(1, n // 5))
    who = rng.integers(0, pop.centres.shape[0], n)
    data = pop.photos(who)
    queries = pop.photos(rng.integers(0, pop.centres.shape[0], args.queries))
    say(f"## PostgreSQL + pgvector at {n:,} faces (load {load()})", out)

    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="facedesk-pgbench-"))
    server = pgserver.get_server(folder, cleanup_mode="delete")
    try:
        socket_dir = server.get_postmaster_info().socket_dir
        server.psql("CREATE DATABASE bench;")
        url = f"postgresql+psycopg://postgres@/bench?host={socket_dir}"
        db = Database(url)
        # The bench inserts with the index dropped: a check then would judge a seq scan. It
        # checks once, after the build, below.
        assert db.index_checks is not None
        db.index_checks.close()
        # The HNSW graph must fit in maintenance_work_mem or the build slows down sharply.
        server.psql("ALTER SYSTEM SET maintenance_work_mem = '1536MB';")
        server.psql("ALTER SYSTEM SET max_parallel_maintenance_workers = 1;")
        server.psql("SELECT pg_reload_conf();")
        with db.unit_of_work() as uow:
            uow.collections.add(
                CollectionInfo("bench", "1.0", "arn", created_at=T0, face_count=0, user_count=0)
            )
            uow.images.upsert(ImageInfo("img", "0" * 64, 1, 100, 100, "JPEG"))
            uow.commit()
            cpk = 1

        live = min(args.live, n)
        t = time.perf_counter()
        for a in range(0, live, 1000):
            with db.unit_of_work() as uow:
                uow.faces.add_many(faces("bench", a, data[a : min(live, a + 1000)]))
                uow.commit()
        dt = time.perf_counter() - t
        say(f"- insert with the HNSW index live: {live / dt:,.0f} faces/s "
            f"({live:,} faces in {dt:.1f} s, 1000 per commit; load {load()})", out)  # fmt: skip

        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP INDEX {postgres.index_name(cpk)}")
        t = time.perf_counter()
        for a in range(live, n, 5000):
            with db.unit_of_work() as uow:
                uow.faces.add_many(faces("bench", a, data[a : min(n, a + 5000)]))
                uow.commit()
        dt = time.perf_counter() - t
        if n > live:
            say(f"- bulk insert without the index: {(n - live) / dt:,.0f} faces/s "
                f"({n - live:,} faces in {dt:.1f} s; load {load()})", out)  # fmt: skip
        t = time.perf_counter()
        with db.engine.begin() as conn:
            postgres.create_hnsw_index(conn, cpk)
        build = time.perf_counter() - t
        say(f"- HNSW build (m={args.m}, ef_construction={args.ef_construction}) over {n:,} "
            f"faces: {build:.1f} s (load {load()})", out)  # fmt: skip

        exact = VectorIndex(lambda: ([face_id(i) for i in range(n)], data))
        exact.search(queries[0], 10)
        truth = [exact.search(q, 10) for q in queries]
        t_exact = []
        for q in queries[:50]:
            t = time.perf_counter_ns()
            exact.search(q, 10)
            t_exact.append((time.perf_counter_ns() - t) / 1e6)

        # The check facedesk runs after `facedesk migrate` and, in the background, as a
        # collection grows: which first candidate list gives the exact answers, if any.
        t = time.perf_counter()
        verdict = postgres_check.check_index(db.engine, cpk)
        assert verdict is not None
        chosen = verdict.first_list or "none: exact scan in the database"
        say(f"- index check on {verdict.sample.checked} of the collection's faces: "
            f"{time.perf_counter() - t:.1f} s; first list {chosen} (recall@10 "
            f"{verdict.sample.recall_at_10:.3f}, threshold answers identical "
            f"{verdict.sample.identical:.2f}; load {load()})", out)  # fmt: skip

        def run(label: str, k: int, max_d: float | None, first: int | None) -> None:
            """``first`` None: as facedesk searches (FaceRepository.nearest, the verdict's list);
            else that first list (postgres.EXACT: an exact scan in the database)."""
            times: list[float] = []
            recall: list[float] = []
            same_thr = 0
            with db.unit_of_work(read_only=True) as uow:

                def search(q: np.ndarray) -> list[tuple[str, float]]:
                    if first is None:
                        return uow.faces.nearest("bench", q, k, max_d)
                    return postgres.nearest(uow.session, cpk, q, k, max_d, first_list=first)

                search(queries[0])  # warm
                for q, want in zip(queries, truth, strict=True):
                    t = time.perf_counter_ns()
                    got = search(q)
                    times.append((time.perf_counter_ns() - t) / 1e6)
                    if max_d is None:
                        recall.append(len({f for f, _ in got} & {f for f, _ in want}) / 10)
                    else:
                        full = exact.search(q, 4096, max_distance=max_d)
                        same_thr += got == full
            extra = (
                f"recall@10 {statistics.mean(recall):.4f}"
                if recall
                else f"matches above threshold identical to the exact scan in "
                f"{same_thr}/{len(queries)} queries"
            )
            say(f"- {label}: p50 {pct(times, 50):.2f} ms, p99 {pct(times, 99):.2f} ms; "
                f"{extra} (load {load()})", out)  # fmt: skip

        kinds = (("k=10", 10, None), ("k=4096, distance <= 0.6", 4096, 0.6))
        for label, k, max_d in kinds:
            run(f"search as facedesk does (first list {chosen}), {label}", k, max_d, None)
        if verdict.first_list != postgres.EXACT:  # else the rows above measured it
            for label, k, max_d in kinds:
                run(f"exact scan in the database, {label}", k, max_d, postgres.EXACT)
        sweep = [int(x) for x in args.ef_sweep.split(",") if x]
        for ef in sweep:
            for label, k, max_d in kinds:
                run(f"index search, first list {ef}, {label}", k, max_d, ef)
        say(f"- exact in-process scan (VectorIndex, float32) on the same faces, k=10: "
            f"p50 {pct(t_exact, 50):.2f} ms (RSS {rss_mib():.0f} MiB)", out)  # fmt: skip
        with db.engine.connect() as conn:
            size = conn.exec_driver_sql(
                f"SELECT pg_relation_size('{postgres.index_name(cpk)}'), "
                "pg_total_relation_size('faces')"
            ).one()
        say(f"- HNSW index {size[0] / 2**20:,.0f} MiB, faces table with indexes "
            f"{size[1] / 2**20:,.0f} MiB", out)  # fmt: skip
        db.dispose()
    finally:
        server.cleanup()
    if args.out:
        args.out.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
