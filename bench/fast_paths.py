"""Indexing's per-file costs before and after issue 16's session-3 changes, in one run.

    PYTHONPATH=. python bench/fast_paths.py [--repeats 3]

Each pair runs on the decodable real testdata photos (the faces libfacedetection finds,
as 7.0 indexes them), alternating, ``--repeats`` times; medians of CPU seconds
(``time.process_time``: one thread, so wall time on a shared machine would mostly be
waiting for a core). The "before" side is the earlier code path, still reachable:

- decode: the strict 1/8-scale check plus Pillow's decode (``decode._check_jpeg`` then
  the Pillow path, as ``_decode`` did) vs one strict libjpeg-turbo decode;
- mesh crop: ``imaging._warp_general`` (per-pixel indices) vs the axis-aligned path;
- thumbnail: Pillow crop of the whole picture vs the numpy crop;
- head pose: the SQP starts refined one at a time (the previous ``_sqp``, copied here)
  vs all starts in one batched solve per step.

Every pair gives the same result (the tests assert it); this prints what each costs.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from facedesk.core.types import DecodedImage, PixelBox
from facedesk.engine import RELAXED_LIMITS, FaceAnalyzer, decode, imaging, pnp, thumbnail
from facedesk.engine.attr_models import MESH_ROI_SCALE, MESH_SIZE
from facedesk.engine.versions import CNN_DETECTOR

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


def photos() -> list[bytes]:
    manifest = json.loads((TESTDATA / "manifest.json").read_text())
    return [(TESTDATA / e["path"]).read_bytes() for e in manifest["files"] if e["kind"] == "real"]


def old_decode(data: bytes) -> Any:
    """The two decodes of a JPEG before: the strict check, then Pillow."""
    im = Image.open(io.BytesIO(data))
    if im.format == "JPEG":
        decode._check_jpeg(data)
    elif im.format == "PNG":
        decode._check_png(data)
    im.load()
    return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def new_decode(data: bytes) -> Any:
    return decode.decode_image(data, RELAXED_LIMITS).pixels


def mesh_matrix(box: PixelBox) -> Any:
    side = max(box.width, box.height) * MESH_ROI_SCALE
    scale = MESH_SIZE / side
    cx, cy = (box.left + box.right) / 2, (box.top + box.bottom) / 2
    to_crop = np.array(
        [[scale, 0.0, MESH_SIZE / 2 - scale * cx], [0.0, scale, MESH_SIZE / 2 - scale * cy]]
    )
    return imaging.invert_affine(to_crop)


def old_thumbnail(image: DecodedImage, box: PixelBox) -> bytes:
    s = image.scale
    cx, cy = (box.left + box.right) / 2.0 * s, (box.top + box.bottom) / 2.0 * s
    half = max(box.width, box.height, 1.0) * s * thumbnail.MARGIN_FACTOR / 2.0
    crop = (round(cx - half), round(cy - half), round(cx + half), round(cy + half))
    picture = Image.fromarray(image.pixels, mode="RGB").crop(crop)
    picture = picture.resize((128, 128), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=thumbnail.JPEG_QUALITY)
    return out.getvalue()


def old_sqp(start: Any, omega: Any) -> Any:
    """pnp._sqp as it was before the batch (git show 14bf9ea~1:facedesk/engine/pnp.py)."""
    r = start.reshape(9).copy()
    kkt = np.zeros((15, 15))
    kkt[:9, :9] = 2.0 * omega
    rhs = np.empty(15)
    jac = np.zeros((6, 9))
    for _ in range(15):
        r1, r2, r3 = r[0:3], r[3:6], r[6:9]
        jac[0, 0:3], jac[1, 3:6], jac[2, 6:9] = 2.0 * r1, 2.0 * r2, 2.0 * r3
        jac[3, 0:3], jac[3, 3:6] = r2, r1
        jac[4, 3:6], jac[4, 6:9] = r3, r2
        jac[5, 0:3], jac[5, 6:9] = r3, r1
        kkt[:9, 9:] = jac.T
        kkt[9:, :9] = jac
        rhs[:9] = -2.0 * (omega @ r)
        rhs[9:] = (1 - r1 @ r1, 1 - r2 @ r2, 1 - r3 @ r3, -(r1 @ r2), -(r2 @ r3), -(r1 @ r3))
        try:
            delta = np.linalg.solve(kkt, rhs)[:9]
        except np.linalg.LinAlgError:
            break
        r = r + delta
        if float(delta @ delta) <= 1e-10:
            break
    m = r.reshape(3, 3)
    det = float(np.linalg.det(m))
    if det < 0.0:
        m, det = -m, -det
    return pnp._nearest_rotation(m) if det > 1.001 else m


def old_pose(objects: Any, pixels: Any, camera: Any) -> Any:
    """solve_rotation with each SQP start refined alone, as before the batch."""
    homogeneous = np.column_stack([pixels, np.ones(len(pixels))])
    rays = np.linalg.solve(camera, homogeneous.T).T
    omega, p = pnp._omega(objects, rays)
    values, vectors = np.linalg.eigh(omega)
    best_error, best = math.inf, None
    for k in range(8):
        if k > 0 and not best_error > 3.0 * values[k]:
            break
        e = math.sqrt(3.0) * vectors[:, k].reshape(3, 3)
        if pnp._orthogonality_error(e) < 1e-8:
            continue
        for m in (e, -e):
            rot = old_sqp(pnp._nearest_rotation(m), omega)
            r = rot.reshape(9)
            if not pnp._in_front(rot[None], (p @ r)[None], objects)[0]:
                continue
            error = float(r @ omega @ r)
            if error < best_error - 1e-6:
                best_error, best = error, (rot, p @ r)
    return best


def timed(fn: Callable[[], object], repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    data = photos()
    images = [decode.decode_image(d, RELAXED_LIMITS) for d in data]
    analyzer = FaceAnalyzer(CNN_DETECTOR)
    faces = [(im, f) for im in images for f in analyzer.analyze(im, descriptors=False)]
    # head_pose's own inputs, recorded while the engine analyses
    recorded: list[tuple[Any, Any, Any]] = []
    real_solve = pnp.solve_rotation

    def record(objects: Any, pixels: Any, camera: Any) -> Any:
        recorded.append((objects, np.array(pixels), camera))
        return real_solve(objects, pixels, camera)

    pnp.solve_rotation = record  # type: ignore[assignment]
    for im in images:
        analyzer.analyze(im, descriptors=False)
    pnp.solve_rotation = real_solve
    boxes = [(im, f.box) for im, f in faces]
    pairs: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "decode (32 photos)": (
            lambda: [old_decode(d) for d in data],
            lambda: [new_decode(d) for d in data],
        ),
        f"mesh crop ({len(boxes)} faces)": (
            lambda: [
                imaging._warp_general(
                    im.pixels, mesh_matrix(b).astype(np.float32), MESH_SIZE, MESH_SIZE
                )
                for im, b in boxes
            ],
            lambda: [
                imaging.warp_affine_linear(im.pixels, mesh_matrix(b), MESH_SIZE, MESH_SIZE)
                for im, b in boxes
            ],
        ),
        f"thumbnail ({len(boxes)} faces)": (
            lambda: [old_thumbnail(im, b) for im, b in boxes],
            lambda: [thumbnail.face_thumbnail_jpeg(im, b) for im, b in boxes],
        ),
        f"head pose ({len(recorded)} faces)": (
            lambda: [old_pose(*r) for r in recorded],
            lambda: [pnp.solve_rotation(*r) for r in recorded],
        ),
    }
    print(f"load before {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'part':28s} {'before s':>9s} {'after s':>8s} {'ratio':>6s}")
    for name, (before, after) in pairs.items():
        b = timed(before, args.repeats)
        a = timed(after, args.repeats)
        print(f"{name:28s} {b:9.3f} {a:8.3f} {b / a:5.2f}x")
    print(f"load after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
