"""A dlib ``serialize`` stream made only of integers, split into its integers with numpy.

dlib writes an integer as a control byte (low nibble: how many little-endian bytes follow,
1-8; bit 7: negative) and those bytes; a float is two such integers (mantissa, exponent,
with the mantissa's trailing zero bits dropped, so floats are 4 to 6 bytes long). A shape
predictor file is nothing but such integers (no strings), 33 million of them for the
68-point model: a Python loop over them takes a minute.

Where each integer starts depends on every integer before it, which numpy cannot follow
directly. It is done with walkers instead: the stream is cut into chunks of ``_CHUNK``
bytes, one walker starts at each chunk's first byte as if an integer began there, and all
walkers step integer by integer together (one numpy gather per step) through their own
chunk and the next. A walker that started mid-integer soon lands on a true integer start
(integer boundaries re-synchronise within a few steps), and from there on its path is the
true one. Walker 0 starts on a true start; so, by induction, the true starts in chunk j
are walker j-1's positions there, as long as walker j's own path met them inside chunk j
(checked for every chunk; after a chunk where it did not, walking starts again from
the last known start).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from facedesk.engine.descriptor_weights import DlibFormatError

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
U8 = npt.NDArray[np.uint8]

_CHUNK = 256  # bytes; an integer is at least 2 bytes, so _CHUNK steps cross 2 chunks
_SLAB = 1 << 20  # bytes walked at once: the walkers' reads stay in the CPU's caches
# bytes a walker steps from each control byte: 1 + its size, and at least 2 (a true
# integer has >= 1 byte after its control byte), so a walker that has not synchronised
# yet still covers its chunk and the next
_STEP = np.maximum(np.arange(256) & 0x0F, 1).astype(np.uint8) + np.uint8(1)


def _slab_starts(step: U8, n: int, start: int, end: int) -> tuple[I32, int]:
    """The integer starts from ``start`` (one) up to about ``end``, and the next start."""
    walkers = np.arange(start, end, _CHUNK, dtype=np.int32)
    count = len(walkers)
    history = np.empty((_CHUNK + 1, count), dtype=np.int32)
    pos = walkers
    for row in range(_CHUNK + 1):
        history[row] = pos
        pos = pos + step[pos]
    # walker w's path: its own chunk up to row own[w], then chunk w+1 up to row cross[w]
    bound = walkers + _CHUNK
    own = np.minimum((history < bound[None, :]).sum(axis=0), _CHUNK)
    cross = (history < (bound + _CHUNK)[None, :]).sum(axis=0)
    # Paths that meet stay one. Walker w+1 is on the true path from where it leaves its
    # chunk if walker w (on it, by induction from walker 0) leaves that chunk there too.
    cols = np.arange(count - 1)
    synced = history[own[1:], cols + 1] == history[np.minimum(cross[:-1], _CHUNK), cols]
    keep = count if synced.all() else int(np.argmin(synced)) + 1
    lo = np.where(np.arange(keep) == 0, 0, own[:keep])
    rows = np.arange(_CHUNK + 1)[:, None]
    part = history[:, :keep]
    take = (rows >= lo[None, :]) & (rows < cross[None, :keep]) & (part < n)
    marks = np.zeros(int(part.max()) - start + 1, dtype=bool)
    marks[part[take] - start] = True
    starts = (np.flatnonzero(marks) + start).astype(np.int32)
    return starts, int(starts[-1]) + int(step[starts[-1]])


def _values(b: U8, starts: I32) -> I64:
    """The integers starting at ``starts`` (b is padded with 8 zero bytes)."""
    control = b[starts]
    size = control & 0x0F
    wrong = ((control & 0x70) != 0) | (size == 0) | (size > 8)
    if wrong.any():
        bad = int(starts[np.argmax(wrong)])
        raise DlibFormatError(f"bad integer control byte {b[bad]:#x} at {bad}")
    value = np.zeros(len(starts), dtype=np.uint64)
    for k in range(int(size.max(initial=0))):
        byte = b[starts + (1 + k)].astype(np.uint64)
        byte[size <= k] = 0
        value |= byte << np.uint64(8 * k)
    if np.any(value >= np.uint64(1 << 63)):
        raise DlibFormatError("an integer does not fit 63 bits")
    signed = value.astype(np.int64)
    np.negative(signed, out=signed, where=(control & 0x80) != 0)
    return signed


def integers(data: bytes) -> I64:
    """Every integer of ``data``, a stream of dlib-serialized integers; DlibFormatError if
    a control byte is not one or the last integer runs past the end."""
    n = len(data)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n >= 1 << 30:
        raise DlibFormatError("file too large")
    b = np.frombuffer(data + bytes(8), dtype=np.uint8)  # padded: a value reads 8 bytes on
    # walkers run up to 2 chunks of 9-byte steps past the end: padding, not data
    step = np.concatenate([_STEP[b[:n]], np.full(18 * (_CHUNK + 1), 2, dtype=np.uint8)])
    # decoded slab by slab, so the file's 33 million start positions never exist at once
    parts: list[I64] = []
    pos = 0
    last = 0
    while pos < n:
        starts, pos = _slab_starts(step, n, pos, min(pos + _SLAB, n))
        parts.append(_values(b, starts))
        last = int(starts[-1])
    if last + 1 + int(b[last] & 0x0F) != n:
        raise DlibFormatError("the data ends inside an integer (truncated)")
    return np.concatenate(parts)
