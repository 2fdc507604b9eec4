"""dlib's shape predictors read from their .dat files and run in numpy (issue 21).

Unquantised, the numpy predictor must give dlib's own points exactly (same arithmetic,
same rounding); the int8 68-point model (what facedesk ships) within the budget measured
by bench/shape_predictor.py; the reader must refuse damaged files clearly; the compact
form must be cached once and survive a damaged or unwritable cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facedesk.engine import dlib_models, dlib_tokens, shape_store
from facedesk.engine.cnn_detect import detect_cnn
from facedesk.engine.descriptor_weights import DlibFormatError
from facedesk.engine.shape_model import ShapeModel, read_shape_predictor
from facedesk.engine.shape_predict import Rect, predict, predict_many
from facedesk.engine.versions import cnn_available

PHOTOS = [
    "real/dlib/bald_guys.jpg",
    "real/face_recognition/obama_and_biden.jpg",
    "real/face_recognition/biden.jpg",
    "real/dlib/2008_002470.jpg",
]


def _photos(testdata: Path) -> list[np.ndarray]:
    out = []
    for rel in PHOTOS:
        path = testdata / rel
        if path.is_file():
            out.append(np.asarray(Image.open(path).convert("RGB")))
    assert len(out) >= 3
    return out


def _boxes(rgb: np.ndarray) -> list[Rect]:
    """FaceModelVersion 1.0's HOG boxes and 7.0's libfacedetection boxes (dlib convention)."""
    import dlib

    hog = dlib.get_frontal_face_detector()
    out = [Rect(r.left(), r.top(), r.right(), r.bottom()) for r in hog(rgb, 1)]
    if cnn_available():
        h, w = rgb.shape[:2]
        for d in detect_cnn(rgb, w, h):
            out.append(Rect(round(d.left), round(d.top), round(d.right) - 1, round(d.bottom) - 1))
    return out


@pytest.fixture(scope="module")
def faces(testdata: Path) -> list[tuple[np.ndarray, Rect]]:
    found = [(rgb, rect) for rgb in _photos(testdata) for rect in _boxes(rgb)]
    assert len(found) >= 30
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sp68", "sp5"])
def test_unquantised_points_equal_dlibs(name: str, faces: list[tuple[np.ndarray, Rect]]) -> None:
    model = read_shape_predictor(dlib_models.model_path(name))
    dlib_run = dlib_models.dlib_predictor(name)
    for rgb, rect in faces:
        np.testing.assert_array_equal(predict(rgb, rect, model), dlib_run(rgb, rect))
    # grey input gives what an RGB input's intensities give
    rgb, rect = faces[0]
    grey = (rgb.astype(np.int32).sum(axis=2) // 3).astype(np.uint8)
    np.testing.assert_array_equal(predict(grey, rect, model), predict(rgb, rect, model))


@pytest.mark.slow
def test_shipped_forms_within_budget(faces: list[tuple[np.ndarray, Rect]]) -> None:
    """What analyzer uses: sp5 float32 (exact), sp68 int8 within the measured budget."""
    sp68, sp5 = dlib_models.ShapePredictor("sp68"), dlib_models.ShapePredictor("sp5")
    assert sp68.model.leaf_scale is not None and sp5.model.leaf_scale is None
    dlib68, dlib5 = dlib_models.dlib_predictor("sp68"), dlib_models.dlib_predictor("sp5")
    rel: list[float] = []
    for rgb, rect in faces:
        np.testing.assert_array_equal(sp5(rgb, rect), dlib5(rgb, rect))
        moved = np.hypot(*(sp68(rgb, rect) - dlib68(rgb, rect)).T)
        rel.extend(moved / (rect.right - rect.left))
    # bench/shape_predictor.py on all 238 testdata faces (BENCHMARKS.md "Desktop install"):
    # max 6.0 %, p99 3.4 %, mean 0.5 % of the box width; dlib's own points move by as much
    # when the box moves by one pixel
    assert max(rel) < 0.08
    assert float(np.percentile(rel, 99)) < 0.045
    assert float(np.mean(rel)) < 0.01


@pytest.mark.parametrize("name", ["sp68", "sp5"])
def test_all_faces_at_once_equal_one_by_one(
    name: str, faces: list[tuple[np.ndarray, Rect]]
) -> None:
    """predict_many (the analyzer's call: every face of a photo at once) gives each face's
    points to the bit, on the shipped forms (int8 68 points, float32 5 points), for RGB and
    grey pictures and boxes that reach past the picture's edges."""
    model = dlib_models.ShapePredictor(name).model
    by_photo: dict[int, tuple[np.ndarray, list[Rect]]] = {}
    for rgb, rect in faces:
        by_photo.setdefault(id(rgb), (rgb, []))[1].append(rect)
    checked = 0
    for rgb, rects in by_photo.values():
        h, w = rgb.shape[:2]
        rects = [*rects, Rect(-25, -30, 70, 60), Rect(w - 40, h - 50, w + 35, h + 20)]
        grey = (rgb.astype(np.int32).sum(axis=2) // 3).astype(np.uint8)
        for image in (rgb, grey):
            many = predict_many(image, rects, model)
            assert many.shape == (len(rects), model.initial_shape.shape[0], 2)
            for rect, points in zip(rects, many, strict=True):
                np.testing.assert_array_equal(points, predict(image, rect, model))
                checked += 1
    assert checked >= 60
    assert predict_many(faces[0][0], [], model).shape == (0, model.initial_shape.shape[0], 2)
    # a crowd is predicted in groups: the same points
    rgb, rect = faces[0]
    crowd = [Rect(rect.left + i, rect.top + i % 3, rect.right + i, rect.bottom) for i in range(70)]
    many = predict_many(rgb, crowd, model)
    for box, points in zip(crowd[::23], many[::23], strict=True):
        np.testing.assert_array_equal(points, predict(rgb, box, model))


def test_integers_equal_a_plain_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    data = dlib_models.model_path("sp5").read_bytes()[:400_000]
    want, pos = [], 0
    while pos < len(data):  # dlib's integer format, one at a time
        size = data[pos] & 0x0F
        if pos + 1 + size > len(data):
            break
        value = int.from_bytes(data[pos + 1 : pos + 1 + size], "little")
        want.append(-value if data[pos] & 0x80 else value)
        pos += 1 + size
    data = data[:pos]
    assert np.array_equal(dlib_tokens.integers(data), np.array(want))
    # chunks too short for the walkers to synchronise: the restart path, same result
    monkeypatch.setattr(dlib_tokens, "_CHUNK", 8)
    assert np.array_equal(dlib_tokens.integers(data), np.array(want))


def test_reader_refuses_damaged_and_foreign_files(tmp_path: Path) -> None:
    good = dlib_models.model_path("sp5").read_bytes()
    model = read_shape_predictor(dlib_models.model_path("sp5"))
    assert model.initial_shape.shape == (5, 2)
    assert model.leaf_values.shape == (15, 500, 16, 10)
    assert model.anchor_idx.shape == (15, 800) and model.deltas.shape == (15, 800, 2)
    cases = {
        "cut.dat": good[:5_000_000],  # truncated mid-forest
        "tail.dat": good + b"\x01\x05",  # bytes after the model
        "noise.dat": np.random.default_rng(1).integers(0, 256, 100_000, np.uint8).tobytes(),
        "empty.dat": b"",
        "flipped.dat": good[:2] + b"\x7f" + good[3:],  # a bad control byte
    }
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(DlibFormatError, match=f"{name} is not a dlib shape predictor"):
            read_shape_predictor(path)
    # another dlib file (the descriptor network) is refused, not misread
    with pytest.raises(DlibFormatError):
        read_shape_predictor(dlib_models.model_path("mmod"))


def _same(a: ShapeModel, b: ShapeModel) -> bool:
    return all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("initial_shape", "anchor_idx", "deltas", "split_idx1", "split_idx2")
    ) and np.array_equal(a.leaf_values, b.leaf_values)


def test_store_round_trip_and_quantisation() -> None:
    model = read_shape_predictor(dlib_models.model_path("sp5"))
    back, meta = shape_store.loads(shape_store.dumps(model, {"source": "x.dat"}))
    assert _same(model, back) and back.leaf_scale is None and meta["source"] == "x.dat"
    q = shape_store.quantise(model)
    assert q.leaf_values.dtype == np.int8 and q.leaf_scale is not None
    restored = q.leaf_values.astype(np.float32) * q.leaf_scale[..., None]
    assert np.all(np.abs(restored - model.leaf_values) <= q.leaf_scale[..., None] / 2 + 1e-9)
    qb, qmeta = shape_store.loads(shape_store.dumps(q, {}))
    assert _same(q, qb) and qmeta["quantisation"] == shape_store.QUANTISATION
    with pytest.raises(shape_store.ShapeStoreError):
        shape_store.loads(b"not a zip")
    data = bytearray(shape_store.dumps(model, {}))
    data[len(data) // 2] ^= 0xFF  # one flipped byte: the member's CRC no longer fits
    with pytest.raises(shape_store.ShapeStoreError):
        shape_store.loads(bytes(data))


def test_cached_once_and_damage_costs_only_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACEDESK_CACHE_DIR", str(tmp_path / "cache"))
    dat = dlib_models.model_path("sp5")
    empty = tmp_path / "no-shipped"
    first = shape_store._find(dat, False, empty)
    cached = list((tmp_path / "cache" / "models").glob("shape_predictor_5*.npz"))
    assert len(cached) == 1
    converted: list[Path] = []
    real = shape_store.read_shape_predictor

    def counting(path: Path) -> ShapeModel:
        converted.append(path)
        return real(path)

    monkeypatch.setattr(shape_store, "read_shape_predictor", counting)
    assert _same(shape_store._find(dat, False, empty), first) and converted == []
    cached[0].write_bytes(b"damaged")
    assert _same(shape_store._find(dat, False, empty), first) and len(converted) == 1
    assert shape_store.loads(cached[0].read_bytes())[0] is not None  # rewritten
    # the int8 form is another file, not the float32 one
    assert shape_store._find(dat, True, empty).leaf_scale is not None
    assert len(list((tmp_path / "cache" / "models").glob("*.npz"))) == 2
    # a cache that cannot be written costs the conversion, nothing else
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("FACEDESK_CACHE_DIR", str(blocker))
    assert _same(shape_store._find(dat, False, empty), first)


def test_shipped_form_without_the_dat(tmp_path: Path) -> None:
    dat = dlib_models.model_path("sp5")
    folder = tmp_path / "models"
    shipped = shape_store.write_shipped(dat, folder, quantised=False)
    assert shipped.name == "shape_predictor_5_face_landmarks.f32.npz"
    missing = tmp_path / "gone" / dat.name
    model = shape_store._find(missing, False, folder)
    assert _same(model, read_shape_predictor(dat))
    meta = shape_store.shipped_source(dat.name, folder)
    assert meta is not None and meta["source_size"] == dat.stat().st_size
    with pytest.raises(FileNotFoundError, match="no compact form shipped"):
        shape_store._find(missing, True, folder)  # the int8 form was not shipped
    shipped.write_bytes(shipped.read_bytes()[:1000])
    with pytest.raises(shape_store.ShapeStoreError):
        shape_store._find(missing, False, folder)
