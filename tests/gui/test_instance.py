"""A second window on the same library is allowed and says so; a crashed one leaves no mark."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from facedesk.qt.instance import LibraryLock

HOLD = """
import sys, time
from facedesk.qt.instance import LibraryLock
lock = LibraryLock(sys.argv[1], __import__("pathlib").Path(sys.argv[2]))
print("shared" if lock.shared else "first", flush=True)
time.sleep(120)
"""


def test_second_window_on_a_library_is_told_and_a_killed_one_frees_it(tmp_path: Path) -> None:
    locks = tmp_path / "locks"
    db = tmp_path / "lib.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(locks)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "first"
        # the same library, spelled another way
        spelled = tmp_path / "." / "lib.db"
        second = LibraryLock(os.path.relpath(spelled), locks)
        assert second.shared
        second.release()
        other = LibraryLock(str(tmp_path / "other.db"), locks)
        assert not other.shared
        other.release()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    # a force-quit window leaves its lock file behind; the next window sees it is dead
    assert list(locks.iterdir())
    deadline = time.monotonic() + 5
    lock = LibraryLock(str(db), locks)
    while lock.shared and time.monotonic() < deadline:
        time.sleep(0.1)
        lock = LibraryLock(str(db), locks)
    assert not lock.shared
    lock.release()


def test_window_shows_the_shared_notice(make_window: Any, tmp_path: Path) -> None:
    from tests.gui.conftest import make_client

    db = tmp_path / "lib.db"
    make_client(db).close()
    window = make_window(db)
    window.show_shared_library_notice()
    assert window.shared_notice.isVisible()
    assert "another facedesk window" in window.shared_notice.text()
