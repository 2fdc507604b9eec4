"""The few image operations the engine needs, in numpy, computed as OpenCV 4/5 computes them.

OpenCV (82 MB, plus the 50 MB OpenBLAS it links) was in the bundle for five calls. These
functions replace them; ``tests/unit/test_engine_imaging.py`` compares each with cv2 (where
cv2 is installed) on real photos. Equal means:

- ``rgb_to_grey``: bit-exact (OpenCV's 14-bit fixed-point BT.601 weights).
- ``resize_area`` (``INTER_AREA``, shrinking only): the exact area average of each output
  pixel's footprint, rounded half up for uint8. OpenCV sums in float32, so a pixel whose
  average falls within float32 noise of x.5 may round the other way: at most 1 grey level,
  on well under 1 % of pixels; float32 input within 1e-4.
- ``resize_linear`` (``INTER_LINEAR``): OpenCV's pixel-centre mapping and its 11-bit
  fixed-point weights for uint8; its SIMD vertical pass drops low bits that its scalar tail
  keeps, so a pixel may differ by 1 grey level. Float32 input within 1e-4.
- ``warp_affine_linear`` (``warpAffine``, ``INTER_LINEAR``, ``BORDER_REPLICATE``): OpenCV
  4.11+/5's float32 arithmetic; at most 1 grey level, on under 0.3 % of a face crop's
  pixels (2.3 % of a crop that is mostly replicated border).
- ``laplacian`` (``Laplacian(ksize=1)``, ``BORDER_REFLECT_101``): float64, same sums.
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from facedesk.engine import cpu_share

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

# OpenCV 5's fixed-point constants (imgproc: color_rgb, resize).
_GREY_SHIFT: Final = 15
_GREY_WEIGHTS: Final = (9798, 19235, 3735)  # 0.299 / 0.587 / 0.114 * 2**15, summing to 2**15
_RESIZE_COEF_BITS: Final = 11


def _grey_tables() -> tuple[npt.NDArray[np.uint32], ...]:
    levels = np.arange(256, dtype=np.uint32)
    wr, wg, wb = _GREY_WEIGHTS
    # The rounding constant rides in the red table.
    return (levels * wr + (1 << (_GREY_SHIFT - 1)), levels * wg, levels * wb)


_GREY_TABLES: Final = _grey_tables()


def rgb_to_grey(rgb: U8) -> U8:
    """``cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)`` for H x W x 3 uint8, bit-exact (checked on
    all 2**24 colours against OpenCV 5.1): (9798 R + 19235 G + 3735 B + 2**14) >> 15."""
    red, green, blue = _GREY_TABLES
    total = red[rgb[..., 0]]
    total += green[rgb[..., 1]]
    total += blue[rgb[..., 2]]
    total >>= _GREY_SHIFT
    return np.ascontiguousarray(total, dtype=np.uint8)


# --- INTER_AREA ------------------------------------------------------------------------


def _area_taps(n: int, out_n: int) -> tuple[npt.NDArray[np.intp], F32]:
    """Per output sample: the source samples it overlaps and the covered fraction / scale.

    Output j covers [j*s, (j+1)*s), s = n / out_n; its weights sum to 1. Tap columns whose
    weight is 0 for every output (the factor is an exact fraction) are dropped.
    """
    scale = n / out_n
    taps = math.ceil(scale) + 1
    j = np.arange(out_n, dtype=np.float64)[:, None]
    first = np.floor(j * scale).astype(np.intp)
    index = first + np.arange(taps)[None, :]
    covered = np.minimum(index + 1, (j + 1) * scale) - np.maximum(index, j * scale)
    weights = np.clip(covered, 0.0, None) / scale
    used = weights.max(axis=0) > 0.0
    return np.minimum(index, n - 1)[:, used], weights[:, used].astype(np.float32)


def _area_rows(src: npt.NDArray[Any], out_n: int, start: int = 0, stop: int | None = None) -> F32:
    """Area average along axis 0 (whole rows gathered: contiguous copies), float32 sums
    as OpenCV's; only output rows ``start:stop`` (each computed as in the whole)."""
    n = src.shape[0]
    stop = out_n if stop is None else stop
    if n % out_n == 0:
        # Whole-number factor: a plain block sum (OpenCV's fast path does the same).
        k = n // out_n
        block = src[start * k : stop * k]
        sums = block.reshape(stop - start, k, *src.shape[1:]).sum(axis=1, dtype=np.float32)
        sums *= np.float32(1.0 / k)
        return np.asarray(sums, dtype=np.float32)
    extra = (slice(None),) + (None,) * (src.ndim - 1)
    index, weights = _area_taps(n, out_n)
    index, weights = index[start:stop], weights[start:stop]
    out = np.empty((stop - start, *src.shape[1:]), dtype=np.float32)
    part = np.empty_like(out)
    np.multiply(src[index[:, 0]], weights[:, 0][extra], out=out, casting="unsafe")
    for k in range(1, index.shape[1]):
        live = _live_taps(weights[:, k], src.dtype == np.uint8)
        if live is not None:
            out[live] += np.multiply(src[index[live, k]], weights[live, k][extra], dtype=np.float32)
            continue
        np.multiply(src[index[:, k]], weights[:, k][extra], out=part, casting="unsafe")
        out += part
    return out


