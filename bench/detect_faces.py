"""DetectFaces on 2-megapixel photos, warm, FaceModelVersion 1.0 (HOG) vs 7.0 (CNN).

    PYTHONPATH=. python bench/detect_faces.py [--repeats 5]

The photos: the testdata's obama_and_biden (2000x1428) and bald_guys (1986x1545) as they
are, and solvay (1280x926) upscaled to 1920x1389. Each is sent as JPEG bytes through the
client (decode, detection, landmarks, pose, quality; no descriptors), after one warm-up
call per version. Prints medians, the ratio measured in the same run, and the load.

Wall time on a shared machine is mostly waiting for a core, so each call's CPU time
(``time.process_time``, this process, every thread) is printed too: the analysis runs on
one thread (OpenMP and onnxruntime are held to one), so on an idle core its wall time is
about its CPU time. The target (<= 0.3 s warm for a 2 Mpx photo) is checked on the 7.0
CPU column when the machine is busy. Under heavy load CPU time is inflated too (caches and
cores are shared), so the run also times one bare libfacedetection pass on a 960x540
picture (the pass the issue measured at 81 ms on a quiet machine) and prints each 7.0
call in units of that pass: a load-independent cost, and x 81 ms an estimate for a quiet
machine.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

import facedesk

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


def photos() -> dict[str, bytes]:
    out = {}
    for rel in ("real/face_recognition/obama_and_biden.jpg", "real/dlib/bald_guys.jpg"):
        out[Path(rel).name] = (TESTDATA / rel).read_bytes()
    im = Image.open(TESTDATA / "real/visp/solvay_conference_1927.png").convert("RGB")
    im = im.resize((1920, round(1920 * im.height / im.width)), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=90)
    out["solvay_1920.jpg"] = buf.getvalue()
    return out


def cnn_pass_cpu_ms(repeats: int) -> float:
    """CPU ms of one bare libfacedetection pass on a 960x540 picture (median)."""
    import numpy as np

    from facedesk.engine.cnn_detect import raw_detect

    im = Image.open(TESTDATA / "real/face_recognition/obama_and_biden.jpg").convert("RGB")
    rgb = np.ascontiguousarray(np.asarray(im.resize((960, 540))), dtype=np.uint8)
    raw_detect(rgb, 1.0)
    cpus = []
    for _ in range(max(3, repeats)):
        p = time.process_time()
        raw_detect(rgb, 1.0)
        cpus.append(time.process_time() - p)
    return statistics.median(cpus) * 1000


QUIET_PASS_MS = 81.0  # the measurement of that pass on a quiet machine


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    data = photos()
    print(f"load before {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        clients = {
            v: facedesk.client(database=str(Path(tmp) / f"{v}.db"), face_model_version=v)
            for v in ("1.0", "7.0")
        }
        for c in clients.values():
            c.detect_faces(Image={"Bytes": next(iter(data.values()))})  # models loaded
        unit = cnn_pass_cpu_ms(args.repeats)
        print(f"one bare CNN pass at 960x540: {unit:.0f} ms CPU (quiet machine: 81 ms)")
        print(
            f"{'photo':22s} {'1.0 ms':>8s} {'7.0 ms':>8s} {'x':>5s} "
            f"{'1.0 cpu':>8s} {'7.0 cpu':>8s} {'passes':>6s} {'quiet est':>9s}  faces 1.0/7.0"
        )
        for name, blob in data.items():
            ms: dict[str, float] = {}
            cpu: dict[str, float] = {}
            faces: dict[str, int] = {}
            for v, c in clients.items():
                times, cpus = [], []
                for _ in range(args.repeats):
                    t, p = time.perf_counter(), time.process_time()
                    r = c.detect_faces(Image={"Bytes": blob})
                    times.append(time.perf_counter() - t)
                    cpus.append(time.process_time() - p)
                ms[v] = statistics.median(times) * 1000
                cpu[v] = statistics.median(cpus) * 1000
                faces[v] = len(r["FaceDetails"])
            ratio = ms["1.0"] / ms["7.0"]
            print(
                f"{name:22s} {ms['1.0']:8.0f} {ms['7.0']:8.0f} {ratio:5.1f} "
                f"{cpu['1.0']:8.0f} {cpu['7.0']:8.0f} {cpu['7.0'] / unit:6.1f} "
                f"{cpu['7.0'] / unit * QUIET_PASS_MS:7.0f}ms  {faces['1.0']}/{faces['7.0']}"
            )
        for c in clients.values():
            c.close()
    print(f"load after {os.getloadavg()}")


if __name__ == "__main__":
    main()
