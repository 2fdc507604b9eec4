"""What the HTTP path of ``facedesk serve`` adds over the in-process client.

    python bench/serve.py [--faces 10000] [--reps 300]

A database of synthetic faces (bench/app_scale.py's ``fill``: random unit embeddings, 5
faces per image) is served on a loopback port by ``facedesk.serve`` in this process (uvicorn
on its own thread, as the tests run it). Each request is timed twice, alternately, on the
same warm database: through ``facedesk.client()`` (the baseline, measured in the same run)
and through an unmodified boto3 client over HTTP (SigV4 signing, JSON 1.1 serialisation,
uvicorn, SigV4 verification, the thread pool, JSON encoding, botocore's parsing). Printed:
p50/p90 of both, the p50 added by HTTP (target <= 5 ms) and the ratio, with the load
average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_scale import COLLECTION, fill


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _time(call: Callable[[], Any]) -> tuple[float, float, float]:
    """Wall ms; CPU ms of the whole process (client, uvicorn and the worker threads all run
    here, so this is what the request cost whatever the machine's load); CPU ms of the
    calling thread (for the HTTP path: boto3's serialising, signing and parsing)."""
    start, cpu, mine = time.perf_counter(), time.process_time(), time.thread_time()
    call()
    return (
        (time.perf_counter() - start) * 1000,
        (time.process_time() - cpu) * 1000,
        (time.thread_time() - mine) * 1000,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=300)
    args = ap.parse_args()

    import boto3

    import facedesk
    from facedesk.serve.app import ServeConfig
    from facedesk.serve.auth import Credentials
    from facedesk.serve.server import start_in_thread

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "serve.db"
        fill(db, args.faces, thumbnails=False)
        local = facedesk.client(database=str(db))
        creds = Credentials("FDSKBENCHKEY00000000", "bench-secret")
        with start_in_thread(local, ServeConfig(credentials=creds)) as running:
            remote = boto3.client(
                "rekognition",
                endpoint_url=running.url,
                region_name="us-east-1",
                aws_access_key_id=creds.access_key_id,
                aws_secret_access_key=creds.secret_access_key,
            )
            face_id = local.list_faces(CollectionId=COLLECTION, MaxResults=1)["Faces"][0]["FaceId"]
            cases: dict[str, dict[str, Any]] = {
                "ListFaces MaxResults=100": {"CollectionId": COLLECTION, "MaxResults": 100},
                "ListFaces MaxResults=1000": {"CollectionId": COLLECTION, "MaxResults": 1000},
                # Defaults (threshold 80, MaxFaces 80): one matrix-vector product and top-k.
                "SearchFaces": {"CollectionId": COLLECTION, "FaceId": face_id},
                "SearchFaces MaxFaces=10 FaceMatchThreshold=0": {
                    "CollectionId": COLLECTION,
                    "FaceId": face_id,
                    "MaxFaces": 10,
                    "FaceMatchThreshold": 0,
                },
            }
            print(f"{args.faces} faces, {args.reps} requests per path and case\n", flush=True)
            print(
                "| request | in-process p50 ms | p90 | HTTP p50 ms | p90 | added p50 ms | ratio "
                "| CPU in-process p50 ms | CPU HTTP p50 ms | of which boto3 | server added "
                "| load avg |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|---|---|")
            for name, kwargs in cases.items():
                method = "list_faces" if name.startswith("List") else "search_faces"
                here, there = getattr(local, method), getattr(remote, method)
                for _ in range(10):  # warm both paths (matrix load, connection pool)
                    here(**kwargs)
                    there(**kwargs)
                a: list[tuple[float, float, float]] = []
                b: list[tuple[float, float, float]] = []
                for _ in range(args.reps):
                    a.append(_time(lambda: here(**kwargs)))  # noqa: B023
                    b.append(_time(lambda: there(**kwargs)))  # noqa: B023
                wa, wb = [x[0] for x in a], [x[0] for x in b]
                ca, cb = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
                client = statistics.median(x[2] for x in b)
                pa, pb = statistics.median(wa), statistics.median(wb)
                print(
                    f"| {name} | {pa:.2f} | {_pct(wa, 0.9):.2f} | {pb:.2f} | {_pct(wb, 0.9):.2f} "
                    f"| {pb - pa:.2f} | {pb / pa:.2f}x | {ca:.2f} | {cb:.2f} | {client:.2f} "
                    f"| {cb - client - ca:.2f} "
                    f"| {os.getloadavg()[0]:.1f} |",
                    flush=True,
                )
        local.close()
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