def _live_taps(weights: F32, finite: bool) -> npt.NDArray[np.intp] | None:
    """The outputs a tap adds to, when most of its weights are 0 (a factor just above a
    whole number: 2.08 spans a 4th source sample for 1 output in 12), else None.

    Skipping the others changes nothing: they would add ``x * 0.0 = +0.0`` to a finite
    non-negative sum. Only for ``finite`` (uint8) sources, where ``x * 0.0`` is never NaN."""
    if not finite:
        return None
    live = np.flatnonzero(weights > 0.0)
    return live if live.size < 0.6 * weights.size else None


def _area_columns(src: F32, out_n: int, finite: bool = False) -> F32:
    """Area average along axis 1 of an H x W (x C) float32 array (``finite``: its values
    come from uint8 pixels, see ``_live_taps``).

    Gathered from the H x (W*C) view, one channel lane at a time: numpy's gather along
    a middle axis copies each C-value pixel separately and costs 1.3-2.5x more."""
    rows, n = src.shape[:2]
    channels = 1 if src.ndim == 2 else src.shape[2]
    flat = np.ascontiguousarray(src).reshape(rows, n * channels)
    index, weights = _area_taps(n, out_n)
    lanes = np.arange(channels)
    out = np.empty((rows, out_n * channels), dtype=np.float32)
    for k in range(index.shape[1]):
        live = _live_taps(weights[:, k], finite) if k else None
        if live is not None:
            cols = (live[:, None] * channels + lanes).reshape(-1)
            at = (index[live, k, None] * channels + lanes).reshape(-1)
            part = np.take(flat, at, axis=1)
            part *= np.repeat(weights[live, k], channels)[None, :]
            out[:, cols] += part
            continue
        at = (index[:, k, None] * channels + lanes).reshape(-1)
        part = np.take(flat, at, axis=1)
        part *= np.repeat(weights[:, k], channels)[None, :]
        if k == 0:
            out[...] = part
        else:
            out += part
    return out.reshape(rows, out_n, *src.shape[2:])


