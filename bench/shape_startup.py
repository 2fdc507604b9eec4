"""What the compact shape predictors do to an analysis process's start-up (issue 21).

    PYTHONPATH=. python bench/shape_startup.py [--rounds N]

Each round starts two fresh Python processes, alternately, that each load both shape
predictors the way an analysis process does before its first image
(``dlib_models.prepare_worker_process`` loads sp68 and sp5 with the detector and the
descriptor network): once dlib's own (``dlib.shape_predictor`` on the ``.dat`` files: what
facedesk did before) and once facedesk's (``ShapePredictor``: the compact ``.npz`` from
the cache, as a dev install reads it; the bundle reads the same file shipped). It also
times one face's landmarks in each (the first call, then the median of 20), on the
self-test photo. Prints medians, the ratio compact/dlib and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import io, json, sys, time
t0 = time.perf_counter()
import numpy as np
from PIL import Image
from facedesk.engine import dlib_models
from facedesk.engine.shape_predict import Rect
from facedesk.selftest import photo_bytes
mode = sys.argv[1]
t1 = time.perf_counter()
if mode == "dlib":
    sp68, sp5 = dlib_models.dlib_predictor("sp68"), dlib_models.dlib_predictor("sp5")
else:
    sp68, sp5 = dlib_models.ShapePredictor("sp68"), dlib_models.ShapePredictor("sp5")
t2 = time.perf_counter()
rgb = np.asarray(Image.open(io.BytesIO(photo_bytes())).convert("RGB"))
rect = Rect(180, 70, 280, 170)
t3 = time.perf_counter()
sp68(rgb, rect); sp5(rgb, rect)
first = time.perf_counter() - t3
times = []
for _ in range(20):
    t = time.perf_counter(); sp68(rgb, rect); sp5(rgb, rect); times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"load": t2 - t1, "first_face": first, "face": times[10], "imports": t1 - t0}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("load average before:", os.getloadavg())
    results: dict[str, list[dict[str, float]]] = {"dlib": [], "compact": []}
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, "-c", CHILD, "compact"], check=True, env=env)  # cache
    for _ in range(args.rounds):
        for mode in ("dlib", "compact"):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, mode],
                check=True,
                env=env,
                capture_output=True,
                text=True,
            )
            results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for key in ("load", "first_face", "face"):
        med = {m: statistics.median(r[key] for r in rs) for m, rs in results.items()}
        print(
            f"{key}: dlib {1000 * med['dlib']:.1f} ms, compact {1000 * med['compact']:.1f} ms, "
            f"ratio compact/dlib {med['compact'] / med['dlib']:.2f}"
        )
    print("load average after:", os.getloadavg())


if __name__ == "__main__":
    main()
