"""Frozen smoke test: run the built bundle offscreen and fail on anything a user would hit.

``python packaging/smoke_test.py [--dist dist/facedesk] [--installed-python PY]``

1. ``facedesk --self-test`` (frozen): index, search and list the shipped photo; its JSON must
   say ok, frozen, and list every model file.
2. The same self-test in the installed package (``PY -m facedesk.selftest``; default: the
   build venv's Python, i.e. the very libraries that were frozen); the two summaries must be
   equal apart from the ``run`` key (timings, frozen flag).
3. ``facedesk-cli`` (frozen console helper): create a collection, index the photo, list faces;
   then ``facedesk-cli serve`` on a free port answers one SigV4-signed ListCollections,
   refuses a wrong signature and stops on SIGINT, leaving no process.
4. ``facedesk --screenshot out.png --database DB``: the window renders offscreen into a PNG.
   Skipped with a message if this build's app has no screenshot mode.
5. Privacy (Linux, with strace): ``facedesk-cli index`` (analysis processes included) and
   ``detect-faces --attributes ALL`` under ``strace -f`` as a new user (HOME, XDG folders,
   TMPDIR in an empty folder): no DNS query, no connect beyond Unix sockets and loopback,
   no file outside facedesk's folders. Same rules as tests/reliability/test_privacy_syscalls.py.

Every frozen run also fails on a missing module or shared library in its output (Friture's
scripts/smoke_test.py does the same). Timings go to ``--report`` (JSON) for BENCH_RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from smoke_serve import ServeFailure, serve_signed_request  # noqa: E402  (beside this script)

EXE_SUFFIX = ".exe" if os.name == "nt" else ""

# Output that means the bundle is incomplete, whatever the exit code says.
BROKEN = re.compile(
    r"ModuleNotFoundError|No module named|ImportError|cannot open shared object"
    r"|Library not loaded|DLL load failed|Failed to execute script|Could not load the Qt platform"
    r"|could not find or load the Qt platform plugin|model file missing|FileNotFoundError",
    re.IGNORECASE,
)
SELF_TEST_TIMEOUT_S = 300
SCREENSHOT_TIMEOUT_S = 180


class SmokeFailure(RuntimeError):
    pass


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def run(cmd: list[str], env: dict[str, str], timeout: float, check_output: bool = True) -> Ran:
    print("+", " ".join(cmd), flush=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    ran = Ran(done.returncode, done.stdout, done.stderr, time.perf_counter() - start)
    print(f"  exit {ran.returncode} after {ran.seconds:.2f} s", flush=True)
    if check_output:
        match = BROKEN.search(ran.stdout + "\n" + ran.stderr)
        if match:
            raise SmokeFailure(f"{cmd[0]}: broken bundle ({match.group(0)}):\n{ran.stderr[-3000:]}")
    return ran


def require(ran: Ran, what: str) -> None:
    if ran.returncode != 0:
        raise SmokeFailure(
            f"{what} exited {ran.returncode}\n--- stdout\n{ran.stdout[-3000:]}"
            f"\n--- stderr\n{ran.stderr[-3000:]}"
        )


def isolated_env(home: Path) -> dict[str, str]:
    """Offscreen Qt and a throwaway home: the test never touches the user's settings or data."""
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(home),
        USERPROFILE=str(home),
        APPDATA=str(home / "AppData"),
        LOCALAPPDATA=str(home / "AppData" / "Local"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        FACEDESK_DATABASE=str(home / "default.db"),
    )
    # The frozen app must not find the build tree's modules through the environment.
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    return env


