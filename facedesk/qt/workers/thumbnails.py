"""Thumbnails loaded off the UI thread, keyed (never by row), with an LRU pixmap cache.

Workers produce ``QImage`` (safe off the GUI thread); the loader turns it into a
``QPixmap`` in the GUI thread when the result arrives. A key that is requested again while
queued or loading is not queued twice.

The UI thread hands loads out a few at a time (``max_threads`` in flight, the next one when
a result arrives), never from inside a paint (a zero timer): face thumbnails come from a
storage query, ~1 ms of Python each, and a page of 30 handed to the pool at once would hold
the GIL against the painting UI thread for every tile of the next paint (a page-scroll
paint took 60-100 ms instead of ~10). ``clear()`` drops queued work when the view
changes; results for keys nobody asked for any more are still cached (they are cheap and
correct, since keys are content ids).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

ImageSource = Callable[[], QImage | None]


class _LoaderSignals(QObject):
    loaded = Signal(str, QImage)


class _LoadJob(QRunnable):
    def __init__(self, key: str, source: ImageSource, signals: _LoaderSignals) -> None:
        super().__init__()
        self._key = key
        self._source = source
        self._signals = signals

    def run(self) -> None:
        try:
            image = self._source()
        except Exception:  # a broken file shows the placeholder; it must not kill the pool
            image = None
        self._signals.loaded.emit(self._key, image if image is not None else QImage())


class ThumbnailLoader(QObject):
    """Loads images by key on its own capped pool; ``thumbnail_loaded(key)`` when ready."""

    thumbnail_loaded = Signal(str)
    idled = Signal()  # nothing queued or loading any more

    def __init__(self, max_threads: int = 2, cache_size: int = 3000, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._cache: OrderedDict[str, QPixmap | None] = OrderedDict()
        self._cache_size = cache_size
        self._pending: set[str] = set()
        self._max_in_flight = max(1, max_threads)
        self._in_flight = 0  # jobs handed to the pool whose result has not arrived
        self._queued: deque[tuple[str, ImageSource]] = deque()  # asked for, not started yet
        self._start_timer = QTimer(self, singleShot=True, interval=0)
        self._start_timer.timeout.connect(self._start_queued)
        self._signals = _LoaderSignals()
        self._signals.loaded.connect(self._on_job_loaded)

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def in_flight(self) -> int:
        """Loads handed to the pool whose result has not arrived (at most ``max_threads``)."""
        return self._in_flight

    def pixmap(self, key: str, source: ImageSource) -> QPixmap | None:
        """The cached pixmap, or None while it loads (a load is queued on first ask)."""
        return self.pixmap_lazy(key, lambda: source)

    def pixmap_lazy(self, key: str, make_source: Callable[[], ImageSource]) -> QPixmap | None:
        """``pixmap`` for callers that paint: ``make_source`` is called only when a load
        must be queued, not for every paint of a cached thumbnail."""
        cache = self._cache
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        if key not in self._pending:
            self._pending.add(key)
            self._queued.append((key, make_source()))
            if self._in_flight < self._max_in_flight and not self._start_timer.isActive():
                self._start_timer.start()
        return None

    def peek(self, key: str) -> QPixmap | None:
        """The cached pixmap without queueing a load."""
        return self._cache.get(key)

    def is_failed(self, key: str) -> bool:
        return key in self._cache and self._cache[key] is None

    def clear(self) -> None:
        """Forget queued work (running jobs finish; their results still land in the cache)."""
        self._queued.clear()
        self._pending.clear()
        self.idled.emit()

    def shutdown(self) -> None:
        self._queued.clear()
        self._start_timer.stop()
        self.pool.clear()
        self.pool.waitForDone()
        self._pending.clear()

    def _start_queued(self) -> None:
        queued = self._queued
        while queued and self._in_flight < self._max_in_flight:
            key, source = queued.popleft()
            if key in self._pending:  # not dropped by clear() meanwhile
                self._in_flight += 1
                self.pool.start(_LoadJob(key, source, self._signals))

    def _on_job_loaded(self, key: str, image: QImage) -> None:
        self._in_flight = max(0, self._in_flight - 1)
        self._start_queued()  # an event of its own: never inside a paint
        was_pending = key in self._pending
        self._pending.discard(key)
        self._cache[key] = None if image.isNull() else QPixmap.fromImage(image)
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        if was_pending:
            self.thumbnail_loaded.emit(key)
        if not self._pending:
            self.idled.emit()
