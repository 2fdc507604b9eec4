"""The indexing pipeline's side of work claims (facedesk.storage.claims): kept apart from
pipeline.py so the pipeline's stages only call two functions."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from facedesk.core import ids

if TYPE_CHECKING:
    from pathlib import Path

_WAIT_POLL_S = 0.1


class Claims(Protocol):
    def try_claim(self, image_id: str, external_image_id: str | None) -> bool: ...

    def release(self, image_id: str, external_image_id: str | None) -> None: ...


class _JobLike(Protocol):
    @property
    def path(self) -> Path: ...
    @property
    def eid(self) -> str | None: ...
    @property
    def sha256(self) -> str: ...


def claim_image(
    claims: Claims,
    image_id: str,
    external_image_id: str | None,
    wait_until_stopped: Callable[[], bool] | None,
) -> bool:
    """Claim the image; with ``wait_until_stopped``, wait for another process's claim to end
    (False only if the run stops first), else give up at once."""
    while not claims.try_claim(image_id, external_image_id):
        if wait_until_stopped is None or wait_until_stopped():
            return False
        time.sleep(_WAIT_POLL_S)
    return True


def release_job(claims: Claims, job: _JobLike) -> None:
    claims.release(ids.image_id(job.sha256), job.eid)
