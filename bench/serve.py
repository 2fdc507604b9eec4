"""What the HTTP path of ``facedesk serve`` adds over the in-process client.

    python bench/serve.py [--faces 10000] [--reps 300] [--server process|thread]

A database of synthetic faces (bench/app_scale.py's ``fill``: random unit embeddings, 5
faces per image) is served on a loopback port by ``facedesk serve``: by default the real
command in its own process, as users run it (``--server thread`` runs uvicorn on a thread
of this process instead, as the tests do; the boto3 client then shares the GIL with the
server, which a deployment never does). Each request is timed twice, alternately, on the
same warm database: through ``facedesk.client()`` (the baseline, measured in the same run)
through an unmodified boto3 client over HTTP (SigV4 signing, JSON 1.1 serialisation,
uvicorn, SigV4 verification, the thread pool or, for ListFaces when nothing else runs, the
event loop, JSON encoding, botocore's parsing), and
through a minimal signed client (botocore's SigV4Auth signs, one keep-alive http.client
connection, ``json.loads`` of the body: no botocore serialiser or model-driven parser), which
separates what the server adds from what boto3 costs its caller. Printed: p50/p90 of each,
the p50 each HTTP path adds (target <= 5 ms), CPU per request on each side, and the load
average, since the machine is shared; the last lines give issue 17's target per request and
path (met / not met), from this run's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from app_scale import COLLECTION, fill


class _MinimalClient:
    """The least a SigV4 client does: sign with botocore's SigV4Auth, POST on one keep-alive
    connection, ``json.loads`` the answer (timestamps stay epoch numbers, blobs base64)."""

    def __init__(self, url: str, creds: Any) -> None:
        import http.client
        from urllib.parse import urlsplit

        from botocore.auth import SigV4Auth
        from botocore.credentials import Credentials

        parts = urlsplit(url)
        self._url = f"{url}/"
        self._conn = http.client.HTTPConnection(parts.hostname or "", parts.port)
        self._signer = SigV4Auth(
            Credentials(creds.access_key_id, creds.secret_access_key), "rekognition", "us-east-1"
        )

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        from botocore.awsrequest import AWSRequest

        body = json.dumps(params).encode()
        request = AWSRequest(
            method="POST",
            url=self._url,
            data=body,
            headers={
                "X-Amz-Target": f"RekognitionService.{operation}",
                "Content-Type": "application/x-amz-json-1.1",
            },
        )
        self._signer.add_auth(request)
        # bytes body: http.client sends head and body in one segment (no Nagle wait)
        self._conn.request("POST", "/", body=body, headers=dict(request.headers.items()))
        response = self._conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{operation}: HTTP {response.status}: {data[:200]!r}")
        result: dict[str, Any] = json.loads(data)
        return result

    def close(self) -> None:
        self._conn.close()


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


class _ServeProcess:
    """``python -m facedesk --database DB serve --port 0`` with the benchmark's key pair, its
    data folder inside the benchmark's temporary folder; stopped (and waited for) on exit."""

    def __init__(self, db: Path, creds: Any, tmp: Path, pythonpath: Path | None = None) -> None:
        env = dict(
            os.environ,
            **({"PYTHONPATH": str(pythonpath)} if pythonpath else {}),
            FACEDESK_ACCESS_KEY_ID=creds.access_key_id,
            FACEDESK_SECRET_ACCESS_KEY=creds.secret_access_key,
            XDG_DATA_HOME=str(tmp / "data"),
            XDG_CACHE_HOME=str(tmp / "cache"),
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "facedesk", "--database", str(db), "serve", "--port", "0"],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            # `-m` puts the working folder first on sys.path: run from the code's own
            cwd=pythonpath,
        )
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if "listening on " in line:
                self.url = line.split("listening on ", 1)[1].strip()
            if "ready" in line:
                break
        else:
            raise RuntimeError(f"facedesk serve exited with {self._proc.wait()}")
        self.pid = self._proc.pid  # `facedesk serve`'s main thread runs the event loop

    def cpu_seconds(self) -> float:
        """User + system CPU of the server process so far (``/proc/PID/stat``)."""
        fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> _ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def _check_same(here: dict[str, Any], boto: dict[str, Any], minimal: dict[str, Any]) -> None:
    """The three paths answer the same request with the same faces (minimal's JSON keeps
    numbers as the wire has them, so only ids and similarities are compared)."""

    def ids(response: dict[str, Any]) -> list[tuple[str, float]]:
        if "Faces" in response:
            return [(f["FaceId"], f["Confidence"]) for f in response["Faces"]]
        return [(m["Face"]["FaceId"], m["Similarity"]) for m in response["FaceMatches"]]

    if not ids(here) == ids(boto) == ids(minimal):
        raise AssertionError("the HTTP paths answered differently from the in-process client")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=10000)
    ap.add_argument("--reps", type=int, default=300)
    ap.add_argument("--server", choices=("process", "thread"), default="process")
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
        if args.server == "thread":
            server: Any = start_in_thread(local, ServeConfig(credentials=creds))
        else:
            server = _ServeProcess(db, creds, Path(tmp))
        print(f"server: {args.server}")
        with server as running:
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
            minimal = _MinimalClient(running.url, creds)
            added: dict[str, tuple[float, float]] = {}
            cpu = getattr(running, "cpu_seconds", lambda: 0.0)  # process mode only
            print(f"{args.faces} faces, {args.reps} requests per path and case\n", flush=True)
            print(
                "| request | in-process p50 ms | p90 | boto3 HTTP p50 ms | p90 | boto3 added p50 "
                "| minimal client HTTP p50 ms | p90 | minimal added p50 | CPU in-process p50 ms "
                "| boto3 CPU p50 ms | minimal client CPU p50 ms | server CPU ms/request "
                "| load avg |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
            for name, kwargs in cases.items():
                operation = "ListFaces" if name.startswith("List") else "SearchFaces"
                method = "list_faces" if name.startswith("List") else "search_faces"
                paths: list[Callable[[], Any]] = [
                    lambda: getattr(local, method)(**kwargs),  # noqa: B023
                    lambda: getattr(remote, method)(**kwargs),  # noqa: B023
                    lambda: minimal.call(operation, kwargs),  # noqa: B023
                ]
                _check_same(paths[0](), paths[1](), paths[2]())
                for _ in range(10):  # warm every path (matrix load, connections)
                    for path in paths:
                        path()
                timed: list[list[tuple[float, float, float]]] = [[], [], []]
                server_cpu = 0.0
                for _ in range(args.reps):
                    for i, path in enumerate(paths):  # alternately: the same machine load
                        before = cpu()
                        timed[i].append(_time(path))
                        if i:
                            server_cpu += cpu() - before
                wall = [[x[0] for x in t] for t in timed]
                p50 = [statistics.median(w) for w in wall]
                added[name] = (p50[1] - p50[0], p50[2] - p50[0])
                p90 = [_pct(w, 0.9) for w in wall]
                cpu_here = statistics.median(x[1] for x in timed[0])
                client_cpu = [statistics.median(x[2] for x in t) for t in timed[1:]]
                if args.server == "thread":  # the server's CPU is this process's minus the client's
                    server = statistics.median(x[1] - x[2] for t in timed[1:] for x in t)
                else:  # /proc's clock ticks are 10 ms: a mean over the run, not a median
                    server = server_cpu * 1000 / (2 * args.reps)
                print(
                    f"| {name} | {p50[0]:.2f} | {p90[0]:.2f} "
                    f"| {p50[1]:.2f} | {p90[1]:.2f} | {p50[1] - p50[0]:.2f} "
                    f"| {p50[2]:.2f} | {p90[2]:.2f} | {p50[2] - p50[0]:.2f} "
                    f"| {cpu_here:.2f} | {client_cpu[0]:.2f} | {client_cpu[1]:.2f} | {server:.2f} "
                    f"| {os.getloadavg()[0]:.1f} |",
                    flush=True,
                )
            minimal.close()
        local.close()
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    _print_targets(added)


# Issue 17's target: "the HTTP path adds <= 5 ms p50 over in-process for ListFaces and
# SearchFaces"; these are the requests it names, at their defaults (100 faces a page).
TARGET_MS = 5.0
TARGET_CASES = ("ListFaces MaxResults=100", "SearchFaces")


def _print_targets(added: dict[str, tuple[float, float]]) -> None:
    """One line per request and HTTP path: the p50 it adds over the in-process client,
    measured in this run, and whether that meets the target (only an idle machine's run
    says so: under load most of the added time is waiting for a core)."""
    print(f"\ntarget: HTTP adds <= {TARGET_MS:g} ms p50 over in-process (same run)")
    for name in TARGET_CASES:
        if name not in added:
            continue
        for path, value in zip(("boto3", "minimal signed client"), added[name], strict=True):
            verdict = "met" if value <= TARGET_MS else "not met"
            print(f"target {name} via {path}: {value:+.2f} ms p50: {verdict}")


if __name__ == "__main__":
    main()
