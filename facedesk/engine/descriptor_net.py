"""dlib's face-descriptor ResNet, read from its own ``.dat`` file and run by onnxruntime.

dlib-bin is built without BLAS, so ``face_recognition_model_v1`` spends about 90 ms on
each face in naive convolution loops: 60 % of an IndexFaces call. This module reads the
same network (``dlib_face_recognition_resnet_model_v1.dat``, the file face_recognition
ships) into numpy, folds each ``affine`` layer into the convolution before it, writes the
graph as ONNX and runs it on onnxruntime's GEMM kernels: same weights, same arithmetic up
to float summation order (descriptors agree with dlib's to about 1e-6, see
tests/unit/test_descriptor_net.py), about ten times faster, and many faces of one photo
in one call.

The network is the one of dlib's ``dnn_face_recognition_ex.cpp``::

    loss_metric<fc_no_bias<128, avg_pool_everything<
      level0<level1<level2<level3<level4<
      max_pool<3,3,2,2, relu<affine<con<32,7,7,2,2, input_rgb_image_sized<150>>>>>>>>>>>>>

with residual blocks ``relu(block(x) + x)`` and down-sampling blocks
``relu(block(x) + avg_pool<2,2,2,2>(x))``, where ``block`` is
``affine(con3x3(relu(affine(con3x3/stride(x)))))``. When the two branches differ in
shape, dlib's ``add_prev`` adds them into the larger shape, reading missing channels and
rows as zero; the graph pads the smaller one the same way.

The file format is dlib's ``serialize``: integers as a control byte (length, sign bit)
plus little-endian bytes, floats as (mantissa, exponent) integer pairs, tensors as a
shape header plus raw little-endian float32, and nested ``add_layer`` objects whose
version numbers all come first and whose layer details follow innermost first. Reading
checks every layer's kind and shape against the architecture above, so a different file
fails loudly instead of computing wrong descriptors.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

CHIP_SIZE = 150
CHIP_PADDING = 0.25  # dlib.compute_face_descriptor's default
DESCRIPTOR_SIZE = 128

Array = npt.NDArray[np.float32]
log = logging.getLogger(__name__)


class DlibFormatError(ValueError):
    """The file is not the descriptor network this module knows."""


# -- dlib's serialize format -----------------------------------------------------------------
class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def read_byte(self) -> int:
        b = self.data[self.pos]
        self.pos += 1
        return b

    def read_int(self) -> int:
        control = self.read_byte()
        n = control & 0x0F
        if n > 8:
            raise DlibFormatError(f"bad integer control byte {control:#x} at {self.pos - 1}")
        value = int.from_bytes(self.data[self.pos : self.pos + n], "little")
        self.pos += n
        return -value if control & 0x80 else value

    def read_float(self) -> float:
        mantissa = self.read_int()
        exponent = self.read_int()
        return float(np.ldexp(float(mantissa), exponent))

    def read_bool(self) -> bool:
        c = self.read_byte()
        if c not in (ord("0"), ord("1")):
            raise DlibFormatError(f"bad bool byte {c:#x} at {self.pos - 1}")
        return c == ord("1")

    def read_str(self) -> str:
        n = self.read_int()
        s = bytes(self.data[self.pos : self.pos + n]).decode("ascii")
        self.pos += n
        return s

    def expect(self, version: str) -> None:
        got = self.read_str()
        if got != version:
            raise DlibFormatError(f"expected {version!r}, found {got!r} at {self.pos}")

    def read_tensor(self) -> Array:
        if self.read_int() != 2:
            raise DlibFormatError(f"unknown tensor version at {self.pos}")
        shape = tuple(self.read_int() for _ in range(4))
        count = int(np.prod(shape))
        raw = self.data[self.pos : self.pos + 4 * count]
        self.pos += 4 * count
        return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(shape)

    def read_alias(self) -> tuple[int, ...]:
        if self.read_int() != 1:
            raise DlibFormatError(f"unknown alias_tensor version at {self.pos}")
        return tuple(self.read_int() for _ in range(4))

    def layer_trailer(self) -> None:
        """add_layer's state after the details: three flags, three (empty) tensors."""
        for _ in range(3):
            self.read_bool()
        for _ in range(3):
            self.read_tensor()


@dataclass(frozen=True)
class Conv:
    weight: Array  # (out, in, kh, kw), affine folded in
    bias: Array
    stride: int
    padding: int


@dataclass(frozen=True)
class DescriptorWeights:
    mean_rgb: tuple[float, float, float]
    stem: Conv
    # One residual unit per entry: (first conv, second conv, down-sampling?)
    units: tuple[tuple[Conv, Conv, bool], ...]
    fc: Array  # (256, 128)


