"""The candidate path of VectorIndex (the HNSW graph, or the code scan when faiss is installed)
returns the exact scan's answers; its persisted set next to the SQLite file is repaired after
another process writes and rebuilt when damaged."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from facedesk.core.similarity import distance_for_similarity
from facedesk.storage import ann_index, code_scan
from facedesk.storage.ann_index import AnnGraph
from facedesk.storage.database import Database
from facedesk.storage.index_files import RowSource, open_store
from facedesk.storage.vector_index import VectorIndex
from facedesk.storage.vector_registry import VectorIndexRegistry
from tests.support.vector_library import (
    DIM,
    SOURCES,
    dlib_like_faces,
    embeddings_loader,
    library_with_faces,
)

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / ".." / "shared" / "testdata"


def _both(
    ids: list[str], m: np.ndarray, min_rows: int, codes: bool
) -> tuple[VectorIndex, VectorIndex]:
    exact = VectorIndex(lambda: (list(ids), m.copy()))
    graph = VectorIndex(lambda: (list(ids), m.copy()), ann_min_rows=min_rows, codes=codes)
    len(graph)
    assert graph.wait_for_graph(120)
    assert graph.uses_graph and not exact.uses_graph
    return exact, graph


def _agree(exact: VectorIndex, graph: VectorIndex, queries: np.ndarray, exclude: set[str]) -> None:
    thr = distance_for_similarity(80.0)
    for q in queries:
        # Identical ids in order and identical distances (so identical similarities).
        assert graph.search(q, 10) == exact.search(q, 10)
        assert graph.search(q, 10, exclude=exclude) == exact.search(q, 10, exclude=exclude)
        assert graph.search(q, 500, max_distance=thr) == exact.search(q, 500, max_distance=thr)
        assert graph.search(q, 3, max_distance=0.3) == exact.search(q, 3, max_distance=0.3)


@SOURCES
def test_graph_path_equals_exact_scan_on_synthetic_data_above_the_cutover(codes: bool) -> None:
    rng = np.random.default_rng(11)
    ids, m = dlib_like_faces(rng, 4000)
    exact, graph = _both(ids, m, 2000, codes)
    queries = m[rng.integers(0, 4000, 40)] + rng.normal(0, 0.02, (40, DIM)).astype(np.float32)
    ex = set(ids[:50])
    _agree(exact, graph, queries, ex)
    assert graph.search_many(queries, 7) == exact.search_many(queries, 7)

    # Writes after the graph is built go to both the rows and the graph.
    more_ids, more = dlib_like_faces(rng, 300, prefix="g")
    assert graph.add(more_ids, more) == exact.add(more_ids, more) == 300
    gone = set(rng.choice(ids, 500, replace=False).tolist())
    assert graph.remove(gone) == exact.remove(gone) == 500
    assert graph.uses_graph
    _agree(exact, graph, np.vstack([queries, more[:10]]), ex)
    for q in more[:10]:
        assert graph.search(q, 1)[0][1] == 0.0


@SOURCES
def test_threshold_search_with_more_matches_than_candidates_falls_back_exactly(
    codes: bool,
) -> None:
    # 3000 near-copies of one face: every candidate list passes the threshold, so the list
    # grows to its limit and the exact scan answers (the graph), or the code scan's list holds
    # every face; the answer is the exact one either way.
    rng = np.random.default_rng(12)
    base = rng.normal(0.0, 0.09, DIM).astype(np.float32)
    m = (base + rng.normal(0, 0.01, (3000, DIM))).astype(np.float32)
    ids = [f"c{i}" for i in range(3000)]
    exact, graph = _both(ids, m, 1000, codes)
    got = graph.search(base, 4096, max_distance=0.6)
    assert len(got) == 3000 and got == exact.search(base, 4096, max_distance=0.6)
    assert graph.search(base, 200, max_distance=0.6) == exact.search(base, 200, max_distance=0.6)


@SOURCES
def test_a_face_a_float32_rounding_past_the_threshold_is_left_out_as_the_exact_scan_does(
    codes: bool,
) -> None:
    # A face at float32(0.6) = 0.60000002 from the query: over a threshold of 0.6, so not a
    # match for the exact scan. NumPy compares a float32 array with a Python float in float32
    # (0.6 -> 0.60000002), which once let the candidate path return it (bench/search_codes.py
    # at 1M faces, 1 threshold answer in 100).
    rng = np.random.default_rng(18)
    ids, m = dlib_like_faces(rng, 2000)
    q = m[0] + np.float32(0.3)
    edge = q.copy()
    edge[0] += np.float32(0.6)
    m = np.vstack([m, edge[None, :]])
    ids = [*ids, "edge"]
    exact, graph = _both(ids, m, 1000, codes)
    assert float(np.linalg.norm(edge - q)) > 0.6 and np.float32(np.linalg.norm(edge - q)) == 0.6
    for k in (10, 4096):
        got = graph.search(q, k, max_distance=0.6)
        assert got == exact.search(q, k, max_distance=0.6)
        assert "edge" not in {f for f, _ in got}
    assert graph.search(q, 10, max_distance=0.61)[0][0] == "edge"


@SOURCES
def test_graph_path_on_real_descriptors(codes: bool) -> None:
    # The 24 faces of the labelled bald_guys collage (4 actors x 6 photos), dlib descriptors.
    import dlib
    import face_recognition_models as frm
    from PIL import Image

    from tests.support.labelled_faces import BALD_GUYS_PATH, who_in_bald_guys

    image = np.asarray(Image.open(TESTDATA / BALD_GUYS_PATH).convert("RGB"))
    h, w = image.shape[:2]
    shapes = dlib.shape_predictor(frm.pose_predictor_model_location())
    net = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
    ids, vecs = [], []
    for i, r in enumerate(dlib.get_frontal_face_detector()(image, 0)):
        box = {"Left": r.left() / w, "Top": r.top() / h, "Width": r.width() / w,
               "Height": r.height() / h}  # fmt: skip
        ids.append(f"{who_in_bald_guys(box)}-{i}")
        vecs.append(np.array(net.compute_face_descriptor(image, shapes(image, r)), np.float32))
    assert len(ids) >= 20
    exact, graph = _both(ids, np.stack(vecs), 1, codes)
    thr = distance_for_similarity(80.0)
    for i, q in enumerate(vecs):
        assert graph.search(q, 10) == exact.search(q, 10)
        matches = graph.search(q, 100, max_distance=thr, exclude={ids[i]})
        assert matches == exact.search(q, 100, max_distance=thr, exclude={ids[i]})
        assert matches  # every actor has other photos above the threshold


# ------------------------------------------------------------------ persistence


def _opened(db: Database, calls: list[int], codes: bool) -> VectorIndex:
    full = embeddings_loader(db)

    def counted() -> tuple[list[str], np.ndarray]:
        calls.append(1)
        return full()

    index = VectorIndex(counted, source=RowSource(db, "c"), ann_min_rows=500, codes=codes)
    len(index)
    assert index.wait_for_graph(120)
    return index


WRITER = """
import sys
import threading
from datetime import UTC, datetime
import numpy as np
from facedesk.core.types import BoundingBox, StoredFace
from facedesk.storage import ann_index
from facedesk.storage.ann_index import AnnGraph
from facedesk.storage.database import Database
db = Database(sys.argv[1])
vecs = np.load(sys.argv[2])
faces = [StoredFace(face_id=f"new{i:03d}", collection_id="c", image_id="img",
    external_image_id=None, bounding_box=BoundingBox(0.1, 0.1, 0.2, 0.2), confidence=99.0,
    model_version="1.0", embedding=v, indexed_at=datetime(2026, 1, 1, tzinfo=UTC))
    for i, v in enumerate(vecs)]
