"""Several writers on one PostgreSQL library: work claims and per-image write locks.

Two processes given the same folder must analyse each photo once. A process claims an
image (collection, ImageId, ExternalImageId: the unit one IndexFaces commit writes, the same on
every machine whatever path the NAS is mounted at) with ``pg_try_advisory_lock`` on one
connection it keeps for the batch, and releases it after its commit. Advisory locks live in the
server and belong to the connection, so a process that crashes or is killed releases its claims
at once (no stale rows in a work table, no lease to tune) and a claim costs no write.

Commits themselves take a transaction-scoped lock on the same image in another key space, so
the "already stored?" check and the inserts that follow are atomic across processes (SQLite
gets the same from ``BEGIN IMMEDIATE``).

On SQLite, claims are granted at once (one machine; commits are already serialised).
"""

from __future__ import annotations

import hashlib
import threading

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

# Two-int4 advisory keys: (namespace, hash). Distinct namespaces, so a process's own claim
# never blocks its own commit.
_NS_CLAIM = 0x66640001
_NS_WRITE = 0x66640002


def _key(collection_pk: int, image_id: str, external_image_id: str | None) -> int:
    raw = f"{collection_pk}\0{image_id}\0{external_image_id or ''}".encode()
    return int.from_bytes(hashlib.sha256(raw).digest()[:4], "big", signed=True)


def lock_image_for_write(
    session: Session, collection_pk: int, image_id: str, external_image_id: str | None
) -> None:
    """Until this transaction ends, no other transaction writes this image (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(
        text("SELECT pg_advisory_xact_lock(:ns, :k)"),
        {"ns": _NS_WRITE, "k": _key(collection_pk, image_id, external_image_id)},
    )


class WorkClaims:
    """Claims held by one batch. Thread-safe (the reader claims, the writer releases)."""

    def __init__(self, engine: Engine, collection_pk: int) -> None:
        self._cpk = collection_pk
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str | None], int] = {}
        self._conn: Connection | None = None
        if engine.dialect.name == "postgresql":
            self._conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def try_claim(self, image_id: str, external_image_id: str | None) -> bool:
        """True if this batch may analyse the image now; False while another process has it."""
        if self._conn is None:
            return True
        k = _key(self._cpk, image_id, external_image_id)
        with self._lock:
            if (image_id, external_image_id) in self._held:
                return True
            got = bool(
                self._conn.execute(
                    text("SELECT pg_try_advisory_lock(:ns, :k)"), {"ns": _NS_CLAIM, "k": k}
                ).scalar()
            )
            if got:
                self._held[(image_id, external_image_id)] = k
            return got

    def release(self, image_id: str, external_image_id: str | None) -> None:
        if self._conn is None:
            return
        with self._lock:
            k = self._held.pop((image_id, external_image_id), None)
            if k is not None:
                self._conn.execute(
                    text("SELECT pg_advisory_unlock(:ns, :k)"), {"ns": _NS_CLAIM, "k": k}
                )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                # The connection goes back to the pool, where session locks would live on.
                self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                self._conn.close()
                self._conn = None
            self._held.clear()
