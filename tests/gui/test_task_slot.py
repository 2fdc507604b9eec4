"""TaskSlot: starting a task cancels the one before; only the latest result arrives."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QThreadPool

from facedesk.core.progress import CancelToken
from facedesk.qt.workers.runner import TaskRunner
from facedesk.qt.workers.task_slot import TaskSlot


def test_the_latest_task_wins_and_the_others_are_cancelled(qtbot: Any) -> None:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    slot = TaskSlot(pool)
    release = threading.Event()
    ran: list[str] = []
    results: list[str] = []
    finished: list[str] = []

    def work(name: str, token: CancelToken) -> str:
        ran.append(name)
        if name == "first":
            release.wait(10)  # keeps the pool's one thread busy while the others queue
            ran.append(f"first saw cancelled={token.cancelled}")
        return name

    def start(name: str) -> TaskRunner:
        token = CancelToken()
        runner = TaskRunner(work, name, token, cancel=token)
        runner.signals.finished.connect(lambda: finished.append(name))
        return slot.start(runner, done=results.append)

    first = start("first")
    qtbot.waitUntil(lambda: ran == ["first"], timeout=5_000)  # running, not queued
    second = start("second")  # queued behind the first: taken off the pool
    assert first.token.cancelled and slot.active
    start("third")
    assert second.token.cancelled
    assert finished == ["second"]  # never ran, finished at once
    release.set()
    qtbot.waitUntil(lambda: slot.running == 0, timeout=10_000)
    assert ran == ["first", "first saw cancelled=True", "third"]
    assert results == ["third"]  # the first's result was dropped
    assert sorted(finished) == ["first", "second", "third"]
    assert not slot.active


def test_cancel_drops_the_result_and_errors(qtbot: Any) -> None:
    pool = QThreadPool()
    slot = TaskSlot(pool)
    go = threading.Event()
    got: list[Any] = []

    def fail() -> None:
        go.wait(10)
        raise ValueError("too late to matter")

    runner = slot.start(TaskRunner(fail), done=got.append, failed=got.append)
    slot.cancel()
    assert runner.token.cancelled and not slot.active
    go.set()
    qtbot.waitUntil(lambda: slot.running == 0, timeout=10_000)
    qtbot.wait(50)  # any queued signal would be delivered by now
    assert got == []


def test_progress_of_a_cancelled_stream_stops(qtbot: Any) -> None:
    pool = QThreadPool()
    slot = TaskSlot(pool)
    batches: list[list[int]] = []
    done: list[Any] = []
    token = CancelToken()

    def stream(token: CancelToken) -> Any:
        i = 0
        while not token.cancelled:
            yield i
            i += 1
            if i == 10_000_000:
                return "never"
        return "stopped"

    slot.start(
        TaskRunner(stream, token, cancel=token, progress_interval=0.01),
        done=done.append,
        progress=batches.append,
    )
    qtbot.waitUntil(lambda: len(batches) >= 2, timeout=10_000)
    slot.cancel()
    seen = len(batches)
    qtbot.waitUntil(lambda: slot.running == 0, timeout=10_000)
    qtbot.wait(50)
    assert len(batches) == seen and done == []
    assert [x for b in batches for x in b] == list(range(sum(map(len, batches))))
