"""Whether a freshly built candidate source (the HNSW graph or the code scan) answers as the
exact scan does, checked on the collection's own faces before it is published.

Why. The graph only proposes candidates; the answer is re-ranked exactly, so a graph can
only lose faces, never invent them. How many it loses depends on the data and the size:
on bench/search_ann.py's dlib-like faces it lost none of the threshold matches at 100k
faces (100/100 answers identical, recall@10 0.993), but at 1M faces 28 of 100 threshold
answers missed faces (mostly near the 0.6 edge, two at 0.41) and recall@10 was 0.93 even at
beam 512 (BENCHMARKS.md, session 4). A search that silently drops a same-person match is
worse than a slower exact one, so a graph is used only where it has just shown, on a sample
of this collection's faces, that it gives the exact scan's answers: the top-10 and the
matches at the default threshold (similarity 80). A graph that fails is dropped and the
collection keeps the exact scan.

The sample queries are stored faces themselves (a face's own vector finds the face and its
neighbours, as a new photo of the same person does). Checking costs one exact scan and one
graph search per sampled face: ~20 s of one core at 1M faces, against the build's many
minutes.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import numpy as np

from facedesk.core.similarity import DEFAULT_MATCH_THRESHOLD, distance_for_similarity
from facedesk.storage.proposer import Proposer
from facedesk.storage.vector_scan import exact_search, graph_search
from facedesk.storage.vector_snapshot import Snapshot

#: Faces sampled per check.
SAMPLE: Final = 100
#: What a graph must reach on the sample. The threshold answers are what a user sees as
#: matches: the target of bench/search_ann.py (0.99). Recall@10 is held to 0.98, a point
#: under its target: the tenth neighbour of a face is usually a stranger at a near-tie
#: distance, and a sample of 100 faces puts a graph measured at 0.99 anywhere in
#: 0.98-1.0 (a 100k graph without its orphans measured 0.990 here; the 1M graph that lost
#: matches, 0.885 and 0.61 identical: 50 s of checking under load).
MIN_RECALL_AT_10: Final = 0.98
MIN_IDENTICAL: Final = 0.99
#: The threshold answers compared are SearchFaces' defaults: every match (up to its 4096)
#: at similarity 80.
TOP_K: Final = 10
MAX_MATCHES: Final = 4096
MATCH_DISTANCE: Final = float(distance_for_similarity(DEFAULT_MATCH_THRESHOLD))


@dataclass(frozen=True)
class Verdict:
    checked: int
    recall_at_10: float  # mean overlap of the graph's top-10 with the exact top-10
    identical: float  # share of threshold answers equal to the exact scan's (ids, order, distances)

    @property
    def passed(self) -> bool:
        return self.recall_at_10 >= MIN_RECALL_AT_10 and self.identical >= MIN_IDENTICAL


def check_graph(
    snap: Snapshot,
    graph: Proposer,
    sample: int = SAMPLE,
    cancel: threading.Event | None = None,
) -> Verdict | None:
    """Compare ``graph``'s answers over ``snap`` with the exact scan's for ``sample`` live
    faces (the same faces for the same collection size); None if ``cancel`` was set.

    ``graph``'s keys must be ``snap``'s slots, as a build over the snapshot makes them."""
    live = np.flatnonzero(snap.alive())
    if live.shape[0] == 0:
        return Verdict(0, 1.0, 1.0)
    rng = np.random.default_rng(snap.n)
    rows = rng.choice(live, size=min(sample, live.shape[0]), replace=False)
    trial = replace(snap, graph=graph)
    recall = identical = 0.0
    for row in rows.tolist():
        if cancel is not None and cancel.is_set():
            return None
        q = np.array(snap.matrix[row], dtype=np.float32)
        want = exact_search(trial, q, TOP_K, None, None)
        got = graph_search(trial, q, TOP_K, None, None)
        # None: the graph hands the query to the exact scan, which then answers it.
        found = want if got is None else got
        recall += len({f for f, _ in found} & {f for f, _ in want}) / max(1, len(want))
        want_thr = exact_search(trial, q, MAX_MATCHES, MATCH_DISTANCE, None)
        got_thr = graph_search(trial, q, MAX_MATCHES, MATCH_DISTANCE, None)
        identical += got_thr is None or got_thr == want_thr
    return Verdict(int(rows.shape[0]), recall / rows.shape[0], identical / rows.shape[0])


# A rejected graph is not built again until the collection has grown this much: a build at
# 1M faces takes an hour of one core, and the same faces would give the same graph.
REBUILD_GROWTH: Final = 2.0


KINDS: Final = ("graph", "codes")


def kind(codes: bool) -> str:
    """The name a candidate source's rejection is recorded under: the code scan's (``codes``)
    or the HNSW graph's."""
    return KINDS[1] if codes else KINDS[0]


def _marker(folder: Path, kind: str) -> Path:
    # Beside the set's folder, not in it: a save removes every file it did not write there.
    return folder.with_name(f"{folder.name}.{kind}-rejected.json")


def rejected_at(folder: Path | None, kind: str) -> int | None:
    """The live row count at which this ``kind`` of candidate source (see :data:`KINDS`) of
    this collection last failed its check."""
    if folder is None:
        return None
    try:
        return int(json.loads(_marker(folder, kind).read_text())["live"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def may_build(folder: Path | None, live: int, rejected: int | None, kind: str) -> bool:
    """False while the collection is within :data:`REBUILD_GROWTH` of a rejected build."""
    at = rejected if rejected is not None else rejected_at(folder, kind)
    return at is None or live >= REBUILD_GROWTH * at


def record_rejection(folder: Path | None, live: int, verdict: Verdict, kind: str) -> None:
    if folder is None:
        return
    with contextlib.suppress(OSError):
        folder.parent.mkdir(parents=True, exist_ok=True)
        _marker(folder, kind).write_text(
            json.dumps(
                {
                    "live": live,
                    "checked": verdict.checked,
                    "recall_at_10": verdict.recall_at_10,
                    "identical": verdict.identical,
                }
            )
        )


def forget(folder: Path | None) -> None:
    """The collection is deleted: its markers go with its set."""
    if folder is not None:
        for kind in KINDS:
            with contextlib.suppress(OSError):
                _marker(folder, kind).unlink()
