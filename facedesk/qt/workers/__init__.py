"""Qt adapters that run Qt-free work on thread pools."""

from facedesk.qt.workers.runner import ErrorInfo, RunnerSignals, TaskRunner
from facedesk.qt.workers.thumbnails import ThumbnailLoader

__all__ = ["ErrorInfo", "RunnerSignals", "TaskRunner", "ThumbnailLoader"]
