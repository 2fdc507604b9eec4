"""The descriptor network (``descriptor_weights``) written as an ONNX graph.

Same weights, same arithmetic up to float summation order: descriptors agree with
dlib's to about 1e-6 (tests/unit/test_descriptor_net.py). When the two branches of a
residual unit differ in shape, dlib's ``add_prev`` adds them into the larger shape,
reading missing channels and rows as zero; the graph pads the smaller one the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from facedesk.core.similarity import DESCRIPTOR_SIZE
from facedesk.engine.descriptor_weights import CHIP_SIZE, Conv, DescriptorWeights


def _out_size(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


class _Graph:
    """ONNX nodes and initialisers, added in order, each output named uniquely."""

    def __init__(self, half_weights: bool = False) -> None:
        from onnx import helper, numpy_helper

        self._helper, self._numpy_helper = helper, numpy_helper
        self._half = half_weights
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self._counter = iter(range(1_000_000))

    def name(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter)}"

    def const(self, arr: npt.NDArray[Any], prefix: str = "c") -> str:
        n = self.name(prefix)
        self.inits.append(self._numpy_helper.from_array(arr, n))
        return n

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name(op.lower())
        self.nodes.append(self._helper.make_node(op, inputs, [out], **attrs))
        return out

    def weight(self, arr: npt.NDArray[np.float32], prefix: str) -> str:
        """A weight tensor; with ``half_weights`` stored as float16 and cast back to float32.

        The Cast of an initializer is constant-folded by onnxruntime when the session is
        made, so the arithmetic stays float32 (only the stored values are rounded to
        float16): half the file, for descriptors within descriptor_net.SHIPPED_BUDGET of dlib's.
        """
        if not self._half:
            return self.const(arr, prefix)
        from onnx import TensorProto

        return self.node("Cast", [self.const(arr.astype(np.float16), prefix)], to=TensorProto.FLOAT)

    def conv(self, x: str, c: Conv) -> str:
        k = c.weight.shape[2]
        p = c.padding
        return self.node(
            "Conv",
            [x, self.weight(c.weight, "w"), self.const(c.bias, "b")],
            kernel_shape=[k, k],
            strides=[c.stride, c.stride],
            pads=[p, p, p, p],
        )


def build_onnx(w: DescriptorWeights, half_weights: bool = False) -> bytes:
    """The network as an ONNX model: input ``chips`` (N,150,150,3) uint8 RGB, output
    ``descriptors`` (N,128) float32. ``half_weights`` stores the convolution and
    fully-connected weights as float16 (see ``_Graph.weight``); biases stay float32."""
    import onnx
    from onnx import TensorProto, helper

    g = _Graph(half_weights)
    # dlib's input layer: (pixel - mean) / 256, channels-first
    x = g.node("Cast", ["chips"], to=TensorProto.FLOAT)
    x = g.node("Transpose", [x], perm=[0, 3, 1, 2])
    mean = np.array(w.mean_rgb, dtype=np.float32).reshape(1, 3, 1, 1)
    x = g.node("Sub", [x, g.const(mean)])
    x = g.node("Mul", [x, g.const(np.array(1 / 256, dtype=np.float32))])
    x = g.node("Relu", [g.conv(x, w.stem)])
    x = g.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])
    size = _out_size(_out_size(CHIP_SIZE, 7, 2, w.stem.padding), 3, 2, 0)
    channels = w.stem.weight.shape[0]
    for a, b, down in w.units:
        x, size = _residual_unit(g, x, size, channels, a, b, down)
        channels = b.weight.shape[0]
    x = g.node("GlobalAveragePool", [x])
    x = g.node("Flatten", [x])
    out = g.node("MatMul", [x, g.weight(w.fc, "fc")])
    g.nodes.append(helper.make_node("Identity", [out], ["descriptors"]))
    graph = helper.make_graph(
        g.nodes,
        "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("chips", TensorProto.UINT8, ["n", CHIP_SIZE, CHIP_SIZE, 3])],
        [helper.make_tensor_value_info("descriptors", TensorProto.FLOAT, ["n", DESCRIPTOR_SIZE])],
        g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def _residual_unit(
    g: _Graph, x: str, size: int, channels: int, a: Conv, b: Conv, down: bool
) -> tuple[str, int]:
    """``relu(block(x) + skip(x))``; the output and its side length."""
    y = g.conv(g.node("Relu", [g.conv(x, a)]), b)
    y_size = _out_size(_out_size(size, 3, a.stride, a.padding), 3, b.stride, b.padding)
    skip = x
    if down:
        skip = g.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
        size = _out_size(size, 2, 2, 0)
    out_ch = b.weight.shape[0]
    # dlib adds into the larger shape with zeros where one side has no value
    if out_ch > channels:
        pads = np.array([0, 0, 0, 0, 0, out_ch - channels, 0, 0], dtype=np.int64)
        skip = g.node("Pad", [skip, g.const(pads)])
    if y_size < size:
        pads = np.array([0, 0, 0, 0, 0, 0, size - y_size, size - y_size], dtype=np.int64)
        y = g.node("Pad", [y, g.const(pads)])
    elif y_size > size:
        pads = np.array([0, 0, 0, 0, 0, 0, y_size - size, y_size - size], dtype=np.int64)
        skip = g.node("Pad", [skip, g.const(pads)])
        size = y_size
    return g.node("Relu", [g.node("Add", [y, skip])]), size
