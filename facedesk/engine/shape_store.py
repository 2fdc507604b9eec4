"""The compact form of dlib's shape predictors: ``.npz`` files, shipped or cached.

dlib's 68-point predictor is 99.7 MB of serialized floats; as arrays (``shape_model``) its
16.3 million leaf values are the bulk. Its leaves are stored as int8 with one float32
scale per leaf (``quantise``): 18.2 MB. The 5-point predictor, which aligns the descriptor
chips, is kept in float32 (6.3 MB): its points then equal dlib's exactly, and so do the
descriptors (one pixel's move of a 5-point landmark moves a descriptor by ~0.05). What
int8 costs in landmarks and pose was measured against dlib on every testdata face
(BENCHMARKS.md, "Desktop install"; ``bench/shape_predictor.py``). Splits, anchors, deltas
and the initial shape are exact in both.

Where a model comes from, as for the descriptor graph (``descriptor_net``):

1. the file an install ships beside the vendored models (``facedesk/engine/models``; the
   desktop bundle: packaging/facedesk.spec converts at build time and leaves the ``.dat``
   out), used when it names the ``.dat`` it was made from;
2. the user's cache (``cache_dir()/models``), named by the ``.dat`` file's name, size and
   modification time and this module's FORMAT_VERSION;
3. otherwise the ``.dat`` is converted, once (22-50 s for the 68-point file on the loaded
   2-core development machine, 0.9 GB peak memory), and the result cached.

Every file is checked as it is read: its format version, its source, the arrays' shapes
and kinds (``np.load`` also checks each member's CRC), so a damaged or foreign file is
converted again (cache) or refused with a clear error (shipped file without a ``.dat``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from facedesk.engine.atomic_write import write_atomically
from facedesk.engine.shape_model import ShapeModel, read_shape_predictor

__all__ = [
    "FORMAT_VERSION",
    "ShapeStoreError",
    "compact_model",
    "dumps",
    "loads",
    "quantise",
    "shipped_name",
    "shipped_source",
    "write_shipped",
]

log = logging.getLogger(__name__)

# Bump when what ``dumps`` writes changes (arrays, quantisation): older caches are ignored.
FORMAT_VERSION = 1
QUANTISATION = "int8-per-leaf"


class ShapeStoreError(ValueError):
    """A compact shape-model file that cannot be used (damaged, foreign, other version)."""


def quantise(model: ShapeModel) -> ShapeModel:
    """Leaf values as int8 with one float32 scale per leaf: value ~ q * scale, at most
    scale / 2 off (scale = the leaf's largest magnitude / 127)."""
    if model.leaf_scale is not None:
        return model
    leaves = model.leaf_values.astype(np.float32)
    peak = np.abs(leaves).max(axis=-1)
    scale = (np.where(peak > 0, peak, 1.0) / 127.0).astype(np.float32)
    q = np.clip(np.rint(leaves / scale[..., None]), -127, 127).astype(np.int8)
    return replace(model, leaf_values=q, leaf_scale=scale)


_FIELDS = (
    ("initial_shape", np.float32, 2),
    ("anchor_idx", np.int32, 2),
    ("deltas", np.float32, 3),
    ("split_idx1", np.int32, 3),
    ("split_idx2", np.int32, 3),
    ("split_thresh", np.float32, 3),
)


def dumps(model: ShapeModel, source: dict[str, Any]) -> bytes:
    """The model as ``.npz`` bytes, with ``source`` (the ``.dat``'s name, size, sha256) and
    the format version in a ``meta`` member."""
    meta = {**source, "format_version": FORMAT_VERSION}
    if model.leaf_scale is not None:
        meta["quantisation"] = QUANTISATION
    arrays: dict[str, npt.NDArray[Any]] = {name: getattr(model, name) for name, _, _ in _FIELDS}
    arrays["leaf_values"] = model.leaf_values
    if model.leaf_scale is not None:
        arrays["leaf_scale"] = model.leaf_scale
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def loads(data: bytes) -> tuple[ShapeModel, dict[str, Any]]:
    """A model and its metadata from ``dumps`` bytes; ShapeStoreError if they are not that."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
                raise ShapeStoreError("a compact shape model of another format version")
            arrays = {name: z[name] for name in z.files if name != "meta"}
    except ShapeStoreError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise ShapeStoreError(f"not a readable compact shape model: {exc}") from exc
    return _checked(arrays, meta), meta


def _checked(arrays: dict[str, npt.NDArray[Any]], meta: dict[str, Any]) -> ShapeModel:
    for name, dtype, ndim in _FIELDS:
        a = arrays.get(name)
        if a is None or a.dtype != dtype or a.ndim != ndim:
            raise ShapeStoreError(f"compact shape model: {name} missing or malformed")
    leaves, scale = arrays.get("leaf_values"), arrays.get("leaf_scale")
    quantised = meta.get("quantisation") == QUANTISATION
    want = np.int8 if quantised else np.float32
    if leaves is None or leaves.dtype != want or leaves.ndim != 4:
        raise ShapeStoreError("compact shape model: leaf values missing or malformed")
    if quantised and (scale is None or scale.shape != leaves.shape[:3]):
        raise ShapeStoreError("compact shape model: leaf scales missing or malformed")
    cascades, trees, splits = arrays["split_idx1"].shape
    points = arrays["initial_shape"].shape[0]
    features = arrays["anchor_idx"].shape[1]
    if (
        leaves.shape != (cascades, trees, splits + 1, 2 * points)
        or (splits + 1) & splits
        or arrays["anchor_idx"].shape[0] != cascades
        or arrays["deltas"].shape != (cascades, features, 2)
        or arrays["split_thresh"].shape != arrays["split_idx1"].shape
        or arrays["split_idx2"].shape != arrays["split_idx1"].shape
        or min(arrays["split_idx1"].min(), arrays["split_idx2"].min()) < 0
        or max(arrays["split_idx1"].max(), arrays["split_idx2"].max()) >= features
        or arrays["anchor_idx"].min() < 0
        or arrays["anchor_idx"].max() >= points
    ):
        raise ShapeStoreError("compact shape model: arrays do not fit together")
    return ShapeModel(
        initial_shape=arrays["initial_shape"],
        anchor_idx=arrays["anchor_idx"],
        deltas=arrays["deltas"],
        split_idx1=arrays["split_idx1"],
        split_idx2=arrays["split_idx2"],
        split_thresh=arrays["split_thresh"],
        leaf_values=leaves,
        leaf_scale=scale.astype(np.float32) if quantised and scale is not None else None,
    )


def _source(path: Path) -> dict[str, Any]:
    return {
        "source": path.name,
        "source_size": path.stat().st_size,
        "source_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def _convert(path: Path, quantised: bool) -> tuple[ShapeModel, bytes]:
    model = read_shape_predictor(path)
    if quantised:
        model = quantise(model)
    return model, dumps(model, _source(path))


def shipped_name(dat_name: str, quantised: bool) -> str:
    """The compact file shipped for dlib's ``dat_name``."""
    return dat_name.removesuffix(".dat") + (".int8.npz" if quantised else ".f32.npz")


def write_shipped(path: Path, folder: Path, quantised: bool) -> Path:
    """Build time: convert the ``.dat`` at ``path`` into ``folder``; returns the file."""
    _model, data = _convert(path, quantised)
    target = folder / shipped_name(path.name, quantised)
    write_atomically(target, data)
    return target


def shipped_source(dat_name: str, folder: Path | None = None) -> dict[str, Any] | None:
    """The metadata (source name, size, sha256) of the compact form of ``dat_name`` that an
    install ships in ``folder`` (default: the vendored models' folder), or None."""
    for quantised in (True, False):
        path = (folder or _shipped_dir()) / shipped_name(dat_name, quantised)
        if not path.is_file():
            continue
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        if isinstance(meta, dict) and meta.get("format_version") == FORMAT_VERSION:
            return meta if meta.get("source") == dat_name else None
    return None


def _shipped_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("facedesk.engine.models")))


