"""Building a collection's candidate source off the search path: build (the code scan when
faiss is installed, else the HNSW graph), check against the exact scan
(:mod:`facedesk.storage.graph_check`), and catch up with the writes made meanwhile."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facedesk.storage import graph_check
from facedesk.storage.ann_index import AnnGraph
from facedesk.storage.code_scan import CodeScan
from facedesk.storage.proposer import Proposer
from facedesk.storage.vector_snapshot import Snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Built:
    """A build's outcome: ``graph`` passed its check (None if cancelled or refused);
    ``rejected`` says it was refused; ``keys`` are the keys it was built over."""

    graph: Proposer | None
    rejected: bool
    keys: np.ndarray


def build_checked(
    snap: Snapshot, folder: Path | None, cancel: threading.Event, codes: bool
) -> Built:
    """Build a code scan (``codes``) or a graph over ``snap``'s live rows and check it; a
    refused one is recorded beside the set (``folder``) so no process builds the same kind
    again until the collection has grown."""
    # The live rows' keys, taken once: later deletes tombstone rows of this snapshot too.
    alive = snap.alive() if snap.dead else None
    keys = snap.slots[: snap.n] if alive is None else snap.slots[: snap.n][alive]
    vectors = snap.matrix if alive is None else snap.matrix[alive]
    # One thread: the build runs beside the app's own work (indexing, the UI), and a
    # one-thread build is deterministic (the same faces give the same graph or codes).
    graph: Proposer | None = (
        CodeScan.build(keys, vectors, cancel=cancel)
        if codes
        else AnnGraph.build(keys, vectors, threads=1, cancel=cancel)
    )
    if graph is None:
        return Built(None, False, keys)
    verdict = graph_check.check_graph(snap, graph, cancel=cancel)
    if verdict is None:
        return Built(None, False, keys)
    if not verdict.passed:
        graph_check.record_rejection(folder, snap.live, verdict, graph_check.kind(codes))
        log.warning(
            "search %s of %d faces not used: recall@10 %.3f, threshold answers "
            "identical %.3f on %d of its faces; searches stay exact",
            graph_check.kind(codes),
            snap.live,
            verdict.recall_at_10,
            verdict.identical,
            verdict.checked,
        )
        return Built(None, True, keys)
    return Built(graph, False, keys)


def catch_up(graph: Proposer, keys: np.ndarray, cur: Snapshot) -> None:
    """Apply to ``graph`` (built over ``keys``) the removes and adds ``cur`` holds since."""
    alive, slots = cur.alive(), cur.slots[: cur.n]
    graph.remove(keys[~np.isin(keys, slots[alive])])
    fresh = np.flatnonzero(alive & ~np.isin(slots, keys))
    graph.add(cur.slots[fresh], cur.buffer[fresh])
