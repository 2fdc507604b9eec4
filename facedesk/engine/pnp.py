"""Camera rotation from 3D-2D point pairs, as OpenCV's ``solvePnP(..., SOLVEPNP_SQPNP)``.

SQPnP (Terzakis and Lourakis, ECCV 2020) minimises the object-space error
``sum_i |Q_i (R X_i + t)|^2``, Q_i the projection orthogonal to point i's line of sight:
for a fixed rotation the best t is linear in R, so the error is ``r' Omega r`` (r = R
flattened, Omega 9 x 9 from the points), minimised over rotations. SQPnP descends from the
rotations nearest to Omega's smallest eigenvectors and keeps the lowest error whose
points lie in front of the camera. This module minimises the same function the same way
(Gauss-Newton on the rotation group instead of SQPnP's sequential quadratic steps, from the
same starts, with the same cheirality test and the same rule for trying further starts).
``tests/unit/test_engine_pnp.py`` checks it against cv2 (where installed) on the dev photos'
landmarks and on random noisy poses. OpenCV picks its starts from a rank-revealing QR of
Omega, not its eigenvectors, so on 2 of 300 random noisy poses it stopped in another
minimum (0.2 and 71 degrees away; ours had the lower error); all others agree within
0.01 degrees.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

# OpenCV's sqpnp.hpp constants.
_SQP_STEPS: Final = 15
_SQP_TOL: Final = 1e-10
_SQP_DET_THRESHOLD: Final = 1.001
_ORTHOGONAL: Final = 1e-8
_EQUAL_ERRORS: Final = 1e-6


def rodrigues(w: F64) -> F64:
    """Rotation matrices of rotation vectors ``w`` (... x 3), as cv2.Rodrigues."""
    w = np.asarray(w, dtype=np.float64)
    theta = np.linalg.norm(w, axis=-1)[..., None, None]
    safe = np.where(theta < 1e-15, 1.0, theta)
    k = w / safe[..., 0]
    zero = np.zeros(w.shape[:-1])
    kx = np.stack(
        [
            np.stack([zero, -k[..., 2], k[..., 1]], axis=-1),
            np.stack([k[..., 2], zero, -k[..., 0]], axis=-1),
            np.stack([-k[..., 1], k[..., 0], zero], axis=-1),
        ],
        axis=-2,
    )
    eye = np.broadcast_to(np.eye(3), kx.shape)
    return np.asarray(eye + np.sin(theta) * kx + (1.0 - np.cos(theta)) * (kx @ kx))


def _nearest_rotation(m: F64) -> F64:
    """The rotation(s) nearest to 3 x 3 matrices ``m`` (... x 3 x 3), by SVD."""
    u, _s, vt = np.linalg.svd(m)
    d = np.where(np.linalg.det(u @ vt) < 0.0, -1.0, 1.0)
    fix = np.ones(u.shape[:-1])
    fix[..., 2] = d
    return np.asarray((u * fix[..., None, :]) @ vt, dtype=np.float64)


def _omega(objects: F64, rays: F64) -> tuple[F64, F64]:
    """Omega (9 x 9) and P (3 x 9, t = P r) for points X_i seen along rays x_i."""
    x, y = rays[:, 0] / rays[:, 2], rays[:, 1] / rays[:, 2]
    ones, zeros = np.ones_like(x), np.zeros_like(x)
    # OpenCV's Q_i: |Xc - x Zc|^2 + |Yc - y Zc|^2 (the paper's projection, unnormalised).
    q = np.stack(
        [
            np.stack([ones, zeros, -x], axis=-1),
            np.stack([zeros, ones, -y], axis=-1),
            np.stack([-x, -y, x * x + y * y], axis=-1),
        ],
        axis=-2,
    )  # (N, 3, 3)
    a = np.einsum("ij,nk->nijk", np.eye(3), objects).reshape(len(objects), 3, 9)  # R X = A r
    qa = q @ a
    p = -np.linalg.solve(q.sum(axis=0), qa.sum(axis=0))
    m = a + p[None]
    omega = np.einsum("nji,njk,nkl->il", m, q, m)
    return (omega + omega.T) / 2.0, p


# The orthonormality constraints' Jacobian rows, as (row, column, source element of r,
# factor) entries: rows 0-2 are |r_i|^2 (2 r_i), rows 3-5 are r1.r2, r2.r3, r1.r3.
_JAC_ENTRIES: Final = (
    [(0, c, c, 2.0) for c in range(3)]
    + [(1, 3 + c, 3 + c, 2.0) for c in range(3)]
    + [(2, 6 + c, 6 + c, 2.0) for c in range(3)]
    + [(3, c, 3 + c, 1.0) for c in range(3)]
    + [(3, 3 + c, c, 1.0) for c in range(3)]
    + [(4, 3 + c, 6 + c, 1.0) for c in range(3)]
    + [(4, 6 + c, 3 + c, 1.0) for c in range(3)]
    + [(5, c, 6 + c, 1.0) for c in range(3)]
    + [(5, 6 + c, c, 1.0) for c in range(3)]
)
_JAC_ROW: Final = np.array([e[0] for e in _JAC_ENTRIES])
_JAC_COL: Final = np.array([e[1] for e in _JAC_ENTRIES])
_JAC_SRC: Final = np.array([e[2] for e in _JAC_ENTRIES])
_JAC_FACTOR: Final = np.array([e[3] for e in _JAC_ENTRIES])
# (i, j) pairs of R's rows whose dot products the constraints fix: 1 on the diagonal, 0 off.
_GRAM_I: Final = np.array([0, 1, 2, 0, 1, 0])
_GRAM_J: Final = np.array([0, 1, 2, 1, 2, 2])
_GRAM_TARGET: Final = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])


def _sqp(starts: F64, omega: F64) -> F64:
    """SQPnP's refinement from each start (S x 3 x 3): up to 15 steps, each minimising
    r' Omega r to second order on the linearised orthonormality constraints (the KKT
    system; OpenCV solves the same one through a basis of the constraints' null space).

    The starts step together, each until its own step is small, in one batched solve per
    step: the systems are 15 x 15, so numpy's per-call cost was most of the work when
    each start took its own calls (head_pose was 10 % of the analysis). A start whose
    system turns singular stops where it was, as it did alone."""
    n = len(starts)
    r = starts.reshape(n, 9).copy()
    active = np.arange(n)
    kkt = np.zeros((n, 15, 15))
    kkt[:, :9, :9] = 2.0 * omega
    minus_two_omega_t = -2.0 * omega.T
    for _ in range(_SQP_STEPS):
        if active.size == 0:
            break
        ra = r[active]
        m = len(active)
        k = kkt[active]
        jac = np.zeros((m, 6, 9))
        jac[:, _JAC_ROW, _JAC_COL] = ra[:, _JAC_SRC] * _JAC_FACTOR
        k[:, :9, 9:] = jac.transpose(0, 2, 1)
        k[:, 9:, :9] = jac
        rows = ra.reshape(m, 3, 3)
        gram = rows[:, _GRAM_I, :] * rows[:, _GRAM_J, :]
        rhs = np.empty((m, 15, 1))
        rhs[:, :9, 0] = ra @ minus_two_omega_t
        rhs[:, 9:, 0] = _GRAM_TARGET - gram.sum(axis=2)
        try:
            delta = np.linalg.solve(k, rhs)[:, :9, 0]
            moving = np.ones(m, dtype=bool)
        except np.linalg.LinAlgError:
            delta, moving = _solve_each(k, rhs)
        r[active[moving]] = ra[moving] + delta[moving]
        small = np.einsum("ij,ij->i", delta, delta) <= _SQP_TOL
        active = active[moving & ~small]
    mats = r.reshape(n, 3, 3)
    det = np.linalg.det(mats)
    mats = np.where((det < 0.0)[:, None, None], -mats, mats)
    fix = (np.abs(det) > _SQP_DET_THRESHOLD)[:, None, None]
    return np.asarray(np.where(fix, _nearest_rotation(mats), mats), dtype=np.float64)


def _solve_each(k: F64, rhs: F64) -> tuple[F64, npt.NDArray[np.bool_]]:
    """The steps of a batch with a singular system among them: one solve each."""
    delta = np.zeros((len(k), 9))
    moving = np.ones(len(k), dtype=bool)
    for i in range(len(k)):
        try:
            delta[i] = np.linalg.solve(k[i], rhs[i])[:9, 0]
        except np.linalg.LinAlgError:
            moving[i] = False
    return delta, moving


def _in_front(rots: F64, ts: F64, objects: F64) -> npt.NDArray[np.bool_]:
    """SQPnP's cheirality test per solution: the centroid, or else most points, in front."""
    depths = np.einsum("sj,nj->sn", rots[:, 2, :], objects) + ts[:, 2:3]
    centroid = rots[:, 2, :] @ objects.mean(axis=0) + ts[:, 2]
    return np.asarray((centroid > 0.0) | ((depths > 0.0).sum(axis=1) > len(objects) // 2))


def solve_rotation(objects: F64, image_points: F64, camera: F64) -> tuple[F64, F64] | None:
    """(R, t) mapping model points into the camera frame, or None without a solution.

    ``objects`` N x 3 model points, ``image_points`` N x 2 pixels, ``camera`` the 3 x 3
    intrinsic matrix (no distortion), N >= 3.
    """
    objects = np.asarray(objects, dtype=np.float64).reshape(-1, 3)
    pixels = np.asarray(image_points, dtype=np.float64).reshape(-1, 2)
    if len(objects) < 3 or len(objects) != len(pixels):
        return None
    homogeneous = np.column_stack([pixels, np.ones(len(pixels))])
    rays = np.asarray(
        np.linalg.solve(np.asarray(camera, dtype=np.float64), homogeneous.T).T, dtype=np.float64
    )
    omega, p = _omega(objects, rays)
    if not np.all(np.isfinite(omega)):
        return None
    values, vectors = np.linalg.eigh(omega)  # ascending
    # As OpenCV: start from the nearest rotations to +-sqrt(3) e for the smallest
    # eigenvector e, then for the next ones while the best error exceeds 3x their
    # eigenvalue (a rotation could still do better there).
    best_error, best = math.inf, None
    # Every start is refined in one batch; the rule below decides which count (the extra
    # ones cost a few flops each, not numpy calls).
    starts = math.sqrt(3.0) * vectors.T[:8].reshape(8, 3, 3)
    refined = _sqp(_nearest_rotation(np.concatenate([starts, -starts])), omega)
    for k in range(8):
        if k > 0 and not best_error > 3.0 * values[k]:
            break
        e = starts[k]
        if _orthogonality_error(e) < _ORTHOGONAL:
            candidates = [float(np.sign(np.linalg.det(e))) * e]
        else:
            candidates = [refined[k], refined[8 + k]]
        for rot in candidates:
            r = rot.reshape(9)
            t = p @ r
            if not _in_front(rot[None], t[None], objects)[0]:
                continue
            error = float(r @ omega @ r)
            if error < best_error - _EQUAL_ERRORS:
                best_error, best = error, (rot, t)
    return best


def _orthogonality_error(m: F64) -> float:
    gram = m @ m.T - np.eye(3)
    return float(np.sum(gram * gram))
