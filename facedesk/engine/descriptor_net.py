"""dlib's face-descriptor ResNet, read from its own ``.dat`` file and run by onnxruntime.

dlib-bin is built without BLAS, so ``face_recognition_model_v1`` spends about 90 ms on
each face in naive convolution loops: 60 % of an IndexFaces call. This package reads the
same network (``dlib_face_recognition_resnet_model_v1.dat``, the file face_recognition
ships) into numpy (``descriptor_weights``: dlib's format and the architecture), folds
each ``affine`` layer into the convolution before it, writes the graph as ONNX
(``descriptor_graph``) and runs it on onnxruntime's GEMM kernels (this module, which also
finds or caches the graph): same weights, same arithmetic up to float summation order
(descriptors agree with dlib's to about 1e-6, see tests/unit/test_descriptor_net.py),
about ten times faster, and many faces of one photo in one call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from facedesk.core.similarity import DESCRIPTOR_SIZE
from facedesk.engine.atomic_write import write_atomically
from facedesk.engine.descriptor_graph import build_onnx
from facedesk.engine.descriptor_weights import CHIP_SIZE, DlibFormatError, read_weights

__all__ = [
    "CHIP_PADDING",
    "CHIP_SIZE",
    "GRAPH_VERSION",
    "SHIPPED_BUDGET",
    "DescriptorNet",
    "DlibFormatError",
    "build_onnx",
    "model_bytes",
    "read_shipped_graph",
    "read_weights",
    "shipped_dir",
    "write_shipped_graph",
]

CHIP_PADDING = 0.25  # dlib.compute_face_descriptor's default

Array = npt.NDArray[np.float32]
log = logging.getLogger(__name__)


# Bump when build_onnx changes what it writes: cached graphs of older builds are then ignored.
# 2: a shipped graph may store its weights as float16 (write_shipped_graph; the bundle's does).
GRAPH_VERSION = 2

# The desktop bundle's shipped graph stores its weights as float16 (11.2 MB instead of
# 22.4 MB); onnxruntime casts them back to float32 when it loads the graph, so only the
# weights are rounded. Its descriptors may lie this far (Euclidean) from dlib's own; measured
# on the 117 HOG faces of the real testdata photos (bench/descriptor_fp16.py): max 6.1e-4,
# same-person/different-person distances within 1.3e-4 of the float32 graph's, every face's
# nearest other face unchanged. dlib's same-person threshold is a distance of 0.6. The
# graph converted at run time (model_bytes, from the .dat) stays float32 (~1e-6 from dlib).
SHIPPED_BUDGET = 2e-3


# An install may ship the graph beside the vendored models (the desktop bundle does:
# packaging/facedesk.spec calls write_shipped_graph at build time), so that neither the
# first start nor any analysis process converts, and the bundle needs no ``onnx``.
SHIPPED_GRAPH = "dlib-resnet.onnx"
SHIPPED_META = "dlib-resnet.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_file(digest: str) -> Path:
    from facedesk.config import cache_dir

    return cache_dir() / "models" / f"dlib-resnet-{digest[:16]}-g{GRAPH_VERSION}.onnx"


def shipped_dir() -> Path:
    """Where an install keeps a prebuilt graph: the vendored models' folder."""
    from importlib import resources

    return Path(str(resources.files("facedesk.engine.models")))


def read_shipped_graph(folder: Path, digest: str) -> bytes | None:
    """The graph shipped in ``folder`` if it was built from the ``.dat`` with ``digest``
    by this GRAPH_VERSION; None when there is none or it belongs to another file."""
    try:
        meta = json.loads((folder / SHIPPED_META).read_text(encoding="utf-8"))
        if meta.get("source_sha256") != digest or meta.get("graph_version") != GRAPH_VERSION:
            log.info("shipped descriptor graph is for another model file; not used")
            return None
        return (folder / SHIPPED_GRAPH).read_bytes()
    except (OSError, ValueError, AttributeError):
        return None


