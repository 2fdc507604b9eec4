"""Fuzzing: the decoder and every operation's request validation raise only facedesk's named
errors (``facedesk.errors.ClientError`` subclasses), whatever comes in.

Requests are generated from the service model facedesk ships (rekognition_model.json):
members with valid-looking values, wrong types, out-of-range numbers, unknown keys. Images
in requests are random or mutated bytes, so the face engine never runs in the request fuzz;
the decoder fuzz runs DetectFaces only on tiny (80..100 px) mutated pictures.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import facedesk
from facedesk.core.errors import ClientError
from facedesk.engine import RELAXED_LIMITS, STRICT_LIMITS, decode_image
from facedesk.service.client import operation_names
from facedesk.service.validation import input_shape_name, service_model, shape

pytestmark = pytest.mark.slow


def fuzz(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,  # no .hypothesis folder in the repository
        derandomize=True,  # the same cases on every run and machine
        suppress_health_check=list(HealthCheck),
    )


REQUESTS_PER_OPERATION = 600  # x 18 operations
DECODER_CASES = 2500  # per strategy below
DETECT_CASES = 200

# --- the decoder ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(testdata: Any) -> dict[str, bytes]:
    """Small real pictures whose bytes are mutated: JPEG, PNG and the relaxed-only formats."""
    im = Image.open(testdata / "real" / "face_recognition" / "obama_small.jpg").convert("RGB")
    im = im.resize((100, 100))
    out: dict[str, bytes] = {}
    for fmt, kwargs in {
        "JPEG": {"quality": 80},
        "PNG": {},
        "GIF": {},
        "WEBP": {},
        "TIFF": {},
        "BMP": {},
    }.items():
        buf = io.BytesIO()
        im.save(buf, fmt, **kwargs)
        out[fmt] = buf.getvalue()
    buf = io.BytesIO()
    im.save(buf, "JPEG", progressive=True)
    out["JPEG-progressive"] = buf.getvalue()
    return out


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """Bit flips, byte overwrites, cuts, splices and duplications, biased towards the header."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete", "dup"]))
        head = draw(st.booleans())
        hi = min(len(data) - 1, 300) if head else len(data) - 1
        if hi < 0:
            break
        at = draw(st.integers(0, hi))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0xD9, 0xDA, 0xC0]))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            n = draw(st.integers(1, 64))
            data[at:at] = data[at : at + n]
    return bytes(data)


def _decode_everything(data: bytes) -> None:
    for limits in (STRICT_LIMITS, RELAXED_LIMITS):
        try:
            image = decode_image(data, limits)
        except ClientError as exc:
            assert exc.message and exc.code != "ClientError"
            continue
        assert image.pixels.ndim == 3 and image.pixels.shape[2] == 3
        assert image.width >= limits.min_side and image.height >= limits.min_side


@fuzz(DECODER_CASES)
@given(data=st.binary(max_size=2048))
def test_decoder_random_bytes(data: bytes) -> None:
    _decode_everything(data)


@fuzz(DECODER_CASES)
@given(pick=st.data())
def test_decoder_mutated_real_headers(seeds: dict[str, bytes], pick: st.DataObject) -> None:
    seed = pick.draw(st.sampled_from(sorted(seeds)))
    _decode_everything(pick.draw(mutated(seeds[seed])))


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    c = facedesk.client(database=str(tmp_path_factory.mktemp("fuzz") / "fuzz.db"))
    c.create_collection(CollectionId="fuzz")
    yield c
    c.close()


def test_detect_faces_on_mutated_tiny_pictures(seeds: dict[str, bytes], fuzz_client: Any) -> None:
    seen: dict[str, int] = {}

    @fuzz(DETECT_CASES)
    @given(pick=st.data())
    def run(pick: st.DataObject) -> None:
        seed = pick.draw(st.sampled_from(["JPEG", "JPEG-progressive", "PNG"]))
        data = pick.draw(mutated(seeds[seed]))
        try:
            response = fuzz_client.detect_faces(Image={"Bytes": data}, Attributes=["ALL"])
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == exc.code
            seen[exc.code] = seen.get(exc.code, 0) + 1
            return
        assert isinstance(response["FaceDetails"], list)
        seen["ok"] = seen.get("ok", 0) + 1

    run()
    assert sum(seen.values()) >= DETECT_CASES
    assert seen.get("ok", 0) > 0 and seen.get("InvalidImageFormatException", 0) > 0, seen


# --- request validation ----------------------------------------------------------------------

_ANY_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.builds(object),
    st.just(math.nan),
)


