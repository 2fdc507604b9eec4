"""A collection's search index persisted beside its SQLite file, checked against the database.

Opening a 1M-face library would otherwise stream 512 MB of descriptors out of SQLite (7-8 s)
and rebuild the HNSW graph (minutes) before the first search. Instead each collection keeps,
in ``<library>.db-vectors/<collection hash>/``:

- ``vectors-<token>.npy``: the float32 rows, memory-mapped (only the rows a search touches are
  read, so they barely count towards RSS);
- ``slots-<token>.npy``: each row's graph key; ``ids-<token>.txt``: each row's face id;
- ``graph-<token>.usearch`` or ``graph-<token>.codes.npz``: the candidate source, an HNSW graph
  (:mod:`facedesk.storage.ann_index`) or a code scan (:mod:`facedesk.storage.code_scan`);
- ``meta.json``: the collection generation they were written at, the row count, and the size
  and CRC-32 of every file. It is replaced last and atomically, so a crash mid-save leaves the
  previous complete set; files no ``meta.json`` names are removed on the next save.

Nothing here is trusted blindly: a file whose size or checksum disagrees with ``meta.json``
makes :func:`open_store` return None (and delete the set), and the caller rebuilds from the
database. A complete set is still compared with the database's face ids before use: face ids
are UUIDs and a face's descriptor never changes, so the id sets' difference is exactly what
changed since the save (see ``VectorIndex``), whoever wrote it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from facedesk.storage import code_scan
from facedesk.storage.ann_index import AnnGraph
from facedesk.storage.code_scan import CodeScan
from facedesk.storage.proposer import Proposer
from facedesk.storage.row_source import RowSource as RowSource  # re-exported: its old home
from facedesk.storage.row_source import store_folder as store_folder
from facedesk.storage.vector_snapshot import (
    Snapshot,
    appended,
    make_snapshot,
    strictly_ascending,
    tombstoned,
)

FORMAT = 1
_CHUNK = 8 * 1024 * 1024
_IDS_BLOCK = 65536
_ROWS_BLOCK = 16384  # 8 MiB of rows per write
# A save takes seconds; a lock older than this was left by a crash.
_STALE_LOCK_S = 600.0

F32Array = npt.NDArray[np.float32]
I64Array = npt.NDArray[np.int64]


def _spare(n: int) -> int:
    return max(1024, n // 16)


class StaleStore(Exception):
    """The persisted files do not match their meta.json (corrupt, truncated or foreign)."""


@dataclass(frozen=True, slots=True)
class Stored:
    """One persisted set, opened: ``vectors`` is a private (copy-on-write) memory map."""

    generation: int
    ids: list[str]
    slots: I64Array
    vectors: F32Array  # (capacity, dim): spare rows past len(ids) take appends privately
    sqnorms: F32Array
    graph: Proposer | None
    next_slot: int
    ids_digest: str  # of the sorted ids: equal digests spare comparing 1M ids as sets


def _joined(lines: Sequence[str]) -> Iterator[str]:
    """``"\n".join(lines)`` in pieces of ``_IDS_BLOCK`` lines: one joined string of 1M ids
    and its encoded copy are ~75 MB."""
    for a in range(0, len(lines), _IDS_BLOCK):
        if a:
            yield "\n"
        yield "\n".join(lines[a : a + _IDS_BLOCK])


def ids_digest(sorted_ids: Sequence[str]) -> str:
    """sha256 of the ids joined by newlines, hashed by blocks."""
    h = hashlib.sha256()
    for piece in _joined(sorted_ids):
        h.update(piece.encode())
    return h.hexdigest()


def _write_lines(path: Path, lines: Sequence[str]) -> None:
    """``"\n".join(lines)`` written by blocks (what ``_open`` reads back with split)."""
    with path.open("w", encoding="utf-8") as f:
        f.writelines(_joined(lines))


def _write_rows(path: Path, snap: Snapshot, live: I64Array, capacity: int) -> None:
    """A float32 ``.npy`` of (``capacity``, dim): the ``live`` rows of ``snap``, then zeros."""
    dim = snap.buffer.shape[1]
    header = {"descr": "<f4", "fortran_order": False, "shape": (capacity, dim)}
    with path.open("wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for a in range(0, live.shape[0], _ROWS_BLOCK):
            rows = live[a : a + _ROWS_BLOCK]
            block = snap.buffer[rows] if snap.dead else snap.buffer[a : a + rows.shape[0]]
            np.ascontiguousarray(block, dtype="<f4").tofile(f)
        f.truncate(f.tell() + (capacity - live.shape[0]) * dim * 4)  # spare rows: zeros


def _crc(path: Path) -> tuple[int, int]:
    crc, size = 0, 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return size, crc


def _stamp(path: Path) -> list[int]:
    """Size, CRC-32 and the file's identity when checksummed: its inode and ctime, which any
    write, truncation or replacement changes (and no process can set back). A file whose
    identity still matches was checksummed after facedesk wrote it and not written since, so
    opening skips reading it again (1.6 GB at 1M faces: seconds, most of the first search)."""
    size, crc = _crc(path)
    st = path.stat()
    return [size, crc, st.st_ino, st.st_ctime_ns]


def _unchanged(path: Path, entry: Sequence[int]) -> bool:
    if len(entry) != 4:  # a set from before the stamp: checksum it
        return False
    try:
        st = path.stat()
    except OSError:
        return False
    return [st.st_size, st.st_ino, st.st_ctime_ns] == [entry[0], entry[2], entry[3]]


def open_store(folder: Path, dim: int) -> Stored | None:
    """The persisted set if complete and intact; None if there is none. A damaged set is
    deleted (and None returned), so the caller rebuilds rather than trusting it."""
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        return None
    try:
        return _open(folder, meta_path, dim)
    except (StaleStore, OSError, ValueError, KeyError, TypeError, RuntimeError):
        shutil.rmtree(folder, ignore_errors=True)
        return None


def _open(folder: Path, meta_path: Path, dim: int) -> Stored:
    meta = json.loads(meta_path.read_text())
    if meta.get("format") != FORMAT or meta.get("dim") != dim:
        raise StaleStore("another format")
    files: dict[str, list[int]] = meta["files"]
    for name, entry in files.items():
        if _unchanged(folder / name, entry):
            continue  # checksummed when saved, not written since (see _stamp)
        if _crc(folder / name) != (entry[0], entry[1]):
            raise StaleStore(f"{name} does not match its checksum")
    n = int(meta["n"])
    vectors = np.load(folder / meta["vectors"], mmap_mode="c")
    slots = np.load(folder / meta["slots"])
    sqnorms = np.load(folder / meta["norms"])
    ids = (folder / meta["ids"]).read_text().split("\n") if n else []
    if vectors.ndim != 2 or vectors.shape[0] < n or vectors.shape[1] != dim:
        raise StaleStore("vectors have the wrong shape")
    if vectors.dtype != np.float32 or sqnorms.dtype != np.float32:
        raise StaleStore("vectors are not float32")
    if slots.shape != (n,) or sqnorms.shape != (n,) or len(ids) != n:
        raise StaleStore("row counts disagree")
    graph: Proposer | None = None
    if str(meta.get("graph", "")).endswith(CodeScan.suffix):
        # Saved by a process with faiss, opened by one without: the rows are still good.
        graph = CodeScan.load(folder / meta["graph"], dim) if code_scan.available() else None
    elif meta.get("graph"):
        ann = AnnGraph.load(folder / meta["graph"], dim, view=True)
        ann.orphans = np.asarray(meta["orphans"], dtype=np.int64).reshape(-1)
        graph = ann
    # A delete racing the save may have tombstoned a row (norm +inf) the graph dropped.
    if graph is not None and len(graph) != int(np.isfinite(sqnorms).sum()):
        raise StaleStore("graph size disagrees")
    return Stored(
        generation=int(meta["generation"]),
        ids=ids,
        slots=np.asarray(slots, dtype=np.int64),
        vectors=vectors,
        sqnorms=sqnorms,
        graph=graph,
        next_slot=int(meta["next_slot"]),
        ids_digest=str(meta["ids_digest"]),
    )


def save_store(folder: Path, generation: int, snap: Snapshot) -> None:
    """Write a complete set under fresh names, then switch ``meta.json`` to it atomically.

    One process saves at a time (a lock file); if another is saving, this save is skipped:
    the set is only a cache, and the next open brings whichever set won up to date.
    """
    # Private like the library itself (0700): descriptors are biometric data.
    folder.parent.mkdir(mode=0o700, exist_ok=True)
    folder.mkdir(mode=0o700, exist_ok=True)
    lock = folder / "saving.lock"
    with contextlib.suppress(OSError):
        if time.time() - lock.stat().st_mtime > _STALE_LOCK_S:
            lock.unlink()  # left by a process that died mid-save
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return
    os.close(fd)
    try:
        _save(folder, generation, snap)
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


def _save(folder: Path, generation: int, snap: Snapshot) -> None:
    token = secrets.token_hex(6)
    n, dim = snap.live, snap.buffer.shape[1]
    # Only live rows are written (tombstones are compacted away on disk).
    live = np.flatnonzero(snap.alive()) if snap.dead else np.arange(n, dtype=np.int64)
    names = {
        "vectors": f"vectors-{token}.npy",
        "slots": f"slots-{token}.npy",
        "norms": f"norms-{token}.npy",
        "ids": f"ids-{token}.txt",
    }
    # Spare rows let the next process append without copying the matrix into memory. The
    # rows are written through the file, not a writable memory map: a map's written pages
    # count towards the process's RSS until it is closed (+512 MB at 1M faces, the peak of
    # the first CLI call, which saves at exit), the page cache's do not.
    _write_rows(folder / names["vectors"], snap, live, n + _spare(n))
    np.save(folder / names["slots"], np.asarray(snap.slots[live], dtype=np.int64))
    np.save(folder / names["norms"], np.asarray(snap.sqnorms[live], dtype=np.float32))
    ids = [snap.ids[r] for r in live.tolist()] if snap.dead else snap.ids[:n]
    _write_lines(folder / names["ids"], ids)
    if snap.graph is not None:
        names["graph"] = f"graph-{token}{snap.graph.suffix}"
        snap.graph.save(folder / names["graph"])
    files = {name: _stamp(folder / name) for name in names.values()}
    meta = {
        "format": FORMAT,
        "dim": int(dim),
        "n": n,
        "generation": generation,
        "next_slot": snap.next_slot,
        "ids_digest": ids_digest(ids if strictly_ascending(ids) else sorted(ids)),
        "orphans": snap.graph.orphans.tolist() if isinstance(snap.graph, AnnGraph) else [],
        "files": files,
        **names,
    }
    tmp = folder / f"meta-{token}.tmp"
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, folder / "meta.json")
    for old in folder.iterdir():
        if old.name not in ("meta.json", "saving.lock") and old.name not in files:
            # Another process may still map an old file: POSIX keeps it until unmapped;
            # Windows refuses, and the next save tries again.
            with contextlib.suppress(OSError):
                old.unlink()


def load_persisted(
    source: RowSource, folder: Path, dim: int, full_load: Callable[[], Snapshot]
) -> Snapshot:
    """The collection's snapshot from its persisted set, brought up to date with the database.

    The face ids the database holds now are compared with the set's: faces deleted since are
    removed and faces added since are read (only theirs) and appended, then the repaired set
    is saved. No set, a damaged one, or one that differs in more than a quarter of its faces
    falls back to ``full_load`` (every descriptor from the database)."""
    try:
        generation = source.generation()
    except KeyError:  # the collection is gone: the loader raises the API's own error
        return full_load()
    stored = open_store(folder, dim)
    if stored is None:
        return full_load()
    if stored.generation != generation:  # written since the save (every face write bumps it)
        try:
            generation, db_ids = source.state()
        except KeyError:
            return full_load()
    else:
        # Unchanged since the save: the set's ids are the database's (reading and comparing
        # 1M ids would cost seconds of the first search).
        db_ids = stored.ids
    changed = stored.generation != generation
    gone: set[int] = set()
    new: list[str] = []
    if db_ids is not stored.ids and stored.ids_digest != ids_digest(db_ids):
        want = set(db_ids)
        have = set(stored.ids)
        gone = {i for i, fid in enumerate(stored.ids) if fid not in want}
        new = [fid for fid in db_ids if fid not in have]
        if len(gone) + len(new) > max(1000, len(db_ids) // 4):
            return full_load()
        changed = changed or bool(gone or new)
    snap = make_snapshot(
        stored.ids,
        stored.vectors,
        len(stored.ids),
        stored.slots,
        stored.next_slot,
        stored.graph,
        sqnorms=stored.sqnorms,
    )
    if gone:  # tombstones: no copy of the memory-mapped rows
        snap = tombstoned(snap, gone)
    if new:
        try:
            rows = source.embeddings(new, dim)
        except KeyError:  # deleted meanwhile: start from a consistent full read
            return full_load()
        snap = appended(snap, new, rows)
    if gone or new:
        save_store(folder, generation, snap)
    elif changed:  # the same faces, saved under an older generation: only relabel the set
        _relabel(folder, generation)
    return snap


def _relabel(folder: Path, generation: int) -> None:
    meta_path = folder / "meta.json"
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads(meta_path.read_text())
        meta["generation"] = generation
        tmp = folder / f"meta-{secrets.token_hex(6)}.tmp"
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, meta_path)