# (channels, units, first unit down-samples?) from input to output: level4 .. level0
_LEVELS = ((32, 3, False), (64, 4, True), (128, 3, True), (256, 3, True), (256, 1, True))


def _read_conv(r: _Reader) -> tuple[Array, Array, int, int]:
    r.expect("con_4")
    params = r.read_tensor().reshape(-1)
    out_ch, kh, kw = r.read_int(), r.read_int(), r.read_int()
    stride_y, stride_x, pad_y, pad_x = r.read_int(), r.read_int(), r.read_int(), r.read_int()
    f_shape = r.read_alias()
    b_shape = r.read_alias()
    for _ in range(4):  # learning-rate and weight-decay multipliers
        r.read_float()
    if stride_y != stride_x or pad_y != pad_x or f_shape[0] != out_ch or (kh, kw) != f_shape[2:]:
        raise DlibFormatError(f"unexpected convolution {f_shape} stride {stride_y}")
    n_f = int(np.prod(f_shape))
    weight = params[:n_f].reshape(f_shape)
    bias = params[n_f : n_f + int(np.prod(b_shape))].reshape(out_ch)
    return weight, bias, stride_y, pad_y


def _read_affine(r: _Reader, channels: int) -> tuple[Array, Array]:
    r.expect("affine_")
    params = r.read_tensor().reshape(-1)
    g_shape, b_shape = r.read_alias(), r.read_alias()
    if r.read_int() != 0 or g_shape[1] != channels or b_shape[1] != channels:
        raise DlibFormatError("affine layer is not per-channel over the convolution")
    return params[:channels], params[channels : 2 * channels]


def _conv_affine(r: _Reader, first_on_input: bool = False) -> Conv:
    weight, bias, stride, pad = _read_conv(r)
    r.layer_trailer()
    if first_on_input:
        r.read_int()  # the input layer's sample expansion factor
    gamma, beta = _read_affine(r, weight.shape[0])
    r.layer_trailer()
    return Conv(
        weight=(weight * gamma[:, None, None, None]).astype(np.float32),
        bias=(bias * gamma + beta).astype(np.float32),
        stride=stride,
        padding=pad,
    )


def _plain(r: _Reader, version: str) -> None:
    r.expect(version)
    r.layer_trailer()


def _pool(r: _Reader, version: str, want: tuple[int, int, int, int, int, int]) -> None:
    r.expect(version)
    got = tuple(r.read_int() for _ in range(6))
    if got != want:
        raise DlibFormatError(f"{version}: expected {want}, found {got}")
    r.layer_trailer()


def read_weights(path: Path) -> DescriptorWeights:
    try:
        return _read_weights(_Reader(path.read_bytes()))
    except DlibFormatError:
        raise
    except (IndexError, ValueError) as exc:  # truncated or foreign bytes
        raise DlibFormatError(f"{path.name} is not dlib's descriptor network: {exc}") from exc


def _read_weights(r: _Reader) -> DescriptorWeights:
    if r.read_int() != 1:
        raise DlibFormatError("not a dlib loss layer")
    r.expect("loss_metric_2")
    r.read_float(), r.read_float()  # margin and distance threshold: training-only
    input_tag = b"\x01\x15input_rgb_image_sized"
    while bytes(r.data[r.pos : r.pos + len(input_tag)]) != input_tag:
        r.read_int()  # the nested add_layer / tag / skip versions, outermost first
        if r.pos > 4096:
            raise DlibFormatError("no input layer found")
    r.expect("input_rgb_image_sized")
    mean = (r.read_float(), r.read_float(), r.read_float())
    if (r.read_int(), r.read_int()) != (CHIP_SIZE, CHIP_SIZE):
        raise DlibFormatError("input is not 150x150")
    stem = _conv_affine(r, first_on_input=True)
    _plain(r, "relu_")
    _pool(r, "max_pool_2", (3, 3, 2, 2, 0, 0))
    units: list[tuple[Conv, Conv, bool]] = []
    for channels, count, down in _LEVELS:
        for i in range(count):
            down_here = down and i == 0
            a = _conv_affine(r)
            _plain(r, "relu_")
            b = _conv_affine(r)
            if a.weight.shape[0] != channels or b.weight.shape[0] != channels:
                raise DlibFormatError(f"expected {channels} channels, found {a.weight.shape}")
            if a.stride != (2 if down_here else 1):
                raise DlibFormatError("down-sampling unit without stride 2")
            if down_here:
                _pool(r, "avg_pool_2", (2, 2, 2, 2, 0, 0))
            _plain(r, "add_prev_")
            _plain(r, "relu_")
            units.append((a, b, down_here))
    _pool(r, "avg_pool_2", (0, 0, 1, 1, 0, 0))
    r.expect("fc_2")
    outputs, inputs = r.read_int(), r.read_int()
    fc = r.read_tensor().reshape(inputs, outputs)
    if (inputs, outputs) != (256, DESCRIPTOR_SIZE):
        raise DlibFormatError(f"unexpected fc {inputs}x{outputs}")
    return DescriptorWeights(mean, stem, tuple(units), fc.astype(np.float32))


