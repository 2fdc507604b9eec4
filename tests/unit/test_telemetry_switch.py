"""``import facedesk`` turns onnxruntime's telemetry off before onnxruntime can load.

In a fresh interpreter whose environment has no switch (this test process's has one:
it imported facedesk), and in an analysis process spawned the way the pipeline does it.
The effect itself (no DNS query, no ~/.cache/Microsoft) is checked under strace in
tests/reliability/test_privacy_syscalls.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SWITCHES = ("ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED")

CHILD = """
import os, sys
assert "onnxruntime" not in sys.modules
import facedesk
assert "onnxruntime" not in sys.modules  # the switch is in place before it can load
print("parent", os.environ["ORT_DISABLE_TELEMETRY"], os.environ["ORT_TELEMETRY_DISABLED"])

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from facedesk.service import analysis_pool

if __name__ == "__main__":
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                             initializer=analysis_pool._process_init,
                             initargs=("hog", False, os.getpid())) as pool:
        print("worker", pool.submit(os.getenv, "ORT_DISABLE_TELEMETRY").result(),
              pool.submit(os.getenv, "ORT_TELEMETRY_DISABLED").result())
"""


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    env["PYTHONPATH"] = str(REPO)
    return env


def test_import_facedesk_sets_the_switches_for_itself_and_its_workers(tmp_path: Path) -> None:
    script = tmp_path / "entry.py"
    script.write_text(textwrap.dedent(CHILD))
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_clean_env(),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "parent 1 1" in done.stdout
    assert "worker 1 1" in done.stdout


def test_an_explicit_choice_in_the_environment_is_kept() -> None:
    env = {**_clean_env(), "ORT_DISABLE_TELEMETRY": "1", "ORT_TELEMETRY_DISABLED": "true"}
    code = "import os, facedesk; print(os.environ['ORT_TELEMETRY_DISABLED'])"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.stdout.strip() == "true"
