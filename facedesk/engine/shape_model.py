"""dlib's shape predictors (the 68- and 5-point landmark models) read into numpy arrays.

A dlib ``shape_predictor`` (Kazemi & Sullivan 2014, dlib/image_processing/shape_predictor.h)
is a cascade of regression-tree forests. Its ``serialize`` writes, in dlib's format (see
``descriptor_weights``: integers as a control byte plus little-endian bytes, floats as a
(mantissa, exponent) integer pair)::

    version (1)
    initial_shape   matrix<float,0,1>: -rows, -cols, then 2*parts floats (x0, y0, x1, ...)
    forests         vector (cascades) of vector (trees) of regression_tree:
                      splits       vector of {idx1, idx2 (ints), thresh (float)}
                      leaf_values  vector of matrix<float,0,1> (2*parts each)
    anchor_idx      vector (cascades) of vector of ints (the shape point each pixel hangs on)
    deltas          vector (cascades) of vector of dlib::vector<float,2> (x, y)

The whole file is nothing but such integers. The 68-point file holds 33 million of them
(16.3 million leaf floats, 99.7 MB); one at a time in Python that takes minutes, so
``dlib_tokens.integers`` splits the file into its integers with numpy first, and the
forests, being regular (every tree the same number of integers), are then cut out of that
array by reshaping, each field checked (counts, leaf sizes, index ranges).

Every tree must be complete (2^d - 1 splits, 2^d leaves, the same depth throughout), as
dlib's predictor requires; anything else raises ``DlibFormatError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from facedesk.engine.descriptor_weights import DlibFormatError
from facedesk.engine.dlib_tokens import integers

__all__ = ["DlibFormatError", "ShapeModel", "read_shape_predictor"]

F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class ShapeModel:
    """A shape predictor as arrays (C cascades, T trees, S = 2^d - 1 splits, L = 2^d leaves,
    F feature pixels per cascade, P points).

    Leaf values are float32 (``leaf_scale`` None) or int8 with one float32 scale per leaf
    (value = q * scale; see ``shape_store.quantise``).
    """

    initial_shape: F32  # (P, 2), in the box's unit square
    anchor_idx: I32  # (C, F)
    deltas: F32  # (C, F, 2)
    split_idx1: I32  # (C, T, S)
    split_idx2: I32  # (C, T, S)
    split_thresh: F32  # (C, T, S)
    leaf_values: npt.NDArray[np.float32] | npt.NDArray[np.int8]  # (C, T, L, 2P)
    leaf_scale: F32 | None = None  # (C, T, L) for int8 leaves

    @property
    def num_parts(self) -> int:
        return int(self.initial_shape.shape[0])

    @property
    def depth(self) -> int:
        return int(self.leaf_values.shape[2]).bit_length() - 1


def _floats(mantissa: I64, exponent: I64) -> F32:
    """dlib's float pairs: ldexp((double)mantissa, exponent), narrowed to float32."""
    if exponent.size and np.abs(exponent).max() > 1100:
        raise DlibFormatError("a float exponent out of range")
    return np.ldexp(mantissa.astype(np.float64), exponent).astype(np.float32)


class _Ints:
    """A cursor over the file's integers."""

    def __init__(self, values: I64) -> None:
        self.v = values
        self.i = 0

    def take(self, n: int) -> I64:
        if n < 0 or self.i + n > len(self.v):
            raise DlibFormatError("the file ends early (truncated)")
        out = self.v[self.i : self.i + n]
        self.i += n
        return out

    def one(self, what: str, low: int = 0, high: int = 1 << 31) -> int:
        value = int(self.take(1)[0])
        if not low <= value < high:
            raise DlibFormatError(f"{what}: {value} out of range")
        return value

    def floats(self, n: int) -> F32:
        pairs = self.take(2 * n).reshape(n, 2)
        return _floats(pairs[:, 0], pairs[:, 1])


