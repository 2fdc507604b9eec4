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

import weakref
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from facedesk.engine.shape_model import ShapeModel

__all__ = ["Rect", "predict", "predict_many"]

# Faces per predict_many step: its leaf sums take (trees + 1) x faces x 2P float32, 0.27 MB
# a face for the 68-point model.
MANY_AT_ONCE: Final = 32


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
    # negative coordinates wrap to huge unsigned ones: one comparison per axis
    inside = (x.view(np.uint64) < w) & (y.view(np.uint64) < h)
    at = np.where(inside, y * w + x, 0)
    if image.ndim == 3:
        px = np.take(image.reshape(-1, 3), at, axis=0).sum(axis=1, dtype=np.int32)
        grey = px // 3
    else:
        grey = np.take(image.reshape(-1), at)
    return np.asarray(grey * inside, dtype=np.float32)


class _Plan(NamedTuple):
    """What ``predict`` derives from a model, once per model."""

    centred: npt.NDArray[np.float64]  # the initial shape, centred
    norm: float  # its squared norm
    dx: npt.NDArray[np.float32]  # (C, F) contiguous delta components
    dy: npt.NDArray[np.float32]
    ax: npt.NDArray[np.intp]  # (C, F) index of each feature's anchor x in the flat shape
    ay: npt.NDArray[np.intp]
    tree_base: npt.NDArray[np.intp]  # (T,) first split of each tree in a cascade's splits
    leaf_rows: npt.NDArray[np.float32] | npt.NDArray[np.int8]  # (C*T*L, 2P)
    scales: npt.NDArray[np.float32] | None  # (C*T*L,)


# one plan per live model (weak: a model dropped by its owner takes its plan with it)
_PLANS: weakref.WeakKeyDictionary[ShapeModel, _Plan] = weakref.WeakKeyDictionary()


def _plan(model: ShapeModel) -> _Plan:
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = _make_plan(model)
    return plan


def _make_plan(model: ShapeModel) -> _Plan:
    initial = model.initial_shape.astype(np.float64)
    centred = initial - initial.mean(axis=0)
    cascades, trees, splits = model.split_idx1.shape
    anchor = model.anchor_idx.astype(np.intp)
    return _Plan(
        centred=centred,
        norm=float((centred * centred).sum()),
        dx=np.ascontiguousarray(model.deltas[..., 0]),
        dy=np.ascontiguousarray(model.deltas[..., 1]),
        ax=2 * anchor,
        ay=2 * anchor + 1,
        tree_base=np.arange(trees, dtype=np.intp) * splits,
        leaf_rows=model.leaf_values.reshape(cascades * trees * (splits + 1), -1),
        scales=None if model.leaf_scale is None else model.leaf_scale.reshape(-1),
    )


def predict(image: npt.NDArray[np.uint8], rect: Rect, model: ShapeModel) -> npt.NDArray[np.int64]:
    """The model's points (P, 2) as integer (x, y) pixels of ``image`` (H x W grey or
    H x W x 3 RGB, uint8) for the face in ``rect``: what dlib's predictor returns."""
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"image must be H x W or H x W x 3, got {image.shape}")
    plan = _plan(model)
    shape = model.initial_shape.reshape(-1).copy()
    cascades, trees, splits = model.split_idx1.shape
    leaves = splits + 1
    depth = model.depth
    tree_rows = np.arange(trees) * leaves - splits
    steps = np.empty((trees + 1, shape.size), dtype=np.float32)
    for c in range(cascades):
        t = _similarity(plan.centred, plan.norm, shape.reshape(-1, 2))
        dx, dy = plan.dx[c], plan.dy[c]
        u = (t[0, 0] * dx + t[0, 1] * dy) + np.take(shape, plan.ax[c])
        v = (t[1, 0] * dx + t[1, 1] * dy) + np.take(shape, plan.ay[c])
        x, y = _to_image(u, v, rect)
        values = _intensity(image, x, y)
        # every split of every tree at once, then each tree's path through them
        left = (
            np.take(values, model.split_idx1[c]) - np.take(values, model.split_idx2[c])
            > model.split_thresh[c]
        ).reshape(-1)
        node = np.zeros(trees, dtype=np.intp)
        for _ in range(depth):
            node = 2 * node + 2 - np.take(left, plan.tree_base + node)
        rows = tree_rows + node + c * trees * leaves
        # dlib adds the trees' leaves one after another in float32; a sum down axis 0 of a
        # C-ordered array adds row after row, so it rounds exactly as dlib does
        steps[0] = shape
        if plan.scales is None:
            np.take(plan.leaf_rows, rows, axis=0, out=steps[1:])
        else:
            np.multiply(
                np.take(plan.leaf_rows, rows, axis=0),
                np.take(plan.scales, rows)[:, None],
                out=steps[1:],
            )
        shape = steps.sum(axis=0, dtype=np.float32)
    final = shape.reshape(-1, 2)
    x, y = _to_image(final[:, 0], final[:, 1], rect)
    return np.stack([x, y], axis=1)


