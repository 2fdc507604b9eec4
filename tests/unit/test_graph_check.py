"""A built search graph is used only when it answers as the exact scan does on a sample of
the collection's own faces; one that does not is dropped, searches stay exact, and it is not
rebuilt for the same collection until the collection has grown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facedesk.storage import graph_check
from facedesk.storage.ann_index import AnnGraph
from facedesk.storage.code_scan import CodeScan
from facedesk.storage.index_files import RowSource
from facedesk.storage.vector_index import VectorIndex
from tests.support.vector_library import (
    SOURCES,
    dlib_like_faces,
    embeddings_loader,
    library_with_faces,
)


def _loaded(ids: list[str], m: np.ndarray) -> VectorIndex:
    index = VectorIndex(lambda: (list(ids), m.copy()))
    len(index)
    return index


def test_a_sound_graph_passes_and_a_scrambled_one_fails() -> None:
    rng = np.random.default_rng(3)
    ids, m = dlib_like_faces(rng, 3000)
    snap = _loaded(ids, m)._current()
    keys = snap.slots[: snap.n]

    sound = AnnGraph.build(keys, m, threads=1)
    assert sound is not None
    verdict = graph_check.check_graph(snap, sound, sample=60)
    assert verdict is not None and verdict.passed
    assert verdict.checked == 60 and verdict.recall_at_10 == 1.0 and verdict.identical == 1.0

    # Every face filed under another face's key: the graph's candidates are the wrong rows.
    scrambled = AnnGraph.build(rng.permutation(keys), m, threads=1)
    assert scrambled is not None
    verdict = graph_check.check_graph(snap, scrambled, sample=60)
    assert verdict is not None and not verdict.passed
    assert verdict.recall_at_10 < 0.5


def test_a_sound_code_scan_passes_and_a_scrambled_one_fails() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(3)
    ids, m = dlib_like_faces(rng, 3000)
    snap = _loaded(ids, m)._current()
    keys = snap.slots[: snap.n]
    sound = CodeScan.build(keys, m)
    assert sound is not None
    verdict = graph_check.check_graph(snap, sound, sample=60)
    assert verdict is not None and verdict.passed and verdict.identical == 1.0
    scrambled = CodeScan.build(rng.permutation(keys), m)
    assert scrambled is not None
    verdict = graph_check.check_graph(snap, scrambled, sample=60)
    assert verdict is not None and not verdict.passed


@SOURCES
def test_a_failed_graph_is_not_published_and_not_rebuilt_until_the_collection_doubles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, codes: bool
) -> None:
    rng = np.random.default_rng(4)
    ids, m = dlib_like_faces(rng, 1200)
    db = library_with_faces(tmp_path / "lib.db", ids, m)
    kind = "codes" if codes else "graph"
    built_by: type[AnnGraph] | type[CodeScan] = CodeScan if codes else AnnGraph
    real_build = built_by.build
    builds: list[int] = []

    def scrambled_build(keys: np.ndarray, vectors: np.ndarray, **kw: object) -> object:
        # Fault injection: the same build, fed keys in the wrong order.
        builds.append(len(keys))
        return real_build(np.random.default_rng(0).permutation(keys), vectors, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(built_by, "build", staticmethod(scrambled_build))
    exact = _loaded(ids, m)
    source = RowSource(db, "c")
    index = VectorIndex(embeddings_loader(db), source=source, ann_min_rows=500, codes=codes)
    len(index)
    assert index.wait_for_graph(120)
    assert builds == [1200] and not index.uses_graph
    queries = m[:20] + rng.normal(0, 0.02, (20, m.shape[1])).astype(np.float32)
    for q in queries:  # the exact scan answers
        assert index.search(q, 10) == exact.search(q, 10)

    folder = RowSource(db, "c").folder
    assert graph_check.rejected_at(folder, kind) == 1200
    # Another process opening the same library does not spend the build again...
    again = VectorIndex(embeddings_loader(db), source=source, ann_min_rows=500, codes=codes)
    len(again)
    assert again.wait_for_graph(120) and builds == [1200] and not again.uses_graph
    # ...until the collection has doubled. The other kind of source is refused separately.
    assert not graph_check.may_build(folder, 2399, None, kind)
    assert graph_check.may_build(folder, 2400, None, kind)
    assert graph_check.may_build(folder, 1200, None, "graph" if codes else "codes")
    # Deleting the collection's files takes the marker with them.
    again.delete_files()
    assert graph_check.rejected_at(folder, kind) is None
