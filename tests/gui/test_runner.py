"""The generic TaskRunner: progress batches, results, errors, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from facedesk.core.errors import InvalidParameterException
from facedesk.core.progress import CancelToken
from facedesk.qt.workers.runner import ErrorInfo, TaskRunner


def counting(n: int, token: CancelToken) -> Iterator[int]:
    for i in range(n):
        if token.cancelled:
            return -1
        yield i
    return n


def test_generator_items_all_arrive_in_order_then_result(qtbot: Any) -> None:
    token = CancelToken()
    runner = TaskRunner(counting, 2000, token, cancel=token)
    seen: list[int] = []
    batches: list[int] = []

    def on_progress(items: list[int]) -> None:
        seen.extend(items)
        batches.append(len(items))

    results: list[Any] = []
    runner.signals.progressed.connect(on_progress)
    runner.signals.succeeded.connect(results.append)
    with qtbot.waitSignals(
        [runner.signals.started, runner.signals.succeeded, runner.signals.finished],
        order="strict",
        timeout=10_000,
    ):
        runner.start()
    assert seen == list(range(2000))
    assert len(batches) < 2000  # batched, not one signal per item
    assert results == [2000]


def test_exception_becomes_plain_error_info(qtbot: Any) -> None:
    def boom() -> None:
        raise InvalidParameterException("MaxFaces must be positive")

    runner = TaskRunner(boom)
    errors: list[Any] = []
    runner.signals.failed.connect(errors.append)
    with qtbot.waitSignal(runner.signals.finished, timeout=5000):
        runner.start()
    info = errors[0]
    assert isinstance(info, ErrorInfo)
    assert info.code == "InvalidParameterException"
    assert info.message == "MaxFaces must be positive"


def test_cancel_stops_between_items(qtbot: Any) -> None:
    token = CancelToken()
    token.cancel()
    runner = TaskRunner(counting, 10, token, cancel=token)
    results: list[Any] = []
    runner.signals.succeeded.connect(results.append)
    with qtbot.waitSignal(runner.signals.finished, timeout=5000):
        runner.start()
    assert results == [-1]
