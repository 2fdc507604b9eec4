"""Writing a derived file (a converted model, its metadata) so no reader ever sees half of it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(target: Path, data: bytes) -> None:
    """``target`` holds ``data`` or its old content, never a mix: a process killed mid-write
    (or two processes converting the same model at once) leaves at most a ``.tmp`` it removes
    on error, and the rename is atomic on every platform we ship."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
