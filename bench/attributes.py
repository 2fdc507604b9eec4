"""Cost of DetectFaces Attributes=["ALL"] over DEFAULT, per face.

DEFAULT here = what every request pays: HOG detection + 68 landmarks (the engine's pose
solve is ~0.04 ms and left out). ALL adds ``facedesk.engine.attributes.estimate``.

    /work/venv/bin/python bench/attributes.py [--repeat 5] [--write bench/ATTRIBUTES_RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from facedesk.core.types import PixelBox, Pose
from facedesk.engine import attr_models, attributes

TESTDATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "testdata" / "real"
PHOTOS = [
    ("face_recognition/obama.jpg", 1),
    ("face_recognition/biden.jpg", 1),
    ("face_recognition/obama_and_biden.jpg", 1),
    ("face_recognition/two_people.jpg", 1),
    ("skimage/astronaut.png", 1),
    ("dlib/bald_guys.jpg", 1),
    ("dlib/2008_007676.jpg", 1),
    ("visp/solvay_conference_1927.png", 2),
]
ALL = frozenset(attributes.SUPPORTED | attributes.NEVER_REPORTED)


CPU: list[float] = []  # process CPU ms of the last _ms call (median), robust to a busy machine
BEST: list[float] = []  # fastest wall ms of the last _ms call


def _ms(fn: Callable[[], Any], repeat: int) -> float:
    times, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
        cpu.append((time.process_time() - start_cpu) * 1000.0)
    CPU[:] = [statistics.median(cpu)]
    BEST[:] = [min(times)]
    return statistics.median(times)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()

    import cv2
    import dlib
    import face_recognition_models
    import onnxruntime

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    start = time.perf_counter()
    attr_models.warm_up()
    load_ms = (time.perf_counter() - start) * 1000.0

    lines: list[str] = []
    all_ms: list[float] = []
    all_cpu: list[float] = []
    all_best: list[float] = []
    default_ms: list[float] = []
    parts: dict[str, list[float]] = {"age+gender (sp5, 2 chips, ORT)": [], "emotion": [],
                                     "mesh presence": []}  # fmt: skip
    faces: list[tuple[np.ndarray, np.ndarray, PixelBox]] = []
    for photo, upsample in PHOTOS:
        rgb = np.asarray(Image.open(TESTDATA / photo).convert("RGB"))
        rects = detector(rgb, upsample)
        if not rects:
            continue
        detect = _ms(lambda rgb=rgb, up=upsample: detector(rgb, up), max(1, args.repeat // 2))
        shapes_ms = 0.0
        for rect in rects:
            shapes_ms += _ms(lambda rgb=rgb, rect=rect: predictor(rgb, rect), args.repeat)
            parts_ = predictor(rgb, rect).parts()
            shape = np.array([(p.x, p.y) for p in parts_], dtype=np.float64)
            box = PixelBox(rect.left(), rect.top(), rect.right() + 1, rect.bottom() + 1)
            faces.append((rgb, shape, box))
            all_ms.append(
                _ms(
                    lambda rgb=rgb, shape=shape, box=box: attributes.estimate(
                        rgb, shape, box, Pose(0.0, 0.0, 0.0), ALL
                    ),
                    args.repeat,
                )
            )
            all_cpu.append(CPU[0])
            all_best.append(BEST[0])
            parts["age+gender (sp5, 2 chips, ORT)"].append(
                _ms(lambda rgb=rgb, box=box: attr_models.age_gender(rgb, box), args.repeat)
            )
            parts["emotion"].append(
                _ms(
                    lambda rgb=rgb, box=box: attr_models.emotion_probabilities(rgb, box),
                    args.repeat,
                )
            )
            parts["mesh presence"].append(
                _ms(lambda rgb=rgb, box=box: attr_models.mesh_presence(rgb, box), args.repeat)
            )
        per_face_default = (detect + shapes_ms) / len(rects)
        default_ms.append(per_face_default)
        n = len(rects)
        lines.append(
            f"| {Path(photo).name} | {rgb.shape[1]}x{rgb.shape[0]} | up{upsample} | {n} | "
            f"{detect:.0f} | {per_face_default:.1f} | {statistics.median(all_ms[-n:]):.1f} | "
            f"{statistics.median(all_best[-n:]):.1f} | {statistics.median(all_cpu[-n:]):.1f} |"
        )

    # Two threads over the same faces: results must not interfere and throughput should scale.
    def run_all(items: list[tuple[np.ndarray, np.ndarray, PixelBox]]) -> None:
        for rgb, shape, box in items:
            attributes.estimate(rgb, shape, box, Pose(0.0, 0.0, 0.0), ALL)

    serial = _ms(lambda: run_all(faces), 3)

    def threaded() -> None:
        half = len(faces) // 2
        workers = [
            threading.Thread(target=run_all, args=(faces[:half],)),
            threading.Thread(target=run_all, args=(faces[half:],)),
        ]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    two_threads = _ms(threaded, 3)

    load = os.getloadavg()
    head = subprocess.run(
        ["git", "-C", str(Path(__file__).resolve().parents[1]), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    report = [
        '# Attributes=["ALL"] cost per face',
        "",
        f"Command: `/work/venv/bin/python bench/attributes.py --repeat {args.repeat}"
        + (f" --write {args.write}" if args.write else "")
        + f"` (median of {args.repeat} runs per face)",
        "",
        f"Machine: {_cpu()}, {os.cpu_count()} logical CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; load average at the end "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (other jobs share this machine: figures are "
        "upper bounds).",
        f"Versions: dlib {dlib.__version__}, opencv {cv2.__version__}, onnxruntime "
        f"{onnxruntime.__version__}, numpy {np.__version__}; repo HEAD {head or 'n/a'}.",
        "",
        f"Model load (all four networks + 5-pt predictor, once per process): {load_ms:.0f} ms.",
        "",
        "| photo | size | HOG | faces | HOG ms (image) | DEFAULT ms/face (HOG share + 68 pts) "
        "| ALL extra ms/face (median wall) | (fastest wall) | (median CPU) |",
        "|---|---|---|---|---|---|---|---|---|",
        *lines,
        "",
        f"**ALL over DEFAULT, per face: median {statistics.median(all_ms):.1f} ms, "
        f"p90 {float(np.percentile(all_ms, 90)):.1f} ms, max {max(all_ms):.1f} ms "
        f"over {len(all_ms)} faces** (target <= +30 ms); fastest run per face: median "
        f"{statistics.median(all_best):.1f} ms; process CPU per face: median "
        f"{statistics.median(all_cpu):.1f} ms, p90 {float(np.percentile(all_cpu, 90)):.1f} ms.",
        "",
        "Parts, median ms/face: "
        + ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in parts.items())
        + "; the rest is crops, EAR/MAR and shaping.",
        "",
        f"All {len(faces)} faces, one thread: {serial:.0f} ms; two threads: {two_threads:.0f} ms "
        f"(speed-up {serial / two_threads:.2f}x).",
    ]
    text = "\n".join(report) + "\n"
    print(text)
    if args.write:
        args.write.write_text(text)


if __name__ == "__main__":
    main()