# -- the ONNX graph ------------------------------------------------------------------------------
def _out_size(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def build_onnx(w: DescriptorWeights) -> bytes:
    """The network as an ONNX model: input ``chips`` (N,150,150,3) uint8 RGB, output
    ``descriptors`` (N,128) float32."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    counter = iter(range(1_000_000))

    def name(prefix: str) -> str:
        return f"{prefix}{next(counter)}"

    def const(arr: npt.NDArray[Any], prefix: str = "c") -> str:
        n = name(prefix)
        inits.append(numpy_helper.from_array(arr, n))
        return n

    def node(op: str, inputs: list[str], **attrs: Any) -> str:
        out = name(op.lower())
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def conv(x: str, c: Conv) -> str:
        k = c.weight.shape[2]
        p = c.padding
        return node(
            "Conv",
            [x, const(c.weight, "w"), const(c.bias, "b")],
            kernel_shape=[k, k],
            strides=[c.stride, c.stride],
            pads=[p, p, p, p],
        )

    # dlib's input layer: (pixel - mean) / 256, channels-first
    x = node("Cast", ["chips"], to=TensorProto.FLOAT)
    x = node("Transpose", [x], perm=[0, 3, 1, 2])
    mean = np.array(w.mean_rgb, dtype=np.float32).reshape(1, 3, 1, 1)
    x = node("Sub", [x, const(mean)])
    x = node("Mul", [x, const(np.array(1 / 256, dtype=np.float32))])
    x = node("Relu", [conv(x, w.stem)])
    x = node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])
    size = _out_size(_out_size(CHIP_SIZE, 7, 2, w.stem.padding), 3, 2, 0)
    channels = w.stem.weight.shape[0]
    for a, b, down in w.units:
        y = conv(node("Relu", [conv(x, a)]), b)
        y_size = _out_size(_out_size(size, 3, a.stride, a.padding), 3, b.stride, b.padding)
        skip = x
        if down:
            skip = node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
            size = _out_size(size, 2, 2, 0)
        out_ch = b.weight.shape[0]
        # dlib adds into the larger shape with zeros where one side has no value
        if out_ch > channels:
            pads = np.array([0, 0, 0, 0, 0, out_ch - channels, 0, 0], dtype=np.int64)
            skip = node("Pad", [skip, const(pads)])
        if y_size < size:
            pads = np.array([0, 0, 0, 0, 0, 0, size - y_size, size - y_size], dtype=np.int64)
            y = node("Pad", [y, const(pads)])
        elif y_size > size:
            pads = np.array([0, 0, 0, 0, 0, 0, y_size - size, y_size - size], dtype=np.int64)
            skip = node("Pad", [skip, const(pads)])
            size = y_size
        x = node("Relu", [node("Add", [y, skip])])
        channels = out_ch
    x = node("GlobalAveragePool", [x])
    x = node("Flatten", [x])
    out = node("MatMul", [x, const(w.fc, "fc")])
    nodes.append(helper.make_node("Identity", [out], ["descriptors"]))
    graph = helper.make_graph(
        nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("chips", TensorProto.UINT8, ["n", CHIP_SIZE, CHIP_SIZE, 3])],
        [helper.make_tensor_value_info("descriptors", TensorProto.FLOAT, ["n", DESCRIPTOR_SIZE])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


# -- running it ----------------------------------------------------------------------------------
# Bump when build_onnx changes what it writes: cached graphs of older builds are then ignored.
GRAPH_VERSION = 1


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


def write_shipped_graph(path: Path, folder: Path) -> list[Path]:
    """Build time: convert the network in ``path`` and write the graph and its metadata
    (the ``.dat`` file's sha256, GRAPH_VERSION) into ``folder``; returns both files."""
    folder.mkdir(parents=True, exist_ok=True)
    graph, meta = folder / SHIPPED_GRAPH, folder / SHIPPED_META
    _write_atomically(graph, build_onnx(read_weights(path)))
    info = {
        "source": path.name,
        "source_sha256": _digest(path),
        "source_size": path.stat().st_size,
        "graph_version": GRAPH_VERSION,
    }
    _write_atomically(meta, (json.dumps(info, indent=2) + "\n").encode("utf-8"))
    return [graph, meta]


def _write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        _write_atomically(cached, data)
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
