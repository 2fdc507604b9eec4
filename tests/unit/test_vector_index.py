"""VectorIndex: exact k-NN equal to brute force, writes, snapshots under concurrency, registry."""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from facedesk.core.similarity import distance_for_similarity, similarity
from facedesk.storage.vector_index import VectorIndex
from facedesk.storage.vector_registry import VectorIndexRegistry

TESTDATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata"
DIM = 128


def _faces(rng: np.random.Generator, n: int, prefix: str = "f") -> tuple[list[str], np.ndarray]:
    # Clustered like dlib descriptors: a shared offset, identity centres, small per-photo noise.
    centres = rng.normal(0.09, 0.045, size=(max(1, n // 4), DIM)).astype(np.float32)
    m = centres[rng.integers(0, centres.shape[0], n)] + rng.normal(0, 0.025, (n, DIM))
    return [f"{prefix}{i}" for i in range(n)], m.astype(np.float32)


def _brute(
    ids: list[str],
    m: np.ndarray,
    q: np.ndarray,
    k: int,
    max_distance: float | None = None,
    exclude: set[str] | None = None,
) -> list[tuple[str, float]]:
    d = np.linalg.norm(m.astype(np.float64) - q.astype(np.float64), axis=1)
    rows = [
        (ids[i], float(d[i]))
        for i in np.argsort(d, kind="stable")
        if (exclude is None or ids[i] not in exclude)
        and (max_distance is None or d[i] <= max_distance)
    ]
    return rows[:k]


def _assert_same(
    got: list[tuple[str, float]],
    want: list[tuple[str, float]],
    data: dict[str, np.ndarray],
    q: np.ndarray,
) -> None:
    assert len(got) == len(want)
    np.testing.assert_allclose([d for _, d in got], [d for _, d in want], atol=2e-6)
    assert [d for _, d in got] == sorted(d for _, d in got)
    for fid, d in got:  # each returned id really is at its reported distance
        assert float(np.linalg.norm(data[fid].astype(np.float64) - q)) == pytest.approx(d, abs=2e-6)
    assert len({fid for fid, _ in got}) == len(got)


def _check_all(index: VectorIndex, ids: list[str], m: np.ndarray, rng: np.random.Generator) -> None:
    data = dict(zip(ids, m, strict=True))
    for _ in range(5):
        q = m[rng.integers(0, len(ids))] + rng.normal(0, 0.02, DIM).astype(np.float32)
        for k in (1, 3, 10, len(ids), len(ids) + 7):
            _assert_same(index.search(q, k), _brute(ids, m, q, k), data, q)
        ex = set(rng.choice(ids, size=min(5, len(ids)), replace=False).tolist())
        _assert_same(index.search(q, 10, exclude=ex), _brute(ids, m, q, 10, exclude=ex), data, q)
        for md in (0.0, 0.3, 0.45, 0.6):
            _assert_same(
                index.search(q, 50, max_distance=md, exclude=ex),
                _brute(ids, m, q, 50, max_distance=md, exclude=ex),
                data,
                q,
            )


def test_search_equals_brute_force() -> None:
    rng = np.random.default_rng(0)
    ids, m = _faces(rng, 2000)
    index = VectorIndex(lambda: (ids, m))
    assert not index.loaded
    _check_all(index, ids, m, rng)
    assert index.loaded and len(index) == 2000


def test_search_many_equals_search() -> None:
    rng = np.random.default_rng(1)
    ids, m = _faces(rng, 1500)
    index = VectorIndex(lambda: (ids, m))
    qs = m[:40] + rng.normal(0, 0.02, (40, DIM)).astype(np.float32)
    ex = {ids[0], ids[5]}
    many = index.search_many(qs, 7, max_distance=0.5, exclude=ex)
    assert len(many) == 40
    data = dict(zip(ids, m, strict=True))
    for q, got in zip(qs, many, strict=True):
        _assert_same(got, index.search(q, 7, max_distance=0.5, exclude=ex), data, q)
    assert index.search_many(np.empty((0, DIM), np.float32), 3) == []


def test_add_and_remove_keep_brute_force_equality() -> None:
    rng = np.random.default_rng(2)
    ids, m = _faces(rng, 100)
    index = VectorIndex(lambda: (ids[:10], m[:10]))
    assert len(index) == 10  # loads
    cur_ids, cur_m = ids[:10], m[:10]
    # Many small adds cross several capacity doublings.
    for start in range(10, 100, 9):
        added = index.add(ids[start : start + 9], m[start : start + 9])
        assert added == len(ids[start : start + 9])
        cur_ids, cur_m = ids[: start + 9], m[: start + 9]
    _check_all(index, cur_ids, cur_m, rng)

    # Re-adding stored ids is a no-op (idempotent re-index, or already seen by the lazy load).
    assert index.add(ids[:3], m[:3] + 1.0) == 0
    np.testing.assert_array_equal(index.vector(ids[0]), m[0])

    gone = set(rng.choice(ids, size=30, replace=False).tolist()) | {"not-there"}
    assert index.remove(gone) == 30
    keep = [i for i, f in enumerate(ids) if f not in gone]
    cur_ids, cur_m = [ids[i] for i in keep], m[keep]
    assert index.face_ids() == cur_ids
    assert ids[0] in index or ids[0] in gone
    _check_all(index, cur_ids, cur_m, rng)

    more_ids, more = _faces(rng, 20, prefix="g")
    assert index.add(more_ids, more) == 20
    _check_all(index, cur_ids + more_ids, np.vstack([cur_m, more]), rng)

    assert index.remove(index.face_ids()) == len(cur_ids) + 20
    assert len(index) == 0
    assert index.search(m[0], 5) == []


def test_lazy_load_add_on_unloaded_index_and_invalidate() -> None:
    rng = np.random.default_rng(3)
    ids, m = _faces(rng, 50)
    calls: list[int] = []
    stored = {"n": 20}

    def loader() -> tuple[list[str], np.ndarray]:
        calls.append(1)
        n = stored["n"]
        return ids[:n], m[:n]

    index = VectorIndex(loader)
    # Not loaded: an add after a commit is left to the loader, which reads the committed rows.
    assert index.add(ids[20:30], m[20:30]) == 0
    stored["n"] = 30
    assert calls == []
    assert len(index) == 30 and calls == [1]
    index.search(m[0], 3)
    assert calls == [1]
    index.invalidate()
    stored["n"] = 50
    assert len(index) == 50 and calls == [1, 1]


def test_empty_collection_and_bad_input() -> None:
    index = VectorIndex(lambda: ([], np.empty((0, DIM), np.float32)))
    q = np.zeros(DIM, np.float32)
    assert index.search(q, 10) == []
    assert index.search_many(np.zeros((2, DIM), np.float32), 1) == [[], []]
    with pytest.raises(ValueError):
        index.search(q, 0)
    with pytest.raises(ValueError):
        index.search(np.zeros(64, np.float32), 1)
    with pytest.raises(ValueError):
        index.search(np.full(DIM, np.nan, np.float32), 1)
    with pytest.raises(ValueError):
        index.add(["a"], np.zeros((2, DIM), np.float32))
    with pytest.raises(ValueError):
        index.add(["a", "a"], np.zeros((2, DIM), np.float32))
    with pytest.raises(KeyError):
        index.vector("a")
    index.add(["a"], np.ones((1, DIM), np.float64))
    assert index.search(q, 1) == [("a", pytest.approx(np.sqrt(DIM), rel=1e-6))]
    bad = VectorIndex(lambda: (["x", "x"], np.zeros((2, DIM), np.float32)))
    with pytest.raises(ValueError):
        len(bad)


def test_face_exactly_at_threshold_is_kept() -> None:
    rng = np.random.default_rng(4)
    q = rng.normal(0.09, 0.045, DIM).astype(np.float32)
    step = rng.normal(0, 1, DIM)
    step /= np.linalg.norm(step)
    rows = np.stack([q + (0.6 * step).astype(np.float32), q + (0.61 * step).astype(np.float32)])
    index = VectorIndex(lambda: (["at", "over"], rows))
    d_at = float(np.linalg.norm(rows[0] - q))
    got = index.search(q, 10, max_distance=d_at)
    assert [f for f, _ in got] == ["at"]


def test_readers_see_consistent_snapshots_while_a_writer_adds_and_removes() -> None:
    rng = np.random.default_rng(5)
    ids, m = _faces(rng, 6000)
    data = dict(zip(ids, m, strict=True))
    index = VectorIndex(lambda: (ids[:500], m[:500]))
    len(index)
    q = m[0].copy()
    base_d = np.linalg.norm(m[:500] - q, axis=1)
    base = [(ids[i], float(base_d[i])) for i in range(500)]
    stop = threading.Event()
    errors: list[BaseException] = []
    checked = [0]

    def reader() -> None:
        try:
            while not stop.is_set():
                got = index.search(q, 25)
                ds = [d for _, d in got]
                assert ds == sorted(ds) and len(got) == 25
                for fid, d in got:
                    assert abs(float(np.linalg.norm(data[fid] - q)) - d) < 2e-6
                assert got[0][0] == ids[0]  # q is row 0 itself
                # The first 500 rows are in every snapshot: whichever snapshot answered, none
                # of them that is nearer than the 25th result may be missing.
                found = {f for f, _ in got}
                assert not [f for f, d in base if d < ds[-1] - 1e-5 and f not in found]
                many = index.search_many(np.stack([q, q]), 5)
                assert [f for f, _ in many[0]] == [f for f, _ in many[1]]
                checked[0] += 1
        except BaseException as e:  # surfaced by the main thread
            errors.append(e)
            stop.set()

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for start in range(500, 6000, 37):
            index.add(ids[start : start + 37], m[start : start + 37])
            if start % 5 == 0:
                index.remove([ids[start]])
    finally:
        stop.set()
        for t in readers:
            t.join()
    assert not errors, errors[0]
    assert checked[0] > 10
    removed = {ids[s] for s in range(500, 6000, 37) if s % 5 == 0}
    final = [f for f in ids if f not in removed]
    assert index.face_ids() == final
    fm = np.stack([data[f] for f in final])
    _assert_same(index.search(q, 40), _brute(final, fm, q, 40), data, q)


def test_registry_keys_by_database_and_collection() -> None:
    reg = VectorIndexRegistry()
    a = reg.get("sqlite:///a.db", "c1", lambda: (["x"], np.zeros((1, DIM), np.float32)))
    assert reg.get("sqlite:///a.db", "c1", lambda: ([], np.empty((0, DIM)))) is a
    b = reg.get("sqlite:///b.db", "c1", lambda: ([], np.empty((0, DIM))))
    assert b is not a and reg.peek("sqlite:///a.db", "c1") is a
    assert len(a) == 1 and len(b) == 0
    reg.drop("sqlite:///a.db", "c1")
    assert reg.peek("sqlite:///a.db", "c1") is None
    assert reg.get("sqlite:///a.db", "c1", lambda: ([], np.empty((0, DIM)))) is not a
    reg.drop_database("sqlite:///a.db")
    assert reg.peek("sqlite:///a.db", "c1") is None
    assert reg.peek("sqlite:///b.db", "c1") is b


@functools.cache
def _dlib_models() -> tuple[Any, Any, Any]:
    import dlib
    import face_recognition_models as frm

    return (
        dlib.get_frontal_face_detector(),
        dlib.shape_predictor(frm.pose_predictor_model_location()),
        dlib.face_recognition_model_v1(frm.face_recognition_model_location()),
    )


def _dlib_descriptors(path: Path) -> list[np.ndarray]:
    """Descriptors of the faces dlib's HOG detector finds, largest box first."""
    from PIL import Image, ImageOps

    image = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    detector, shapes, net = _dlib_models()
    upsample = 1 if max(image.shape[:2]) < 800 else 0  # small faces only in small photos here
    boxes = sorted(detector(image, upsample), key=lambda b: b.area(), reverse=True)
    return [
        np.array(net.compute_face_descriptor(image, shapes(image, box)), dtype=np.float32)
        for box in boxes
    ]


def test_real_photos_match_same_person_above_default_threshold() -> None:
    fr = TESTDATA / "real" / "face_recognition"
    stored = {
        "obama": _dlib_descriptors(fr / "obama.jpg"),
        "biden": _dlib_descriptors(fr / "biden.jpg"),
        "collins": _dlib_descriptors(TESTDATA / "real" / "skimage" / "astronaut.png"),
    }
    assert all(len(v) >= 1 for v in stored.values())  # HOG adds a false face on astronaut.png
    ids = list(stored)
    index = VectorIndex(lambda: (ids, np.stack([stored[i][0] for i in ids])))
    threshold = distance_for_similarity(80.0)
    for probe, who in (("obama2.jpg", "obama"), ("obama_small.jpg", "obama")):
        (q,) = _dlib_descriptors(fr / probe)
        got = index.search(q, 3)
        assert got[0][0] == who
        assert similarity(got[0][1]) >= 80.0
        assert all(similarity(d) < 80.0 for _, d in got[1:])
        assert [f for f, _ in index.search(q, 3, max_distance=threshold)] == [who]
    (q,) = _dlib_descriptors(TESTDATA / "derived" / "biden_exif_orientation6.jpg")
    assert index.search(q, 1)[0][0] == "biden"


def test_threshold_zero_and_infinite_distance() -> None:
    # FaceMatchThreshold 100 -> distance 0 (only the identical descriptor); 0 -> inf (everything).
    rng = np.random.default_rng(6)
    ids, m = _faces(rng, 3000)
    index = VectorIndex(lambda: (ids, m))
    assert index.search(m[7], 5, max_distance=distance_for_similarity(100.0)) == [(ids[7], 0.0)]
    everything = index.search(m[7], 3000, max_distance=distance_for_similarity(0.0))
    assert len(everything) == 3000
    assert index.search(m[7], 5, max_distance=-1.0) == []


def test_a_loader_with_duplicate_ids_or_a_nan_row_is_refused() -> None:
    rng = np.random.default_rng(3)
    m = rng.normal(0, 0.1, (40_000, DIM)).astype(np.float32)
    ids = [f"f{i:06d}" for i in range(40_000)]
    for dup in ([*ids[:6], *ids[5:-1]], [ids[1], ids[0], ids[1]]):  # sorted or not
        index = VectorIndex(lambda dup=dup: (dup, m[: len(dup)]))
        with pytest.raises(ValueError, match="duplicate"):
            len(index)
    bad = m.copy()
    bad[33_000, 7] = np.inf  # past the first blocks the NaN/inf check reads
    with pytest.raises(ValueError, match="NaN or inf"):
        len(VectorIndex(lambda: (ids, bad)))
    assert len(VectorIndex(lambda: (list(reversed(ids)), m))) == 40_000
