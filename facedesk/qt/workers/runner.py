"""One generic QRunnable that runs a Qt-free function or generator.

The work knows nothing of Qt: it is a plain callable, optionally a generator yielding
progress items and returning a result. Signals live on a QObject holder created in the
GUI thread, so every emit from the worker is queued into the GUI thread (superqt/Orange
pattern). Progress items are batched: the GUI gets at most ~10 lists per second, and
never loses an item (per-file results ride on them).
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from facedesk.core.progress import CancelToken

PROGRESS_INTERVAL_S = 0.1


@dataclass(frozen=True)
class ErrorInfo:
    """An exception reduced to plain data so it can cross threads."""

    code: str
    message: str
    details: str


def error_info(exc: BaseException) -> ErrorInfo:
    response = getattr(exc, "response", None)
    code = type(exc).__name__
    message = str(exc)
    if isinstance(response, dict):
        err = response.get("Error", {})
        code = str(err.get("Code", code))
        message = str(err.get("Message", message))
    details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return ErrorInfo(code=code, message=message or code, details=details)


class RunnerSignals(QObject):
    started = Signal()
    progressed = Signal(list)  # list of items the generator yielded since the last emit
    succeeded = Signal(object)  # the function's return value (generator: its return value)
    failed = Signal(object)  # ErrorInfo
    finished = Signal()  # always last


class TaskRunner(QRunnable):
    """Runs ``fn(*args, **kwargs)`` once on a pool thread.

    If ``fn`` returns a generator, it is iterated; each yielded item is a progress item.
    ``cancel`` is the token the work checks; ``cancel()`` sets it.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        *args: Any,
        cancel: CancelToken | None = None,
        progress_interval: float = PROGRESS_INTERVAL_S,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the Python object owns the holder; keep both alive together
        self.signals = RunnerSignals()
        self.token = cancel or CancelToken()
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._interval = progress_interval

    def cancel(self) -> None:
        self.token.cancel()

    def start(self, pool: QThreadPool | None = None) -> TaskRunner:
        (pool or QThreadPool.globalInstance()).start(self)
        return self

    def run(self) -> None:
        signals = self.signals
        signals.started.emit()
        try:
            value = self._fn(*self._args, **self._kwargs)
            if inspect.isgenerator(value):
                value = self._drain(value)
        except Exception as exc:  # the GUI shows it as a dialog; nothing may escape a pool thread
            signals.failed.emit(error_info(exc))
        else:
            signals.succeeded.emit(value)
        finally:
            signals.finished.emit()

    def _drain(self, gen: Any) -> Any:
        pending: list[Any] = []
        last = 0.0
        try:
            while True:
                try:
                    item = next(gen)
                except StopIteration as stop:
                    return stop.value
                pending.append(item)
                now = time.monotonic()
                if now - last >= self._interval:
                    self.signals.progressed.emit(pending)
                    pending, last = [], now
        finally:
            if pending:
                self.signals.progressed.emit(pending)
