"""Indexing throughput: face_recognition's naive loop vs ``facedesk index``, same photos.

    python bench/index.py [--repeats 2] [--large 6] [--skip-large] [--versions 1.0,7.0]

Naive loop (face_recognition's README, one thread): ``load_image_file``,
``face_locations(img, number_of_times_to_upsample=1)``, ``face_encodings(img,
known_face_locations=locs)`` per image (the locations are passed, so the naive loop detects
once, its fastest form). facedesk: the real batch command, ``facedesk.cli.main(["index",
...])`` in this process, into a fresh database each run (nothing skipped), thumbnails on,
as the command does. The two alternate, ``--repeats`` times per set. ``--versions`` runs
facedesk once per FaceModelVersion (the collection is created on it first), so the ratios
of both engines come from the same run. ``--trees OLD,.`` runs ``facedesk index`` of each
source tree as a child process instead (before and after a change, in the same run).

Sets: (1) the decodable real photos of ../shared/testdata/real; (2) "12 Mpx": the first
``--large`` real photos with faces, upscaled (Lanczos, aspect kept, centre crop) to
4000x3000 and saved as quality-90 JPEGs in a temporary folder at run time (no download).

face_recognition is not a facedesk dependency: ``pip install --no-deps face_recognition``.

Besides wall time, each run's CPU seconds are printed (``os.times()``: this process plus
the analysis processes the pipeline started and joined). On the shared 2-core machine a
run spends most of its wall time waiting for a core (the same run took 36-75 s), so the
CPU ratio is the steadier one; facedesk's two processes make its quiet-machine wall ratio
higher than its CPU ratio, not lower.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"
LARGE_SIZE = (4000, 3000)
LARGE_PICKS = [
    "real/face_recognition/obama.jpg",
    "real/face_recognition/two_people.jpg",
    "real/face_recognition/obama_and_biden.jpg",
    "real/dlib/bald_guys.jpg",
    "real/dlib/2007_007763.jpg",
    "real/visp/solvay_conference_1927.png",
    "real/dlib/2009_004587.jpg",
    "real/face_recognition/biden.jpg",
]


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} cores, {cpu}, {system}, Python {platform.python_version()}"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def real_photos() -> list[Path]:
    manifest = json.loads((TESTDATA / "manifest.json").read_text())
    return [TESTDATA / e["path"] for e in manifest["files"] if e["kind"] == "real"]


def make_large(folder: Path, count: int) -> list[Path]:
    out = []
    for rel in LARGE_PICKS[:count]:
        im = Image.open(TESTDATA / rel).convert("RGB")
        tw, th = LARGE_SIZE
        k = max(tw / im.width, th / im.height)
        big = im.resize((round(im.width * k), round(im.height * k)), Image.Resampling.LANCZOS)
        left, top = (big.width - tw) // 2, (big.height - th) // 2
        big = big.crop((left, top, left + tw, top + th))
        path = folder / (Path(rel).stem + "_12mp.jpg")
        big.save(path, format="JPEG", quality=90)
        out.append(path)
    return out


def naive(paths: list[Path]) -> dict[str, int]:
    import face_recognition

    counts = {}
    for p in paths:
        img = face_recognition.load_image_file(str(p))
        locs = face_recognition.face_locations(img, number_of_times_to_upsample=1)
        face_recognition.face_encodings(img, known_face_locations=locs)
        counts[str(p)] = len(locs)
    return counts


def facedesk_index(folder: Path, db: Path, version: str | None = None) -> dict[str, int]:
    import facedesk
    from facedesk import cli

    if version is not None:
        with facedesk.client(database=str(db), face_model_version=version) as c:
            c.create_collection(CollectionId="bench")
    out = io.StringIO()
    argv = ["--database", str(db), "index", "--collection-id", "bench"]
    argv += ["--create-collection", "--no-progress", str(folder)]
    code = cli.main(argv, out=out)
    counts = {}
    for line in out.getvalue().splitlines():
        r = json.loads(line)
        counts[r["path"]] = int(r.get("indexed", 0)) + int(r.get("unindexed", 0))
        if r["status"] == "error":
            print(f"  facedesk error: {r}", file=sys.stderr)
    if code not in (0, 1):
        raise SystemExit(f"facedesk index exited {code}")
    return counts


def facedesk_tree(tree: Path, folder: Path, db: Path) -> dict[str, int]:
    """``facedesk index`` of another source tree (e.g. the code before a change, exported
    with ``git archive``), in a child process so the two trees' imports do not mix; its
    CPU is counted (children) when it is waited for."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [sys.executable, "-m", "facedesk", "--database", str(db), "index"]
    argv += ["--collection-id", "bench", "--create-collection", "--no-progress", str(folder)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"facedesk index ({tree}) exited {done.returncode}: {done.stderr[-2000:]}")
    counts = {}
    for line in done.stdout.splitlines():
        r = json.loads(line)
        counts[r["path"]] = int(r.get("indexed", 0)) + int(r.get("unindexed", 0))
    return counts


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(fn: Callable[[], dict[str, int]]) -> tuple[float, float, dict[str, int]]:
    """(wall s, CPU s, counts)."""
    t0, c0 = time.perf_counter(), cpu_seconds()
    counts = fn()
    return time.perf_counter() - t0, cpu_seconds() - c0, counts