def _valid_string(s: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    if "enum" in s:
        return st.sampled_from(s["enum"])
    lo, hi = s.get("min", 0), min(s.get("max", 40), 40)
    pattern = s.get("pattern")
    if pattern and "\\p{" not in pattern:
        return st.from_regex(pattern, fullmatch=True).filter(lambda v: lo <= len(v) <= hi)
    return st.text(min_size=lo, max_size=max(lo, hi))


def _number(s: Mapping[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    lo, hi = s.get("min"), s.get("max")
    if integer:
        inside: st.SearchStrategy[Any] = st.integers(
            min_value=int(lo) if lo is not None else -(2**40),
            max_value=int(hi) if hi is not None else 2**40,
        )
        edges = [v + d for v in (lo, hi) if v is not None for d in (-1, 0, 1)]
    else:
        inside = st.floats(min_value=lo, max_value=hi, allow_nan=False)
        edges = [v + d for v in (lo, hi) if v is not None for d in (-0.001, 0.0, 0.001)]
    return st.one_of(inside, st.sampled_from(edges or [0]))


def value_for(shape_name: str, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value for ``shape_name``: usually well-formed, sometimes any junk at all."""
    s = shape(shape_name)
    kind = s["type"]
    if depth > 4:
        return _ANY_JUNK
    if kind == "structure":
        good: st.SearchStrategy[Any] = request_for(shape_name, depth + 1)
    elif kind == "list":
        member = value_for(s["member"]["shape"], depth + 1)
        good = st.lists(member, min_size=s.get("min", 0), max_size=min(s.get("max", 4), 4) + 1)
    elif kind == "map":
        hashable_junk = st.one_of(st.none(), st.integers(), st.booleans(), st.binary(max_size=4))
        keys = st.one_of(_valid_string(shape(s["key"]["shape"])), hashable_junk)
        good = st.dictionaries(keys, value_for(s["value"]["shape"], depth + 1), max_size=3)
    elif kind == "string":
        good = _valid_string(s)
    elif kind in ("integer", "long"):
        good = _number(s, integer=True)
    elif kind in ("float", "double"):
        good = _number(s, integer=False)
    elif kind == "boolean":
        good = st.booleans()
    elif kind == "timestamp":
        good = st.datetimes()
    elif kind == "blob":
        good = st.one_of(
            st.binary(max_size=64),
            st.just(b""),
            st.just(b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024)),  # over the 5 MiB maximum
            st.builds(io.BytesIO, st.binary(max_size=64)),
        )
    else:  # pragma: no cover - the model has no other types
        raise AssertionError(kind)
    return st.one_of(good, good, good, _ANY_JUNK)


def request_for(shape_name: str, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    s = shape(shape_name)
    members = s.get("members", {})
    required = set(s.get("required", []))
    optional = {k: value_for(m["shape"], depth) for k, m in members.items()}

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, strategy in optional.items():
            # Required members are usually present, optional ones half of the time.
            if draw(st.integers(0, 9)) < (8 if key in required else 5):
                out[key] = draw(strategy)
        for _ in range(draw(st.integers(0, 9)) // 8):
            out[draw(st.text(max_size=12))] = draw(_ANY_JUNK)  # unknown keys
        return out

    return build()


OPERATIONS = sorted(operation_names().items())
CASES: dict[str, dict[str, int]] = {}


def test_every_operation_is_fuzzed() -> None:
    assert len(OPERATIONS) == 18
    assert {op for _, op in OPERATIONS} <= set(service_model()["operations"])


@pytest.mark.parametrize(("method", "operation"), OPERATIONS, ids=[m for m, _ in OPERATIONS])
def test_requests_raise_only_named_errors(fuzz_client: Any, method: str, operation: str) -> None:
    strategy = request_for(input_shape_name(operation))
    seen: dict[str, int] = {}

    @fuzz(REQUESTS_PER_OPERATION)
    @given(kwargs=strategy)
    def run(kwargs: dict[str, Any]) -> None:
        try:
            response = getattr(fuzz_client, method)(**kwargs)
        except ClientError as exc:
            assert type(exc) is not ClientError, "a bare ClientError has no Rekognition name"
            assert exc.message, exc
            assert exc.response == {"Error": {"Code": exc.code, "Message": exc.message}}
            assert operation in str(exc)
            seen[exc.code] = seen.get(exc.code, 0) + 1
            return
        assert isinstance(response, dict)
        seen["ok"] = seen.get("ok", 0) + 1

    run()
    assert sum(seen.values()) >= REQUESTS_PER_OPERATION, seen  # hypothesis ran them all
    assert seen.get("InvalidParameterException", 0) > 0, seen
    CASES[method] = seen