def load_summary(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise SmokeFailure(f"{what} wrote no summary to {path}")
    summary: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if summary.get("ok") is not True:
        raise SmokeFailure(f"{what} failed: {summary.get('error')}")
    return summary


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    # Same rule as facedesk.selftest.comparable (not imported: this script runs outside the
    # build venv too, where facedesk may not be importable).
    return {key: value for key, value in summary.items() if key != "run"}


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            out += differences(a.get(key), b.get(key), f"{path}/{key}")
        return out
    return [] if a == b else [f"{path or '/'}: frozen {a!r} != installed {b!r}"]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise SmokeFailure(f"{path} is not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def default_installed_python() -> str:
    venv = REPO / "build" / "venv"
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return str(py) if py.is_file() else sys.executable


def smoke(dist: Path, installed_python: str | None, work: Path) -> dict[str, Any]:
    gui = dist / f"facedesk{EXE_SUFFIX}"
    cli = dist / f"facedesk-cli{EXE_SUFFIX}"
    for exe in (gui, cli):
        if not exe.is_file():
            raise SmokeFailure(f"missing executable {exe}; build first (python packaging/build.py)")
    env = isolated_env(work / "home")
    report: dict[str, Any] = {"bundle": str(dist)}
    # First, while nothing of this bundle has run yet: the cold start.
    report["start"] = measure_start(gui, work)

    # 1. frozen self-test
    frozen_json = work / "frozen.json"
    ran = run([str(gui), "--self-test", "--output", str(frozen_json)], env, SELF_TEST_TIMEOUT_S)
    require(ran, "frozen --self-test")
    frozen = load_summary(frozen_json, "frozen --self-test")
    if frozen["run"]["frozen"] is not True:
        raise SmokeFailure("the bundle's self-test does not report sys.frozen: wrong executable?")
    report["frozen_self_test_wall_s"] = round(ran.seconds, 2)
    report["descriptor_graph"] = check_shipped_graph(gui.parent, work / "home")
    report["frozen_self_test_timings_s"] = frozen["run"]["timings_s"]
    report["frozen_summary"] = frozen
    print(
        f"frozen self-test ok: {len(frozen['model_files'])} model files, "
        f"top similarity {frozen['search_faces_by_image']['TopSimilarity']}"
    )

    # 2. installed self-test, compared
    if installed_python:
        installed_json = work / "installed.json"
        cmd = [installed_python, "-m", "facedesk.selftest", "--output", str(installed_json)]
        ran = run(cmd, env, SELF_TEST_TIMEOUT_S)
        require(ran, "installed self-test")
        installed = load_summary(installed_json, "installed self-test")
        report["installed_self_test_wall_s"] = round(ran.seconds, 2)
        report["installed_self_test_timings_s"] = installed["run"]["timings_s"]
        diff = differences(comparable(frozen), comparable(installed))
        if diff:
            raise SmokeFailure("frozen and installed self-tests differ:\n  " + "\n  ".join(diff))
        print("frozen and installed self-test summaries are identical (apart from 'run')")

    # 3. frozen console helper: the CLI path, and a library for the screenshot
    database = work / "smoke.db"
    photo = work / "astronaut.jpg"
    photo.write_bytes(_selftest_photo(gui.parent))
    base = [str(cli), "--database", str(database)]
    require(run([*base, "create-collection", "--collection-id", "smoke"], env, 120), "cli create")
    ran = run(
        [
            *base,
            "index-faces",
            "--collection-id",
            "smoke",
            "--image-bytes",
            f"fileb://{photo}",
            "--external-image-id",
            photo.name,
        ],
        env,
        SELF_TEST_TIMEOUT_S,
    )
    require(ran, "cli index-faces")
    report["frozen_cli_index_faces_wall_s"] = round(ran.seconds, 2)
    ran = run([*base, "list-faces", "--collection-id", "smoke"], env, 120)
    require(ran, "cli list-faces")
    listed = json.loads(ran.stdout)
    if [f["FaceId"] for f in listed["Faces"]] != frozen["list_faces"]["FaceIds"]:
        raise SmokeFailure(f"cli list-faces returned {listed['Faces']!r}")
    print("frozen facedesk-cli ok: create-collection, index-faces, list-faces")
    report["avif_refused"] = avif_refused(cli, env, work)
    try:
        report["serve"] = serve_signed_request(cli, env, database, BROKEN)
    except ServeFailure as error:
        raise SmokeFailure(str(error)) from None

    # 4. screenshot mode: window shown and rendered offscreen
    shot = work / "out.png"
    cmd = [
        str(gui),
        "--screenshot",
        str(shot),
        "--database",
        str(database),
        "--collection",
        "smoke",
    ]
    ran = run(cmd, env, SCREENSHOT_TIMEOUT_S)
    unknown = re.search(r"unrecognized arguments:.*--screenshot|invalid choice", ran.stderr)
    if ran.returncode != 0 and unknown:
        print(
            "SKIPPED screenshot: this build's app has no --screenshot mode yet "
            f"({unknown.group(0)!r})"
        )
        report["screenshot"] = "skipped: no --screenshot mode"
    else:
        require(ran, "frozen --screenshot")
        if not shot.is_file():
            raise SmokeFailure("--screenshot exited 0 but wrote no file")
        width, height = png_size(shot)
        report["screenshot"] = {"path": str(shot), "width": width, "height": height}
        report["frozen_screenshot_wall_s"] = round(ran.seconds, 2)
        print(f"frozen screenshot ok: {width}x{height}")

    # 5. privacy: no network use and no stray file, seen at the system-call level
    report["privacy"] = privacy(cli, photo, work / "privacy")
    return report


def avif_refused(cli: Path, env: dict[str, str], work: Path) -> str:
    """The bundle leaves Pillow's AVIF plugin out (facedesk.spec): an AVIF photo must still
    get facedesk's clear InvalidImageFormatException, named from its ftyp brand."""
    avif = work / "phone.avif"
    # An ISO-BMFF header with the avif brand, then bytes no decoder accepts.
    avif.write_bytes(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(2000))
    ran = run([str(cli), "detect-faces", "--image-bytes", f"fileb://{avif}"], env, 120)
    if ran.returncode == 0 or "InvalidImageFormatException" not in ran.stderr + ran.stdout:
        raise SmokeFailure(f"an AVIF file was not refused clearly: {ran.stderr[-2000:]}")
    if "image is AVIF" not in ran.stderr + ran.stdout:
        raise SmokeFailure(f"the AVIF refusal does not name the format: {ran.stderr[-2000:]}")
    print("frozen AVIF refusal ok: InvalidImageFormatException names AVIF")
    return "ok"


def privacy(cli: Path, photo: Path, work: Path) -> str:
    """The frozen CLI as a new user under ``strace -f``; raises on network use or stray files."""
    sys.path.insert(0, str(REPO))  # the checks are shared with the test suite (stdlib only)
    from tests.support import syscalls

    reason = "not Linux" if not sys.platform.startswith("linux") else syscalls.strace_unavailable()
    if reason:
        print(f"SKIPPED privacy check: {reason}")
        return f"skipped: {reason}"
    home, photos = work / "home", work / "photos"
    for folder in (home, home / "tmp", home / "run", photos):
        folder.mkdir(parents=True, mode=0o700)
    (photos / photo.name).write_bytes(photo.read_bytes())
    before = syscalls.snapshot(home)
    env = syscalls.clean_environment(home)
    problems: list[str] = []
    for name, args in (
        ("index", ["index", str(photos), "--collection-id", "p", "--create-collection",
                   "--no-progress"]),
        ("detect", ["detect-faces", "--attributes", "ALL", "--image-bytes", f"fileb://{photo}"]),
    ):  # fmt: skip
        log = work / f"strace-{name}.log"
        require(run(syscalls.strace_command(log, [str(cli), *args]), env, 300), f"traced {name}")
        problems += syscalls.network_violations(log.read_text(errors="replace"))
    allowed = [Path(".local/share/facedesk"), Path(".cache/facedesk")]
    problems += [f"file {p}" for p in syscalls.outside(syscalls.snapshot(home) - before, allowed)]
    if problems:
        raise SmokeFailure("the bundle is not private:\n  " + "\n  ".join(problems[:20]))
    print("frozen privacy ok: no network use, nothing outside facedesk's folders")
    return "ok"


def check_shipped_graph(bundle: Path, home: Path) -> str:
    """The descriptor graph was converted at build time: the bundle ships it and the
    self-test, run in a new home, used it instead of converting and caching its own."""
    shipped = [p for p in bundle.rglob("dlib-resnet.onnx") if p.parent.name == "models"]
    if not shipped:
        raise SmokeFailure("the bundle ships no descriptor graph (facedesk/engine/models)")
    cached = list(home.rglob("dlib-resnet-*.onnx"))
    if cached:
        raise SmokeFailure(f"the frozen app converted the descriptor graph itself: {cached[0]}")
    return str(shipped[0])


SHOWN = re.compile(r"facedesk: window shown at ([0-9.]+)")


def measure_start(gui: Path, work: Path, runs: int = 3) -> dict[str, Any]:
    """Seconds from exec to the window shown, and the process's CPU seconds.

    "Cold" is the first start of this bundle in a new, empty home: no settings, no
    database (so the start creates and migrates one), no caches, nothing of facedesk's
    own run before. The operating system's page cache is not dropped (that needs
    privileges CI may lack), so files the build or unpacking wrote may still be cached.
    The later runs reuse that home (warm). The app runs in screenshot mode, which prints
    the wall-clock time of the first event-loop turn after show() ("window shown"); the
    whole run (grab, PNG, exit) is reported too, as an upper bound. CPU seconds (user +
    sys of the whole run) do not grow with other jobs' load the way wall time does.
    """
    home = work / "start-home"
    env = isolated_env(home)
    shown: list[float] = []
    whole: list[float] = []
    cpu: list[float] = []
    for i in range(runs):
        shot = work / f"start-{i}.png"
        cmd = [str(gui), "--screenshot", str(shot), "--database", str(home / "library.db")]
        before = _children_cpu_s()
        started = time.time()
        ran = run(cmd, env, SCREENSHOT_TIMEOUT_S)
        require(ran, "frozen start (screenshot of an empty library)")
        cpu.append(round(_children_cpu_s() - before, 2))
        match = SHOWN.search(ran.stderr)
        if not shot.is_file() or match is None:
            raise SmokeFailure(
                f"start run wrote no screenshot or no 'window shown' line:\n{ran.stderr}"
            )
        shown.append(round(float(match.group(1)) - started, 2))
        whole.append(round(ran.seconds, 2))
    figures: dict[str, Any] = {
        "cold_start_to_window_s": shown[0],
        "warm_start_to_window_s": shown[1:],
        "cold_whole_run_s": whole[0],
        "warm_whole_run_s": whole[1:],
        "cpu_s": cpu,
        "loadavg": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
    }
    print(
        f"start to window shown: cold {shown[0]} s, warm {shown[1:]} s "
        f"(whole runs {whole} s, CPU {cpu} s, load {figures['loadavg']})"
    )
    return figures


def _children_cpu_s() -> float:
    try:
        import resource
    except ImportError:  # Windows: no getrusage; CPU figures read 0
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(usage.ru_utime + usage.ru_stime)


def _selftest_photo(bundle: Path) -> bytes:
    # The copy inside the bundle: proves the data file was collected where the code looks.
    for path in bundle.rglob("astronaut.jpg"):
        if path.parent.name == "selftest":
            return path.read_bytes()
    raise SmokeFailure("the self-test photo is not in the bundle")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist" / "facedesk")
    parser.add_argument(
        "--installed-python",
        default=None,
        help="Python with facedesk installed (default: build venv's)",
    )
    parser.add_argument(
        "--no-compare", action="store_true", help="skip the installed self-test and the comparison"
    )
    parser.add_argument("--report", type=Path, help="write timings and results as JSON here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    installed = None if args.no_compare else (args.installed_python or default_installed_python())
    with tempfile.TemporaryDirectory(prefix="facedesk-smoke-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        try:
            report = smoke(args.dist.resolve(), installed, work)
        except (SmokeFailure, subprocess.TimeoutExpired) as error:
            print(f"SMOKE TEST FAILED: {error}", file=sys.stderr)
            return 1
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