with db.unit_of_work() as uow:
    uow.faces.add_many(faces)
    uow.faces.delete_many("c", [f"f{i:06d}" for i in range(0, 40)])
    uow.collections.bump_generation("c")
    uow.commit()
"""


@SOURCES
def test_persisted_index_is_reused_repaired_after_another_process_writes_and_rebuilt_when_corrupt(
    tmp_path: Path, codes: bool
) -> None:
    rng = np.random.default_rng(13)
    ids, m = dlib_like_faces(rng, 1500)
    db = library_with_faces(tmp_path / "lib.db", ids, m)
    folder = RowSource(db, "c").folder
    assert folder is not None and folder.parent.parent == tmp_path  # beside the library
    calls: list[int] = []
    first = _opened(db, calls, codes)
    assert calls == [1] and first.uses_graph
    assert open_store(folder, DIM) is not None  # saved once the graph was built

    # A second open (another process, later) reads the set, not the database's descriptors.
    second = _opened(db, calls, codes)
    assert calls == [1] and second.uses_graph and second.face_ids() == first.face_ids()
    q = m[7] + np.float32(0.01)
    assert second.search(q, 10) == first.search(q, 10)

    # Another process adds 25 faces (new photos of people already there) and deletes 40: the
    # set is stale. The next open repairs it from the difference (no full read) and answers
    # exactly like a fresh exact index.
    added = (m[100:125] + rng.normal(0, 0.02, (25, DIM))).astype(np.float32)
    np.save(tmp_path / "new.npy", added)
    subprocess.run(
        [sys.executable, "-c", WRITER, str(tmp_path / "lib.db"), str(tmp_path / "new.npy")],
        check=True,
        cwd=ROOT,
    )
    third = _opened(db, calls, codes)
    assert calls == [1]
    want_ids = ids[40:] + [f"new{i:03d}" for i in range(25)]
    assert sorted(third.face_ids()) == sorted(want_ids)
    exact = VectorIndex(embeddings_loader(db))
    for qv in [*added[:5], *m[40:45], q]:
        assert third.search(qv, 10) == exact.search(qv, 10)
        assert third.search(qv, 50, max_distance=0.6) == exact.search(qv, 50, max_distance=0.6)
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["n"] == len(want_ids)  # the repaired set was saved

    # A damaged graph file is detected by its checksum, deleted and rebuilt from the database.
    graph_file = folder / meta["graph"]
    raw = bytearray(graph_file.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    graph_file.write_bytes(bytes(raw))
    fourth = _opened(db, calls, codes)
    assert calls == [1, 1]
    for qv in [*added[:3], q]:
        assert fourth.search(qv, 10) == exact.search(qv, 10)
    assert open_store(folder, DIM) is not None  # rebuilt and saved again

    # A truncated vectors file too.
    meta = json.loads((folder / "meta.json").read_text())
    vec_file = folder / meta["vectors"]
    vec_file.write_bytes(vec_file.read_bytes()[:1000])
    fifth = _opened(db, calls, codes)
    assert calls == [1, 1, 1]
    assert fifth.search(q, 10) == exact.search(q, 10)


def test_registry_persists_through_the_source_and_drop_deletes_the_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(14)
    ids, m = dlib_like_faces(rng, 700)
    db = library_with_faces(tmp_path / "lib.db", ids, m)
    source = RowSource(db, "c")
    registry = VectorIndexRegistry(ann_min_rows=600)
    index = registry.get(db.url, "c", embeddings_loader(db), source)
    assert len(index) == 700 and index.wait_for_graph(120) and index.uses_graph
    assert source.folder is not None and (source.folder / "meta.json").exists()
    assert registry.get(db.url, "c", embeddings_loader(db)) is index
    registry.drop(db.url, "c")  # DeleteCollection
    assert not source.folder.exists()


EXITS_DURING_BUILD = """
import numpy as np
from facedesk.storage.vector_index import VectorIndex
m = np.random.default_rng(1).normal(0.0, 0.1, (30000, 128)).astype(np.float32)
ids = [str(i) for i in range(30000)]
index = VectorIndex(lambda: (ids, m), ann_min_rows=1000)
print(index.search(m[5], 1)[0][0])  # exact while the graph builds in the background
"""


def test_a_process_exiting_during_a_background_build_exits_cleanly() -> None:
    # Exit cancels the build between chunks and waits for it: no hang, no abort, no thread
    # left inside usearch while Python finalises.
    done = subprocess.run(
        [sys.executable, "-c", EXITS_DURING_BUILD],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"


@SOURCES
def test_graph_searches_run_while_a_writer_adds_and_removes(
    codes: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Readers never lock: each search sees one snapshot, and graph keys of rows a snapshot
    # does not hold (added or removed meanwhile) are dropped, never mapped to another face.
    # The code scan encodes its tail of added faces every 100 here (512 by default), so
    # readers also meet freshly encoded shards.
    monkeypatch.setattr(code_scan, "TAIL_MAX", 100)
    rng = np.random.default_rng(15)
    ids, m = dlib_like_faces(rng, 3000)
    more_ids, more = dlib_like_faces(rng, 600, prefix="g")
    every = dict(zip(ids + more_ids, np.vstack([m, more]), strict=True))
    _, graph = _both(ids, m, 1000, codes)
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        r = np.random.default_rng(16)
        try:
            while not stop.is_set():
                q = m[r.integers(0, 3000)] + r.normal(0, 0.02, DIM).astype(np.float32)
                got = graph.search(q, 10, max_distance=0.8)
                assert [d for _, d in got] == sorted(d for _, d in got)
                for fid, d in got:  # each id is at its own distance: no row/slot mix-up
                    assert abs(float(np.linalg.norm(every[fid] - q)) - d) < 1e-5
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for j in range(0, 600, 60):
        graph.add(more_ids[j : j + 60], more[j : j + 60])
        graph.remove(ids[j : j + 40])
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert len(graph) == 3000 + 600 - 400 and graph.uses_graph


def test_a_face_the_graph_cannot_reach_is_still_found() -> None:
    # HNSW can leave a node without incoming links; removing a key from the graph (while its
    # row stays) makes exactly such a face. unreachable() finds it and searches add it.
    rng = np.random.default_rng(17)
    ids, m = dlib_like_faces(rng, 3000)
    built = AnnGraph.build(np.arange(3000, dtype=np.int64), m, threads=1)
    assert built is not None
    built.remove([1234])
    built.orphans = built.unreachable(np.arange(3000, dtype=np.int64), m)
    assert 1234 in built.orphans.tolist()
    exact = VectorIndex(lambda: (list(ids), m.copy()))
    index = VectorIndex(lambda: (list(ids), m.copy()))
    index.use_graph(built)
    q = m[1234] + np.float32(0.005)
    assert index.search(q, 10)[0][0] == ids[1234]
    assert index.search(q, 10) == exact.search(q, 10)
    assert index.search(q, 50, max_distance=0.6) == exact.search(q, 50, max_distance=0.6)


def _self_search_misses(graph: AnnGraph, keys: np.ndarray, m: np.ndarray) -> set[int]:
    """The definition: every face searched for by its own vector at the full beam."""
    graph.expansion_search = ann_index.EXPANSION_SEARCH
    return set(graph.unreachable(keys, m).tolist())


def test_the_cascade_finds_exactly_the_faces_a_full_beam_self_search_misses() -> None:
    # A deliberately sparse graph (connectivity 4, few insert candidates) leaves many faces
    # that even the full beam misses, so every stage of the cascade has work; then the
    # graph the app builds. Both compared with the brute self-search of every face.
    from usearch.index import Index

    rng = np.random.default_rng(23)
    _, m = dlib_like_faces(rng, 3000)
    keys = np.arange(3000, dtype=np.int64) * 3 + 5  # keys are slots, not rows
    sparse = AnnGraph(
        DIM,
        Index(ndim=DIM, metric="l2sq", dtype="f16", connectivity=4, expansion_add=8),
    )
    sparse.add(keys, m, threads=2, check=False)
    want = _self_search_misses(sparse, keys, m)
    assert len(want) >= 20  # the test exercises the later stages
    sparse.expansion_search = 77
    found = sparse.find_orphans(keys, m, threads=2)
    assert found is not None
    assert set(found.tolist()) == want and found.shape[0] == len(want)
    assert sparse.expansion_search == ann_index.EXPANSION_SEARCH

    # Re-inserting the unreachable faces (what a build does next) leaves fewer, and the list
    # is again exactly what the brute self-search misses.
    assert sparse.settle(keys, m, threads=2)
    assert set(sparse.orphans.tolist()) == _self_search_misses(sparse, keys, m)
    assert sparse.orphans.shape[0] < len(want)

    built = AnnGraph.build(keys, m, threads=2)
    assert built is not None
    assert set(built.orphans.tolist()) == _self_search_misses(built, keys, m)

    cancelled = threading.Event()
    cancelled.set()
    assert sparse.find_orphans(keys, m, cancel=cancelled) is None


def test_ids_digest_by_blocks_equals_the_digest_of_the_joined_ids() -> None:
    # Sets saved before the digest was computed by blocks must still match (and vice versa).
    import hashlib

    from facedesk.storage import index_files

    for n in (0, 1, 3, index_files._IDS_BLOCK, index_files._IDS_BLOCK * 2 + 5):
        ids = [f"{i:08d}-face" for i in range(n)]
        joined = hashlib.sha256("\n".join(ids).encode()).hexdigest()
        assert index_files.ids_digest(ids) == joined


def test_ids_file_round_trips_and_sortedness_is_strict(tmp_path: Path) -> None:
    # The ids file and the digest share one block-join; the file must read back as the ids.
    from facedesk.storage import index_files
    from facedesk.storage.vector_snapshot import has_duplicates, strictly_ascending

    for n in (0, 1, index_files._IDS_BLOCK + 3):
        ids = [f"{i:08d}-face" for i in range(n)]
        path = tmp_path / f"ids-{n}.txt"
        index_files._write_lines(path, ids)
        text = path.read_text(encoding="utf-8")
        assert (text.split("\n") if text else []) == ids
    assert strictly_ascending(["a", "b", "c"]) and strictly_ascending([])
    assert not strictly_ascending(["a", "a"]) and not strictly_ascending(["b", "a"])
    assert has_duplicates(["b", "a", "b"]) and not has_duplicates(["b", "a"])