def run_set(
    name: str,
    folder: Path,
    paths: list[Path],
    repeats: int,
    work: Path,
    versions: list[str | None],
) -> None:
    print(f"\n## {name}: {len(paths)} photos in {folder}")
    n = len(paths)
    naive_t: list[float] = []
    naive_c: list[float] = []
    fd_t: dict[str | None, list[float]] = {v: [] for v in versions}
    fd_c: dict[str | None, list[float]] = {v: [] for v in versions}
    naive_counts: dict[str, int] = {}
    fd_counts: dict[str | None, dict[str, int]] = {}
    for rep in range(repeats):
        before = load()
        t, cpu, naive_counts = timed(lambda: naive(paths))
        naive_t.append(t)
        naive_c.append(cpu)
        print(
            f"run {rep + 1} naive    {t:7.2f} s  {n / t:6.2f} img/s  cpu {cpu:7.2f} s  "
            f"(load before {before})"
        )
        for v in versions:
            db = work / f"{name.split()[0]}_{rep}_{v}.db"
            before = load()
            if v is not None and v.startswith("tree:"):
                tree = Path(v[len("tree:") :]).resolve()
                t, cpu, fd_counts[v] = timed(lambda: facedesk_tree(tree, folder, db))  # noqa: B023
            else:
                t, cpu, fd_counts[v] = timed(lambda: facedesk_index(folder, db, v))  # noqa: B023
            fd_t[v].append(t)
            fd_c[v].append(cpu)
            print(
                f"run {rep + 1} facedesk {v or 'default'} {t:7.2f} s  {n / t:6.2f} img/s  "
                f"cpu {cpu:7.2f} s  (load before {before})"
            )
    nm, ncpu = statistics.median(naive_t), statistics.median(naive_c)
    for v in versions:
        fm, fcpu = statistics.median(fd_t[v]), statistics.median(fd_c[v])
        print(
            f"median: naive {n / nm:.2f} img/s, facedesk {v or 'default'} {n / fm:.2f} img/s, "
            f"ratio {nm / fm:.2f}x; cpu naive {ncpu:.1f} s, facedesk {fcpu:.1f} s, "
            f"cpu ratio {ncpu / fcpu:.2f}x (load after {load()})"
        )
    heads = " ".join(f"{v or 'facedesk':>8s}" for v in versions)
    print(f"\n{'photo':48s} {'naive':>5s} {heads}")
    worse: dict[str | None, list[str]] = {v: [] for v in versions}
    for p in paths:
        a = naive_counts.get(str(p), -1)
        row = ""
        for v in versions:
            b = fd_counts[v].get(str(p), -1)
            row += f" {b:8d}"
            if b < a:
                worse[v].append(p.name)
        flag = "   <-- fewer" if any(p.name in w for w in worse.values()) else ""
        print(f"{p.name:48s} {a:5d}{row}{flag}")
    for v in versions:
        ok = n - len(worse[v])
        print(
            f"facedesk {v or 'default'} count >= naive on {ok}/{n} photos ({100.0 * ok / n:.0f} %)"
        )
        if worse[v]:
            print("exceptions: " + ", ".join(worse[v]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--large", type=int, default=6, help="number of 12 Mpx photos")
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--skip-testdata", action="store_true")
    ap.add_argument(
        "--versions", default="", help="FaceModelVersions to run, e.g. 1.0,7.0 (default: default)"
    )
    ap.add_argument(
        "--trees",
        default="",
        help="also run `facedesk index` of these source trees in a child process each, "
        "e.g. the code before a change (git archive REV | tar -x -C DIR) and '.' for this "
        "one, so before and after alternate in the same run",
    )
    args = ap.parse_args()
    versions: list[str | None] = [v for v in args.versions.split(",") if v] or [None]
    trees: list[str | None] = [f"tree:{t}" for t in args.trees.split(",") if t]
    if trees:
        versions = ([] if not args.versions else versions) + trees
    try:
        import face_recognition  # noqa: F401
    except ImportError:
        print(
            "face_recognition is not installed; the naive loop needs it.\n"
            "Install it without its dlib sdist (facedesk's dlib-bin provides dlib):\n"
            "    pip install --no-deps face_recognition",
            file=sys.stderr,
        )
        return 2
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="facedesk-bench-") as tmp:
        work = Path(tmp)
        if not args.skip_testdata:
            # Decodable real photos, linked into one folder so facedesk sees the same set.
            small = work / "testdata"
            small.mkdir()
            paths = []
            for p in real_photos():
                link = small / f"{p.parent.name}__{p.name}"
                link.symlink_to(p)
                paths.append(link)
            run_set("testdata photos", small, sorted(paths), args.repeats, work, versions)
        if not args.skip_large:
            large = work / "large"
            large.mkdir()
            paths = make_large(large, args.large)
            print(
                f"\nmade {len(paths)} photos at {LARGE_SIZE[0]}x{LARGE_SIZE[1]} "
                "(upscaled real photos, JPEG quality 90)"
            )
            run_set("12 Mpx photos", large, sorted(paths), args.repeats, work, versions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