def read_shape_predictor(path: Path) -> ShapeModel:
    """The shape predictor in dlib's ``.dat`` file ``path``; DlibFormatError (naming the
    file) if it is not one, or is truncated."""
    try:
        return _read(_Ints(integers(path.read_bytes())))
    except (DlibFormatError, IndexError, ValueError) as exc:
        raise DlibFormatError(f"{path.name} is not a dlib shape predictor: {exc}") from exc


def _read(r: _Ints) -> ShapeModel:
    if r.one("version") != 1:
        raise DlibFormatError("unknown shape_predictor version")
    size = -r.one("initial shape rows", -8192, 0)
    if -r.one("initial shape columns", -1, 0) != 1 or size % 2:
        raise DlibFormatError("the initial shape is not a 2N x 1 vector")
    initial = r.floats(size)

    cascades = r.one("cascades", 1, 1000)
    per_cascade: list[tuple[I64, F32]] = []
    splits = leaves = -1
    for _ in range(cascades):
        trees = r.one("trees", 1, 100_000)
        if splits < 0:  # every tree of a dlib model is complete and equally deep
            splits = int(r.v[r.i]) if r.i < len(r.v) else -1
            leaves = splits + 1
            if splits < 0 or leaves & splits or splits > 1 << 12:
                raise DlibFormatError(f"a tree with {splits} splits is not complete")
        # one tree: splits, (idx1, idx2, mantissa, exponent) per split, leaves,
        # (-size, -1, 2*size float integers) per leaf
        per_tree = 1 + 4 * splits + 1 + leaves * (2 + 2 * size)
        block = r.take(trees * per_tree).reshape(trees, per_tree)
        leaf_at = 2 + 4 * splits
        if np.any(block[:, 0] != splits) or np.any(block[:, leaf_at - 1] != leaves):
            raise DlibFormatError("trees of different shapes")
        split_part = block[:, 1 : leaf_at - 1].reshape(trees, splits, 4)
        leaf_part = block[:, leaf_at:].reshape(trees, leaves, 2 + 2 * size)
        if np.any(leaf_part[:, :, 0] != -size) or np.any(leaf_part[:, :, 1] != -1):
            raise DlibFormatError("a leaf is not a vector of the shape's size")
        pairs = leaf_part[:, :, 2:].reshape(trees, leaves, size, 2)
        per_cascade.append((split_part, _floats(pairs[..., 0], pairs[..., 1])))
    if len({p[0].shape[0] for p in per_cascade}) != 1:
        raise DlibFormatError("cascades with different numbers of trees")

    if r.one("anchor cascades") != cascades:
        raise DlibFormatError("anchor_idx does not match the cascades")
    anchors = [r.take(r.one("anchors")) for _ in range(cascades)]
    if r.one("delta cascades") != cascades:
        raise DlibFormatError("deltas do not match the cascades")
    deltas = [r.floats(2 * r.one("deltas")).reshape(-1, 2) for _ in range(cascades)]
    if r.i != len(r.v):
        raise DlibFormatError(f"{len(r.v) - r.i} integers after the model")

    features = len(anchors[0])
    if any(len(a) != features for a in anchors) or any(len(d) != features for d in deltas):
        raise DlibFormatError("cascades with different feature-pixel counts")
    anchor_arr = np.stack(anchors)
    if anchor_arr.size and (anchor_arr.min() < 0 or anchor_arr.max() >= size // 2):
        raise DlibFormatError("an anchor index is not a shape point")
    split_arr = np.stack([p[0] for p in per_cascade])  # (C, T, S, 4)
    idx = split_arr[..., :2]
    if idx.size and (idx.min() < 0 or idx.max() >= features):
        raise DlibFormatError("a split reads a pixel the cascade does not have")
    return ShapeModel(
        initial_shape=initial.reshape(-1, 2),
        anchor_idx=anchor_arr.astype(np.int32),
        deltas=np.stack(deltas).astype(np.float32),
        split_idx1=idx[..., 0].astype(np.int32),
        split_idx2=idx[..., 1].astype(np.int32),
        split_thresh=_floats(split_arr[..., 2], split_arr[..., 3]),
        leaf_values=np.stack([p[1] for p in per_cascade]),
    )
