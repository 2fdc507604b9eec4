"""Thread-CPU cost of the requests bench/serve.py times: in process, or A/B of two servers.

    PYTHONPATH=. python bench/serve_inprocess.py [--faces 10000] [--reps 150] [--database DB]
    PYTHONPATH=. python bench/serve_inprocess.py --serve-ab OTHER_CHECKOUT [--reps 400]
    PYTHONPATH=. python bench/serve_inprocess.py --sigv4 [--reps 300]

CPU time of the calling thread (``time.thread_time``) rather than wall time: on a shared
machine it holds under load, so two checkouts can be compared in the same minutes (run it
with ``PYTHONPATH`` at each, alternately, on one ``--database``). Prints min / p25 / p50
per request and the load average.

``--serve-ab``: two ``facedesk serve`` processes on one database, this checkout's code and
OTHER_CHECKOUT's (e.g. ``git archive BASE | tar -x -C /tmp/base``), asked alternately by
the minimal signed client of bench/serve.py. Per request: the server's CPU summed over all
its threads (``/proc/PID/task/*/schedstat``, nanoseconds: the event loop, the worker, any
helper), the event-loop thread's alone, and the wall time, each as p50 over the requests.

``--sigv4``: the signature check alone, in a tight loop and with a ListFaces(100) between
two checks, as in the server (why the check costs several times its tight-loop time there).
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


def _thread_ns(pid: int) -> dict[int, int]:
    """Nanoseconds on a CPU so far, per thread of ``pid`` (first field of schedstat)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[int(task.name)] = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            continue  # a thread that ended between listing and reading
    return out


def serve_ab(db: Path, other: Path, reps: int) -> None:
    """This checkout's server against ``other``'s, alternately, on one database."""
    import statistics

    from serve import _MinimalClient, _ServeProcess

    from facedesk.serve.auth import Credentials

    creds = Credentials("FDSKBENCHKEY00000000", "bench-secret")
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        servers = {
            "this checkout": _ServeProcess(db, creds, Path(tmp) / "a", pythonpath=here),
            str(other): _ServeProcess(db, creds, Path(tmp) / "b", pythonpath=other),
        }
        clients = {name: _MinimalClient(s.url, creds) for name, s in servers.items()}
        local = __import__("facedesk").client(database=str(db))
        face_id = local.list_faces(CollectionId=COLLECTION, MaxResults=1)["Faces"][0]["FaceId"]
        local.close()
        cases = {
            "ListFaces MaxResults=100": (
                "ListFaces",
                {"CollectionId": COLLECTION, "MaxResults": 100},
            ),
            "SearchFaces": ("SearchFaces", {"CollectionId": COLLECTION, "FaceId": face_id}),
        }
        print(
            "| request | server | server CPU p50 ms | loop thread CPU p50 ms | wall p50 ms "
            "| load avg |"
        )
        print("|---|---|---|---|---|---|")
        try:
            for case, (operation, params) in cases.items():
                samples: dict[str, list[tuple[float, float, float]]] = {n: [] for n in servers}
                for i in range(reps + 20):
                    for name, server in servers.items():
                        pid = server.pid
                        before = _thread_ns(pid)
                        start = time.perf_counter()
                        clients[name].call(operation, params)
                        wall = time.perf_counter() - start
                        after = _thread_ns(pid)
                        spent = {t: after[t] - before.get(t, 0) for t in after}
                        if i >= 20:  # the first requests warm caches and the search matrix
                            samples[name].append(
                                (sum(spent.values()) / 1e6, spent.get(pid, 0) / 1e6, wall * 1000)
                            )
                for name, got in samples.items():
                    cpu, loop, wall = (statistics.median(x[k] for x in got) for k in range(3))
                    print(
                        f"| {case} | {name} | {cpu:.3f} | {loop:.3f} | {wall:.2f} "
                        f"| {os.getloadavg()[0]:.1f} |",
                        flush=True,
                    )
        finally:
            for name in servers:
                clients[name].close()
                servers[name].__exit__(None, None, None)


def sigv4_cold(db: Path, reps: int) -> None:
    """The SigV4 check alone: in a tight loop, and after a ListFaces(100) each time (as in
    the server, where the operation's code runs between two checks and evicts the caches
    the check's code and data sit in). Thread CPU p50 of ``auth.verify``."""
    import statistics
    from datetime import UTC, datetime

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    import facedesk
    from facedesk.serve.auth import Credentials, verify

    creds = Credentials("FDSKBENCHKEY00000000", "bench-secret")
    url, body = "http://127.0.0.1:8085/", b'{"CollectionId": "scale", "MaxResults": 100}'
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={
            "X-Amz-Target": "RekognitionService.ListFaces",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(
        BotoCredentials(creds.access_key_id, creds.secret_access_key), "rekognition", "us-east-1"
    ).add_auth(request)
    headers = [*request.headers.items(), ("host", "127.0.0.1:8085")]
    client = facedesk.client(database=str(db))
    now = datetime.now(UTC)

    def run(between: bool) -> float:
        samples = []
        for _ in range(reps + 20):
            if between:
                client.list_faces(CollectionId=COLLECTION, MaxResults=100)
            start = time.thread_time()
            verify(creds, "POST", url, headers, body, now=now)
            samples.append(time.thread_time() - start)
        return statistics.median(samples[20:]) * 1000

    print("| SigV4 check (auth.verify) | thread CPU p50 ms | load avg |")
    print("|---|---|---|")
    for _ in range(2):
        for name, between in (("tight loop", False), ("after a ListFaces(100) each", True)):
            print(f"| {name} | {run(between):.3f} | {os.getloadavg()[0]:.1f} |", flush=True)
    client.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=150)
    ap.add_argument("--database", help="reuse this database (filled on first use)")
    ap.add_argument("--serve-ab", type=Path, metavar="CHECKOUT", help="A/B two servers' code")
    ap.add_argument("--sigv4", action="store_true", help="the SigV4 check, warm and cold")
    args = ap.parse_args()
    if args.sigv4:
        db = Path(args.database or Path(tempfile.gettempdir()) / "serve-ab.db")
        if not db.exists():
            fill(db, args.faces, thumbnails=False)
        sigv4_cold(db, args.reps)
        return
    if args.serve_ab:
        db = Path(args.database or Path(tempfile.gettempdir()) / "serve-ab.db")
        if not db.exists():
            fill(db, args.faces, thumbnails=False)
        serve_ab(db, args.serve_ab.resolve(), args.reps)
        return

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
