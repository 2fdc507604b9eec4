"""dlib's shape predictor (``shape_predictor::operator()``) computed with numpy.

For each cascade, as dlib/image_processing/shape_predictor.h does it:

1. the similarity transform (Umeyama; dlib's ``find_similarity_transform``, in double,
   then narrowed to float) that takes the model's initial shape to the current shape;
2. each feature pixel ``tform * delta + current[anchor]`` (float32), mapped from the box's
   unit square into the image by ``unnormalizing_tform(rect)`` (x = left + u*(right-left),
   y = top + v*(bottom-top), in double) and rounded as dlib rounds a point
   (``floor(v + 0.5)``);
3. its grey value: ``get_pixel_intensity`` of an RGB pixel is (r + g + b) / 3 truncated
   (dlib's rgb -> grey ``assign_pixel``); 0 outside the image;
4. every tree walked at once: ``value[idx1] - value[idx2] > thresh`` goes left
   (2i+1), else right (2i+2), down to a leaf;
5. the leaves added to the shape in the trees' order, in float32 (``cumsum`` adds them one
   after another, as dlib's loop does, so the sums round as dlib's do).

The parts are the final shape mapped into the image and rounded the same way. Only the
feature pixels are read (500 per cascade for the 68-point model), so an RGB photo is never
converted to grey as a whole.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from facedesk.engine.shape_model import ShapeModel

__all__ = ["Rect", "predict"]


class Rect(NamedTuple):
    """dlib's ``rectangle``: inclusive pixel corners (right = left + width - 1)."""

    left: int
    top: int
    right: int
    bottom: int


def _similarity(
    centred_from: npt.NDArray[np.float64], norm_from: float, to: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The 2x2 part of dlib's ``find_similarity_transform(from, to)`` as float32.

    dlib solves it with Umeyama's SVD; in 2-D the same least-squares similarity (a proper
    rotation times a scale) has the closed form [[a, -b], [b, a]] with a and b the dot and
    cross products of the centred shapes over the centred ``from`` shape's squared norm
    (``centred_from`` and ``norm_from`` are the model's, computed once)."""
    b = to.astype(np.float64)
    db = b - b.mean(axis=0)
    fx, fy = centred_from[:, 0], centred_from[:, 1]
    a = float(fx @ db[:, 0] + fy @ db[:, 1]) / norm_from
    c = float(fx @ db[:, 1] - fy @ db[:, 0]) / norm_from
    return np.array([[a, -c], [c, a]], dtype=np.float32)


def _to_image(
    u: npt.NDArray[np.float32], v: npt.NDArray[np.float32], rect: Rect
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Unit-square points -> rounded image pixels (dlib's unnormalizing_tform, then the
    float -> integer point conversion ``floor(v + 0.5)``)."""
    x = rect.left + u.astype(np.float64) * (rect.right - rect.left)
    y = rect.top + v.astype(np.float64) * (rect.bottom - rect.top)
    return np.floor(x + 0.5).astype(np.int64), np.floor(y + 0.5).astype(np.int64)


def _intensity(
    image: npt.NDArray[np.uint8], x: npt.NDArray[np.int64], y: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    h, w = image.shape[:2]
    inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
    at = np.where(inside, y * w + x, 0)
    if image.ndim == 3:
        px = np.take(image.reshape(-1, 3), at, axis=0).astype(np.int32)
        grey = (px[:, 0] + px[:, 1] + px[:, 2]) // 3
    else:
        grey = np.take(image.reshape(-1), at)
    return np.asarray(grey * inside, dtype=np.float32)


def predict(image: npt.NDArray[np.uint8], rect: Rect, model: ShapeModel) -> npt.NDArray[np.int64]:
    """The model's points (P, 2) as integer (x, y) pixels of ``image`` (H x W grey or
    H x W x 3 RGB, uint8) for the face in ``rect``: what dlib's predictor returns."""
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"image must be H x W or H x W x 3, got {image.shape}")
    initial = model.initial_shape
    centred = initial.astype(np.float64) - initial.astype(np.float64).mean(axis=0)
    norm = float((centred * centred).sum())
    shape = initial.reshape(-1).copy()
    cascades, trees, splits = model.split_idx1.shape
    leaves = splits + 1
    tree_base = np.arange(trees) * splits
    leaf_rows = model.leaf_values.reshape(cascades * trees * leaves, -1)
    scales = None if model.leaf_scale is None else model.leaf_scale.reshape(-1)
    steps = np.empty((trees + 1, shape.size), dtype=np.float32)
    for c in range(cascades):
        current = shape.reshape(-1, 2)
        tform = _similarity(centred, norm, current)
        d = model.deltas[c]
        anchor = current[model.anchor_idx[c]]
        u = (tform[0, 0] * d[:, 0] + tform[0, 1] * d[:, 1]) + anchor[:, 0]
        v = (tform[1, 0] * d[:, 0] + tform[1, 1] * d[:, 1]) + anchor[:, 1]
        x, y = _to_image(u, v, rect)
        values = _intensity(image, x, y)
        # every split of every tree at once, then each tree's path through them
        left = (
            np.take(values, model.split_idx1[c]) - np.take(values, model.split_idx2[c])
            > model.split_thresh[c]
        ).reshape(-1)
        node = np.zeros(trees, dtype=np.int64)
        for _ in range(model.depth):
            node = 2 * node + 2 - left[tree_base + node]
        rows = (c * trees + np.arange(trees)) * leaves + (node - splits)
        # dlib adds the trees' leaves one after another in float32; a sum down axis 0 of a
        # C-ordered array adds row after row, so it rounds exactly as dlib does
        steps[0] = shape
        if scales is None:
            np.take(leaf_rows, rows, axis=0, out=steps[1:])
        else:
            np.multiply(
                np.take(leaf_rows, rows, axis=0), np.take(scales, rows)[:, None], out=steps[1:]
            )
        shape = steps.sum(axis=0, dtype=np.float32)
    final = shape.reshape(-1, 2)
    x, y = _to_image(final[:, 0], final[:, 1], rect)
    return np.stack([x, y], axis=1)