def shipped_source(folder: Path) -> dict[str, Any] | None:
    """The metadata of the graph shipped in ``folder`` (its ``.dat`` file's name, sha256 and
    size) when one of this GRAPH_VERSION is there, else None. The desktop bundle ships the
    graph without the 22.5 MB ``.dat`` it was converted from (packaging/facedesk.spec)."""
    try:
        meta = json.loads((folder / SHIPPED_META).read_text(encoding="utf-8"))
        if not (folder / SHIPPED_GRAPH).is_file() or meta.get("graph_version") != GRAPH_VERSION:
            return None
        return dict(meta)
    except (OSError, ValueError, AttributeError):
        return None


def write_shipped_graph(path: Path, folder: Path, half_weights: bool = False) -> list[Path]:
    """Build time: convert the network in ``path`` and write the graph and its metadata
    (the ``.dat`` file's sha256, GRAPH_VERSION, the weights' type) into ``folder``; returns
    both files. ``half_weights`` stores the weights as float16 (the desktop bundle does:
    descriptors within SHIPPED_BUDGET of dlib's for half the bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    graph, meta = folder / SHIPPED_GRAPH, folder / SHIPPED_META
    write_atomically(graph, build_onnx(read_weights(path), half_weights=half_weights))
    info = {
        "source": path.name,
        "source_sha256": _digest(path),
        "source_size": path.stat().st_size,
        "graph_version": GRAPH_VERSION,
        "weights": "float16" if half_weights else "float32",
    }
    write_atomically(meta, (json.dumps(info, indent=2) + "\n").encode("utf-8"))
    return [graph, meta]


@cache
def model_bytes(path: Path, refresh: bool = False) -> bytes:
    """The ONNX graph of the network in ``path``.

    First the graph an install ships (see ``shipped_dir``), then the user's cache.
    Converting costs 0.2-0.4 s (and imports ``onnx``), once per process that computes
    descriptors: every analysis process and every CLI call. The graph is therefore kept
    in the user's cache directory, named by the ``.dat`` file's hash; a cache that cannot
    be read or written only costs the conversion. ``refresh`` (a graph that onnxruntime
    could not read) skips both and converts.
    """
    if not path.is_file():
        # An install without the .dat (the desktop bundle): its shipped graph, converted
        # from that very file at build time, or nothing to run.
        meta = shipped_source(shipped_dir())
        if meta is None or meta.get("source") != path.name:
            raise FileNotFoundError(f"dlib model file missing and no graph shipped: {path}")
        return (shipped_dir() / SHIPPED_GRAPH).read_bytes()
    digest = _digest(path)
    cached = _cache_file(digest)
    if not refresh:
        shipped = read_shipped_graph(shipped_dir(), digest)
        if shipped is not None:
            return shipped
        try:
            return cached.read_bytes()
        except OSError:
            pass
    data = build_onnx(read_weights(path))
    try:
        write_atomically(cached, data)
    except OSError as exc:
        log.info("descriptor graph not cached (%s)", exc)
    return data


_build_lock = threading.Lock()


class DescriptorNet:
    """128-d descriptors of aligned 150x150 face chips, one onnxruntime session.

    onnxruntime sessions may be shared between threads; the session uses one intra-op
    thread because the indexing pipeline already runs one analysis process per core.
    """

    def __init__(self, path: Path, threads: int = 1) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        with _build_lock:
            data = model_bytes(path)
        try:
            session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        except Exception:  # a damaged cache file: convert again, in memory
            log.warning("cached descriptor graph unreadable; converting %s again", path.name)
            data = model_bytes(path, refresh=True)
            session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        self._session = session

    def compute(self, chips: npt.NDArray[np.uint8]) -> Array:
        """(N,150,150,3) RGB chips -> (N,128) float32 descriptors."""
        if chips.ndim != 4 or chips.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(f"chips must be (N,{CHIP_SIZE},{CHIP_SIZE},3), got {chips.shape}")
        if len(chips) == 0:
            return np.zeros((0, DESCRIPTOR_SIZE), dtype=np.float32)
        (out,) = self._session.run(None, {"chips": np.ascontiguousarray(chips, dtype=np.uint8)})
        return np.asarray(out, dtype=np.float32)
