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