def predict_many(
    image: npt.NDArray[np.uint8], rects: list[Rect], model: ShapeModel
) -> npt.NDArray[np.int64]:
    """``predict`` for all faces of one image at once: (N, P, 2), each face's points equal
    to ``predict(image, rect, model)`` to the bit.

    ``predict`` makes about 25 small numpy calls per cascade (15 cascades for 68 points);
    for a photo of many faces the calls, not the arithmetic, cost the most. Here each call
    serves every face: features, pixels, splits and tree walks are laid side by side in
    flat arrays (one ``take`` each), element by element the same operations as
    ``predict``'s. The similarity transform stays per face (its float64 dot products must
    add in the same order), and the leaves are summed down axis 0 of a (T+1, N, 2P) array,
    row after row for each face, as ``predict`` sums them."""
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"image must be H x W or H x W x 3, got {image.shape}")
    n = len(rects)
    if n > MANY_AT_ONCE:  # a crowd: in groups, so the leaf sums stay ~9 MB
        parts = [rects[i : i + MANY_AT_ONCE] for i in range(0, n, MANY_AT_ONCE)]
        return np.concatenate([predict_many(image, part, model) for part in parts])
    if n <= 1:
        return (
            np.stack([predict(image, r, model) for r in rects])
            if n
            else np.zeros((0, model.initial_shape.shape[0], 2), dtype=np.int64)
        )
    plan = _plan(model)
    shapes = np.tile(model.initial_shape.reshape(1, -1), (n, 1))
    cascades, trees, splits = model.split_idx1.shape
    features = plan.dx.shape[1]
    leaves = splits + 1
    tree_rows = np.arange(trees) * leaves - splits
    corner = np.array([[r.left, r.top] for r in rects], dtype=np.float64)
    span = np.array([[r.right - r.left, r.bottom - r.top] for r in rects], dtype=np.float64)
    face_at = np.arange(n)[:, None]
    feature_base = face_at * features  # each face's values in the flat (N*F,) array
    split_base = face_at * (trees * splits)  # each face's splits in the flat (N*T*S,)
    steps = np.empty((trees + 1, n, shapes.shape[1]), dtype=np.float32)
    for c in range(cascades):
        t = np.stack([_similarity(plan.centred, plan.norm, s.reshape(-1, 2)) for s in shapes])
        dx, dy = plan.dx[c][None, :], plan.dy[c][None, :]
        u = (t[:, 0, 0, None] * dx + t[:, 0, 1, None] * dy) + np.take(shapes, plan.ax[c], axis=1)
        v = (t[:, 1, 0, None] * dx + t[:, 1, 1, None] * dy) + np.take(shapes, plan.ay[c], axis=1)
        x = np.floor(corner[:, :1] + u.astype(np.float64) * span[:, :1] + 0.5).astype(np.int64)
        y = np.floor(corner[:, 1:] + v.astype(np.float64) * span[:, 1:] + 0.5).astype(np.int64)
        values = _intensity(image, x.reshape(-1), y.reshape(-1))
        first = np.take(values, feature_base + model.split_idx1[c].reshape(1, -1))
        second = np.take(values, feature_base + model.split_idx2[c].reshape(1, -1))
        left = (first - second > model.split_thresh[c].reshape(1, -1)).reshape(-1)
        node = np.zeros((n, trees), dtype=np.intp)
        for _ in range(model.depth):
            node = 2 * node + 2 - np.take(left, split_base + plan.tree_base + node)
        rows = (tree_rows + node + c * trees * leaves).T.reshape(-1)
        steps[0] = shapes
        if plan.scales is None:
            steps[1:] = np.take(plan.leaf_rows, rows, axis=0).reshape(trees, n, -1)
        else:
            np.multiply(
                np.take(plan.leaf_rows, rows, axis=0).reshape(trees, n, -1),
                np.take(plan.scales, rows).reshape(trees, n, 1),
                out=steps[1:],
            )
        shapes = steps.sum(axis=0, dtype=np.float32)
    final = shapes.reshape(n, -1, 2).astype(np.float64)
    x = np.floor(corner[:, None, 0] + final[..., 0] * span[:, None, 0] + 0.5).astype(np.int64)
    y = np.floor(corner[:, None, 1] + final[..., 1] * span[:, None, 1] + 0.5).astype(np.int64)
    return np.stack([x, y], axis=2)
