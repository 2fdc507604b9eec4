"""Qt-free progress and cancellation for long work run as generators."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


class CancelToken:
    """Set from any thread; long work checks it between items."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class Cancelled(Exception):
    """Raised inside long work when its CancelToken was set."""


@dataclass(frozen=True)
class ProgressEvent:
    done: int
    total: int | None
    item: str | None = None
    result: Any = None
    message: str | None = None
