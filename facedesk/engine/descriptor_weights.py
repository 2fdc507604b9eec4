"""dlib's face-descriptor ResNet read from its own ``.dat`` file into numpy.

The network is the one of dlib's ``dnn_face_recognition_ex.cpp``::

    loss_metric<fc_no_bias<128, avg_pool_everything<
      level0<level1<level2<level3<level4<
      max_pool<3,3,2,2, relu<affine<con<32,7,7,2,2, input_rgb_image_sized<150>>>>>>>>>>>>>

with residual blocks ``relu(block(x) + x)`` and down-sampling blocks
``relu(block(x) + avg_pool<2,2,2,2>(x))``, where ``block`` is
``affine(con3x3(relu(affine(con3x3/stride(x)))))``. Each ``affine`` layer is folded into
the convolution before it as the weights are read.

The file format is dlib's ``serialize``: integers as a control byte (length, sign bit)
plus little-endian bytes, floats as (mantissa, exponent) integer pairs, tensors as a
shape header plus raw little-endian float32, and nested ``add_layer`` objects whose
version numbers all come first and whose layer details follow innermost first. Reading
checks every layer's kind and shape against the architecture above, so a different file
fails loudly instead of computing wrong descriptors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from facedesk.core.similarity import DESCRIPTOR_SIZE

CHIP_SIZE = 150

Array = npt.NDArray[np.float32]


class DlibFormatError(ValueError):
    """The file is not the descriptor network this module knows."""


# -- dlib's serialize format ----------------------------------------------------------------
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
