"""Benchmark: what a search pays to know its in-memory matrix is current (SQLite).

Run:  PYTHONPATH=. python bench/search_freshness.py [--faces 2000] [--calls 2000]

Before issue 14 every search opened a read unit of work to compare the collection's
generation with the matrix's. Now ``ServiceContext.vectors`` asks SQLite's
``PRAGMA data_version`` first and reads the generation only when some connection committed
since the last look. Both are timed here in the same run, on the same database:

- baseline: ``with db.unit_of_work(read_only=True) as uow: uow.collections.generation(cid)``
  then the registry lookup (what each search did before);
- now: ``ctx.vectors(cid)`` with nothing committed in between (the common case);
- after a commit: ``ctx.vectors(cid)`` right after another connection wrote (data_version moved,
  so the generation is read: the price of noticing another process).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from facedesk.core.types import BoundingBox, CollectionInfo, ImageInfo, StoredFace
from facedesk.service.context import ServiceContext

CID = "bench"


def _seed(ctx: ServiceContext, n: int) -> None:
    rng = np.random.default_rng(0)
    image = ImageInfo("00000000-0000-4000-8000-000000000001", "0" * 64, 1, 640, 480, "JPEG")
    faces = [
        StoredFace(
            face_id=f"{i:08d}-0000-4000-8000-000000000000",
            collection_id=CID,
            image_id=image.image_id,
            external_image_id=None,
            bounding_box=BoundingBox(0.1, 0.1, 0.2, 0.2),
            confidence=99.0,
            model_version="1.0",
            embedding=rng.standard_normal(128).astype(np.float32),
        )
        for i in range(n)
    ]
    with ctx.db.unit_of_work() as uow:
        uow.collections.add(CollectionInfo(CID, "1.0", "arn", datetime.now(UTC)))
        uow.images.upsert(image)
        uow.collection(CID).faces.add_many(faces)
        uow.commit()


def _per_call_us(fn: object, calls: int) -> float:
    assert callable(fn)
    start = time.perf_counter_ns()
    for _ in range(calls):
        fn()
    return (time.perf_counter_ns() - start) / calls / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ctx = ServiceContext(str(Path(tmp) / "bench.db"))
        _seed(ctx, args.faces)
        ctx.vectors(CID).face_ids()  # load the matrix once
        db = ctx.db

        def baseline() -> None:
            with db.unit_of_work(read_only=True) as uow:
                uow.collections.generation(CID)
            ctx._vector_registry().peek(ctx.database_url, CID)

        def now() -> None:
            ctx.vectors(CID)

        other = ServiceContext(ctx.database_url)

        def after_commit() -> None:
            with other.db.unit_of_work() as uow:  # a write by someone else: no event here
                uow.collection(CID).tokens.put("Bench", "t", "h", {})
                uow.commit()
            ctx.vectors(CID)

        def commit_only() -> None:
            with other.db.unit_of_work() as uow:
                uow.collection(CID).tokens.put("Bench", "t", "h", {})
                uow.commit()

        base = _per_call_us(baseline, args.calls)
        fresh = _per_call_us(now, args.calls)
        few = max(50, args.calls // 20)
        noticed = _per_call_us(after_commit, few) - _per_call_us(commit_only, few)
        other.close()
        ctx.close()
    print(f"load average: {os.getloadavg()}")
    print(f"faces: {args.faces}, calls: {args.calls}")
    print(f"baseline (read unit of work per search): {base:9.1f} us")
    print(f"now, nothing committed since:            {fresh:9.1f} us  ratio {fresh / base:.3f}")
    print(f"now, after another writer's commit:      {noticed:9.1f} us  ratio {noticed / base:.3f}")


if __name__ == "__main__":
    main()
