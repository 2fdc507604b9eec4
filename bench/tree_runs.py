"""Old code against new in one run: a bench script measured in a child process on another
checkout's code (``--old-tree``), on a copy of the database at that checkout's schema.

The People benches (people_view.py, people_suggest.py) share this: each re-runs itself with
``--measure --tree TREE --db DB``, and the child prints its figures as one JSON line last.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path


def tree_root(default: Path) -> Path:
    """The checkout whose ``facedesk`` this process imports: ``--tree`` if given (a
    measurement of another checkout's code), else ``default``; put first on sys.path."""
    root = default
    if "--tree" in sys.argv:
        root = Path(sys.argv[sys.argv.index("--tree") + 1]).resolve()
    sys.path.insert(0, str(root))
    return root


def measure_in_tree(
    script: str, tree: Path, db: Path, timeout: float, env: dict[str, str] | None = None
) -> dict[str, float]:
    """``script --measure`` in a fresh process running ``tree``'s code; its last JSON line."""
    done = subprocess.run(
        [sys.executable, script, "--measure", "--tree", str(tree), "--db", str(db)],
        env=dict(os.environ, PYTHONPATH=str(tree), **(env or {})),
        capture_output=True,
        text=True,
        check=True,
        timeout=timeout,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def old_schema_copy(db: Path, old_tree: Path) -> Path:
    """A copy of ``db`` at the old checkout's schema revision (migration 0005 undone by
    hand: its indexes only), for the old code to open."""
    copy = db.with_name(db.stem + ".old.db")
    shutil.copyfile(db, copy)
    head = _head_revision(old_tree)
    con = sqlite3.connect(copy)
    (current,) = con.execute("SELECT version_num FROM alembic_version").fetchone()
    if current == "0005" and head == "0004":
        con.executescript(
            "DROP INDEX IF EXISTS ix_faces_collection_pk_user_pk_face_id;"
            "DROP INDEX IF EXISTS ix_face_groups_collection_pk_group_id_face_id;"
            "CREATE INDEX IF NOT EXISTS ix_face_groups_collection_pk_group_id "
            "ON face_groups (collection_pk, group_id);"
            "UPDATE alembic_version SET version_num = '0004';"
        )
    con.commit()
    con.close()
    return copy


def _head_revision(tree: Path) -> str:
    text = (tree / "facedesk" / "storage" / "database.py").read_text()
    return text.split('HEAD_REVISION = "', 1)[1].split('"', 1)[0]