def _cache_file(path: Path, quantised: bool) -> Path:
    from facedesk.config import cache_dir

    st = path.stat()
    key = hashlib.sha256(f"{path.name}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()
    name = shipped_name(path.name, quantised).replace(".", f"-{key[:16]}-v{FORMAT_VERSION}.", 1)
    return cache_dir() / "models" / name


_lock = threading.Lock()
_loaded: dict[tuple[Path, bool], ShapeModel] = {}


def compact_model(path: Path, quantised: bool, shipped: Path | None = None) -> ShapeModel:
    """The compact model of dlib's shape predictor ``path`` (which need not exist when an
    install ships its compact file in ``shipped``, default the vendored models' folder),
    with int8 leaves if ``quantised``. One instance per process: the arrays are read-only
    and the predictor is a pure function, so every thread shares it."""
    key = (path, quantised)
    with _lock:
        model = _loaded.get(key)
        if model is None:
            model = _find(path, quantised, shipped or _shipped_dir())
            _loaded[key] = model
        return model


def _usable(meta: dict[str, Any], path: Path, quantised: bool) -> bool:
    """Whether a compact file's metadata says it was made from ``path`` as asked."""
    return (
        meta.get("source") == path.name
        and (meta.get("quantisation") == QUANTISATION) == quantised
        and (not path.is_file() or meta.get("source_size") == path.stat().st_size)
    )


def _find(path: Path, quantised: bool, shipped_dir: Path) -> ShapeModel:
    shipped = shipped_dir / shipped_name(path.name, quantised)
    if shipped.is_file():
        try:
            model, meta = loads(shipped.read_bytes())
        except (OSError, ShapeStoreError) as exc:
            if not path.is_file():
                raise ShapeStoreError(f"{shipped}: {exc}") from exc
            log.warning("shipped %s unusable (%s); converting %s", shipped.name, exc, path.name)
        else:
            if _usable(meta, path, quantised):
                return model
    if not path.is_file():
        raise FileNotFoundError(f"dlib model file missing and no compact form shipped: {path}")
    cached = _cache_file(path, quantised)
    try:
        model, meta = loads(cached.read_bytes())
        if _usable(meta, path, quantised):
            return model
        log.info("cached %s is for another file; converting again", cached.name)
    except FileNotFoundError:
        pass
    except (OSError, ShapeStoreError) as exc:
        log.warning("cached %s unusable (%s); converting again", cached.name, exc)
    model, data = _convert(path, quantised)
    try:
        write_atomically(cached, data)
    except OSError as exc:
        log.info("compact shape model not cached (%s)", exc)
    return model