def resize_area(
    image: npt.NDArray[Any], width: int, height: int, threads: int = 1
) -> npt.NDArray[Any]:
    """``cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)``, shrinking.

    uint8 (grey or colour) or float32. Where a side grows OpenCV switches to a linear
    filter (with its own edge weights); the engine only shrinks, so this falls back to
    ``resize_linear`` there, close to OpenCV but not checked against it.

    ``threads`` > 1 splits the output rows into that many bands, each on its own thread
    (numpy lets go of the GIL for the gathers and sums): every output pixel is computed by
    the same operations in the same order as on one thread, so the result is the same to
    the bit. For an interactive call on an idle core (DetectFaces' detector picture).
    """
    h, w = image.shape[:2]
    if width < 1 or height < 1:
        raise ValueError(f"bad size {width}x{height}")
    if width > w or height > h:
        return resize_linear(image, width, height)
    if (width, height) == (w, h):
        return np.array(image, copy=True)
    bands = max(1, min(threads, height // 16))
    if bands == 1:
        return _area_band(image, width, height, 0, height)
    cuts = [height * i // bands for i in range(bands + 1)]
    parts: list[npt.NDArray[Any]] = [np.empty(0)] * bands

    def run(i: int) -> None:
        parts[i] = _area_band(image, width, height, cuts[i], cuts[i + 1])

    cpu_share.in_bands(run, bands)
    return np.concatenate(parts, axis=0)


def _area_band(
    image: npt.NDArray[Any], width: int, height: int, start: int, stop: int
) -> npt.NDArray[Any]:
    """Output rows ``start:stop`` of ``resize_area(image, width, height)``."""
    h, w = image.shape[:2]
    out: npt.NDArray[Any] = image[start:stop]
    if height != h:
        out = _area_rows(image, height, start, stop)
    if width != w:
        if w % width == 0:
            turned = np.ascontiguousarray(np.swapaxes(out, 0, 1))
            out = np.swapaxes(_area_rows(turned, width), 0, 1)
        else:
            out = _area_columns(
                np.asarray(out, dtype=np.float32), width, finite=image.dtype == np.uint8
            )
    if image.dtype == np.uint8:
        # OpenCV's 2x2 fast path rounds half up ((a+b+c+d+2) >> 2); its other paths round
        # a float sum to nearest, ties to even. Weights sum to 1: no clipping needed.
        out = np.ascontiguousarray(out, dtype=np.float32)
        if w == 2 * width and h == 2 * height:
            out += np.float32(0.5)
            np.floor(out, out=out)
        else:
            np.rint(out, out=out)
        return out.astype(np.uint8)
    return np.ascontiguousarray(out, dtype=image.dtype)


# --- INTER_LINEAR ----------------------------------------------------------------------


def _linear_taps(n: int, out_n: int) -> tuple[npt.NDArray[np.intp], F32]:
    """OpenCV's source index and weight of the right-hand tap for each output sample."""
    inv = out_n / n
    scale = 1.0 / inv
    f = ((np.arange(out_n, dtype=np.float64) + 0.5) * scale - 0.5).astype(np.float32)
    first = np.floor(f).astype(np.intp)
    frac = (f - first.astype(np.float32)).astype(np.float32)
    low = first < 0
    first[low], frac[low] = 0, 0.0
    high = first >= n - 1
    first[high], frac[high] = n - 1, 0.0
    return first, frac


def resize_linear(image: npt.NDArray[Any], width: int, height: int) -> npt.NDArray[Any]:
    """``cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)``.

    uint8 grey or colour uses OpenCV's fixed-point weights (11 bits per pass), float32
    plain float weights.
    """
    h, w = image.shape[:2]
    if width < 1 or height < 1:
        raise ValueError(f"bad size {width}x{height}")
    xs, fx = _linear_taps(w, width)
    ys, fy = _linear_taps(h, height)
    xs1, ys1 = np.minimum(xs + 1, w - 1), np.minimum(ys + 1, h - 1)
    extra = (1,) * (image.ndim - 2)
    if image.dtype == np.uint8:
        one = 1 << _RESIZE_COEF_BITS
        ax1 = np.rint(fx.astype(np.float64) * one).astype(np.int32)
        ax0 = np.rint((np.float32(1.0) - fx).astype(np.float64) * one).astype(np.int32)
        by1 = np.rint(fy.astype(np.float64) * one).astype(np.int32)
        by0 = np.rint((np.float32(1.0) - fy).astype(np.float64) * one).astype(np.int32)
        src = image.astype(np.int32)
        rows = src[:, xs] * ax0.reshape(1, -1, *extra) + src[:, xs1] * ax1.reshape(1, -1, *extra)
        # OpenCV's SIMD vertical pass: (((r0 >> 4) * b0) >> 16) + (((r1 >> 4) * b1) >> 16),
        # then + 2 >> 2.
        top = ((rows[ys] >> 4) * by0.reshape(-1, 1, *extra)) >> 16
        bottom = ((rows[ys1] >> 4) * by1.reshape(-1, 1, *extra)) >> 16
        return np.ascontiguousarray(((top + bottom + 2) >> 2).clip(0, 255), dtype=np.uint8)
    src64 = image.astype(np.float64)
    wx = fx.astype(np.float64).reshape(1, -1, *extra)
    rows64 = src64[:, xs] * (1.0 - wx) + src64[:, xs1] * wx
    wy = fy.astype(np.float64).reshape(-1, 1, *extra)
    out = rows64[ys] * (1.0 - wy) + rows64[ys1] * wy
    return np.ascontiguousarray(out, dtype=image.dtype)


# --- warpAffine ------------------------------------------------------------------------


def warp_affine_linear(image: U8, matrix: F64, width: int, height: int) -> U8:
    """``cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR,
    borderMode=cv2.BORDER_REPLICATE)`` for uint8 grey or colour.

    ``matrix`` (2 x 3) maps output pixel (x, y) to the source position it samples, as
    OpenCV's ``WARP_INVERSE_MAP`` does; cv2.warpAffine without that flag inverts it first,
    so callers holding a source -> output map invert it with ``invert_affine``. As OpenCV
    4.11+/5 (its float32 SIMD warp, no longer 1/32-pixel fixed point): source positions
    and the two-step linear blend in float32, rounded to nearest.
    """
    m = np.asarray(matrix, dtype=np.float64).reshape(2, 3).astype(np.float32)
    if m[0, 1] == 0.0 and m[1, 0] == 0.0:
        return _warp_axis_aligned(image, m, width, height)
    return _warp_general(image, m, width, height)


def _warp_general(image: U8, m: F32, width: int, height: int) -> U8:
    """``warp_affine_linear`` for any map (``m`` float32, 2 x 3)."""
    xs = np.arange(width, dtype=np.float32)[None, :]
    ys = np.arange(height, dtype=np.float32)[:, None]
    sx = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    sy = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    fx, fy = np.floor(sx), np.floor(sy)
    extra = (slice(None), slice(None)) + (None,) * (image.ndim - 2)
    ax, ay = (sx - fx)[extra], (sy - fy)[extra]
    h, w = image.shape[:2]
    ix, iy = fx.astype(np.intp), fy.astype(np.intp)
    x_a, x_b = np.clip(ix, 0, w - 1), np.clip(ix + 1, 0, w - 1)
    y_a, y_b = np.clip(iy, 0, h - 1), np.clip(iy + 1, 0, h - 1)
    # Gather the four neighbours from the flat pixel buffer: numpy's 2-D fancy indexing
    # copies each colour triple separately (about 0.7 us each, 26 ms for a 192 x 192
    # crop), a 1-D take of every byte is 50x faster; converting the whole photo to float
    # first would cost more still.
    flat = np.ascontiguousarray(image).reshape(-1)
    channels = 1 if image.ndim == 2 else image.shape[2]
    lanes = np.arange(channels)

    def gather(yi: npt.NDArray[np.intp], xi: npt.NDArray[np.intp]) -> F32:
        at = ((yi * w + xi) * channels)[..., None] + lanes
        return np.asarray(np.take(flat, at).reshape(yi.shape + image.shape[2:]), dtype=np.float32)

    p00, p01 = gather(y_a, x_a), gather(y_a, x_b)
    p10, p11 = gather(y_b, x_a), gather(y_b, x_b)
    return _blend(p00, p01, p10, p11, ax, ay)


def _warp_axis_aligned(image: U8, m: F32, width: int, height: int) -> U8:
    """``warp_affine_linear`` for a map without rotation or shear (every face crop the
    engine takes): x depends on the column only and y on the row only, so the neighbours
    are whole rows (contiguous copies) and then columns, with no per-pixel index
    arithmetic. The same pixels and the same float32 blend as the general path, so the
    result is identical; 4-5x faster on a 192 x 192 crop (the face mesh's, once a face)."""
    zero = np.float32(0.0)
    # The general path's sums with the zero terms kept: x * 0 may be -0.0, never other.
    sx = m[0, 0] * np.arange(width, dtype=np.float32) + zero + m[0, 2]
    sy = zero + m[1, 1] * np.arange(height, dtype=np.float32) + m[1, 2]
    fx, fy = np.floor(sx), np.floor(sy)
    h, w = image.shape[:2]
    ix, iy = fx.astype(np.intp), fy.astype(np.intp)
    x_a, x_b = np.clip(ix, 0, w - 1), np.clip(ix + 1, 0, w - 1)
    y_a, y_b = np.clip(iy, 0, h - 1), np.clip(iy + 1, 0, h - 1)
    channels = 1 if image.ndim == 2 else image.shape[2]
    flat_rows = np.ascontiguousarray(image).reshape(h, w * channels)
    lanes = np.arange(channels)
    cols_a = (x_a[:, None] * channels + lanes).reshape(-1)
    cols_b = (x_b[:, None] * channels + lanes).reshape(-1)
    shape = (height, width, *image.shape[2:])

    def gather(rows: npt.NDArray[np.intp], cols: npt.NDArray[np.intp]) -> F32:
        picked = np.take(np.take(flat_rows, rows, axis=0), cols, axis=1)
        return np.asarray(picked.reshape(shape), dtype=np.float32)

    extra = (None,) * (image.ndim - 2)
    ax = (sx - fx)[(None, slice(None), *extra)]
    ay = (sy - fy)[(slice(None), None, *extra)]
    p00, p01 = gather(y_a, cols_a), gather(y_a, cols_b)
    p10, p11 = gather(y_b, cols_a), gather(y_b, cols_b)
    return _blend(p00, p01, p10, p11, ax, ay)


def _blend(p00: F32, p01: F32, p10: F32, p11: F32, ax: F32, ay: F32) -> U8:
    """The bilinear blend both warp paths share, in float32 and in this order (one
    function, so the fast path stays bit-equal to the general one)."""
    top = p00 + ax * (p01 - p00)
    bottom = p10 + ax * (p11 - p10)
    out = np.rint(top + ay * (bottom - top))
    return np.ascontiguousarray(out.clip(0, 255), dtype=np.uint8)


def invert_affine(matrix: F64) -> F64:
    """The inverse of a 2 x 3 affine map, as cv2.invertAffineTransform computes it."""
    m = np.asarray(matrix, dtype=np.float64).reshape(2, 3)
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    d = 1.0 / det if det != 0.0 else 0.0
    a11, a22 = m[1, 1] * d, m[0, 0] * d
    a12, a21 = -m[0, 1] * d, -m[1, 0] * d
    b1 = -a11 * m[0, 2] - a12 * m[1, 2]
    b2 = -a21 * m[0, 2] - a22 * m[1, 2]
    return np.array([[a11, a12, b1], [a21, a22, b2]], dtype=np.float64)


# --- Laplacian -------------------------------------------------------------------------


def laplacian(image: F64) -> F64:
    """``cv2.Laplacian(image, cv2.CV_64F, ksize=1)`` (kernel [0 1 0; 1 -4 1; 0 1 0],
    borders reflected without repeating the edge pixel)."""
    src = np.asarray(image, dtype=np.float64)
    if src.ndim != 2 or min(src.shape) < 2:
        raise ValueError(f"laplacian needs a 2-D image of at least 2 x 2, got {src.shape}")
    padded = np.pad(src, 1, mode="reflect")
    centre = padded[1:-1, 1:-1]
    return np.asarray(
        padded[:-2, 1:-1] + padded[2:, 1:-1] + padded[1:-1, :-2] + padded[1:-1, 2:] - 4.0 * centre,
        dtype=np.float64,
    )


def resize_for_measure(image: F32, side: int) -> F32:
    """The engine's sharpness resize: INTER_AREA when both sides shrink, INTER_LINEAR else."""
    if min(image.shape[:2]) >= side:
        return np.asarray(resize_area(image, side, side), dtype=np.float32)
    return np.asarray(resize_linear(image, side, side), dtype=np.float32)


__all__ = [
    "invert_affine",
    "laplacian",
    "resize_area",
    "resize_for_measure",
    "resize_linear",
    "rgb_to_grey",
    "warp_affine_linear",
]
