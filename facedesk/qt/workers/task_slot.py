"""Latest result wins: one slot for the task whose result is still wanted.

Orange's ``ConcurrentMixin`` is the model: starting a task in the slot cancels the one
before it (its cancel token is set, it leaves the pool if it has not started yet) and
disconnects its signals, so a slow old answer never overwrites a newer one. Each list
model keeps one slot for its loads; the controller keeps one per grid it reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThreadPool

from facedesk.qt.workers.runner import ErrorInfo, TaskRunner


class TaskSlot:
    """Holds at most one wanted task; older ones are cancelled and their results dropped."""

    def __init__(self, pool: QThreadPool) -> None:
        self._pool = pool
        self._current: TaskRunner | None = None
        # Python owns a runner until its ``finished`` (TaskRunner does not auto-delete),
        # cancelled ones included: they may still be running on the pool.
        self._alive: set[TaskRunner] = set()
        self._slots: dict[TaskRunner, list[tuple[Any, Callable[..., None]]]] = {}

    @property
    def active(self) -> bool:
        """A task was started and its result has not arrived (nor was it cancelled)."""
        return self._current is not None

    @property
    def running(self) -> int:
        """Tasks not finished yet, cancelled ones included (they may hold a pool thread)."""
        return len(self._alive)

    def start(
        self,
        runner: TaskRunner,
        *,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[ErrorInfo], None] | None = None,
        progress: Callable[[list[Any]], None] | None = None,
    ) -> TaskRunner:
        """Cancel the task before, then run ``runner`` on the pool. ``done``/``failed``
        get its result unless another task starts (or ``cancel``) first; ``progress``
        gets its batches until then."""
        self.cancel()

        def on_done(value: Any) -> None:
            if self._current is runner:
                self._current = None  # delivered: nothing left to cancel
                if done is not None:
                    done(value)

        def on_failed(info: ErrorInfo) -> None:
            if self._current is runner:
                self._current = None
                if failed is not None:
                    failed(info)

        def on_progress(items: list[Any]) -> None:
            if self._current is runner and progress is not None:
                progress(items)

        signals = runner.signals
        connected: list[tuple[Any, Callable[..., None]]] = [
            (signals.succeeded, on_done),
            (signals.failed, on_failed),
            (signals.progressed, on_progress),
        ]
        for signal, slot in connected:
            signal.connect(slot)
        self._slots[runner] = connected
        signals.finished.connect(lambda: self._forget(runner))
        self._current = runner
        self._alive.add(runner)
        runner.start(self._pool)
        return runner

    def cancel(self) -> None:
        """Drop the current task: its token is set, whatever it still sends goes nowhere,
        and if it has not started it leaves the pool and finishes at once."""
        runner, self._current = self._current, None
        if runner is None:
            return
        runner.cancel()
        # The guards above already ignore it; disconnecting lets nothing reach a model
        # that may be reset or gone by the time a queued signal is delivered.
        for signal, slot in self._slots.pop(runner, []):
            signal.disconnect(slot)
        if self._pool.tryTake(runner):
            # Never ran, so no ``finished`` would come: send it here, for whoever counts
            # running tasks (the controller's busy state, this slot's own bookkeeping).
            runner.signals.finished.emit()

    def _forget(self, runner: TaskRunner) -> None:
        self._alive.discard(runner)
        self._slots.pop(runner, None)
