"""dlib's descriptor network read from its .dat file and run on onnxruntime must give
dlib's own descriptors (same weights, same arithmetic up to summation order)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facedesk.engine import dlib_models
from facedesk.engine.descriptor_net import (
    CHIP_SIZE,
    DescriptorNet,
    DlibFormatError,
    read_weights,
)
from tests.support.dlib_descriptors import dlib_chips_and_descriptors


@pytest.mark.slow
def test_descriptors_equal_dlibs_own(testdata: Path) -> None:
    chips, want = dlib_chips_and_descriptors(testdata)
    assert len(chips) >= 25  # 24 on bald_guys + at least one more
    net = DescriptorNet(dlib_models.model_path("resnet"))
    batched = net.compute(chips)
    one_by_one = np.concatenate([net.compute(chips[i : i + 1]) for i in range(len(chips))])
    assert batched.shape == (len(chips), 128)
    assert batched.dtype == np.float32
    # dlib's same-person threshold is a distance of 0.6; the two agree to ~1e-6.
    assert np.linalg.norm(batched - want, axis=1).max() < 1e-4
    assert np.abs(one_by_one - batched).max() < 1e-5


def test_no_chips_no_descriptors() -> None:
    net = DescriptorNet(dlib_models.model_path("resnet"))
    empty = np.zeros((0, CHIP_SIZE, CHIP_SIZE, 3), dtype=np.uint8)
    assert net.compute(empty).shape == (0, 128)
    with pytest.raises(ValueError, match="chips must be"):
        net.compute(np.zeros((1, 100, 100, 3), dtype=np.uint8))


def test_reading_checks_the_architecture(tmp_path: Path) -> None:
    w = read_weights(dlib_models.model_path("resnet"))
    assert w.stem.weight.shape == (32, 3, 7, 7)
    assert [u[0].weight.shape[0] for u in w.units] == [32] * 3 + [64] * 4 + [128] * 3 + [256] * 4
    assert w.fc.shape == (256, 128)
    # Another dlib file (a shape predictor) is refused, not misread.
    with pytest.raises(DlibFormatError):
        read_weights(dlib_models.model_path("sp5"))
    # So is the network with a truncated tail.
    cut = tmp_path / "cut.dat"
    cut.write_bytes(dlib_models.model_path("resnet").read_bytes()[:1_000_000])
    with pytest.raises(DlibFormatError):
        read_weights(cut)


def test_graph_is_cached_and_a_damaged_or_unwritable_cache_costs_only_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facedesk.engine import descriptor_net

    resnet = dlib_models.model_path("resnet")
    chip = np.full((1, CHIP_SIZE, CHIP_SIZE, 3), 128, dtype=np.uint8)
    want = DescriptorNet(resnet).compute(chip)

    monkeypatch.setenv("FACEDESK_CACHE_DIR", str(tmp_path / "cache"))
    descriptor_net.model_bytes.cache_clear()
    DescriptorNet(resnet)
    (cached,) = (tmp_path / "cache" / "models").glob("dlib-resnet-*.onnx")
    assert cached.stat().st_size > 20_000_000

    cached.write_bytes(b"not an onnx graph")
    descriptor_net.model_bytes.cache_clear()
    assert np.array_equal(DescriptorNet(resnet).compute(chip), want)
    assert cached.stat().st_size > 20_000_000  # mended for the next process

    (tmp_path / "blocked").write_text("a file where the cache folder should be")
    monkeypatch.setenv("FACEDESK_CACHE_DIR", str(tmp_path / "blocked"))
    descriptor_net.model_bytes.cache_clear()
    assert np.array_equal(DescriptorNet(resnet).compute(chip), want)
    descriptor_net.model_bytes.cache_clear()


def test_a_shipped_graph_is_used_before_the_cache_and_only_for_its_own_model_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desktop bundle ships the graph converted at build time (packaging/facedesk.spec)."""
    from facedesk.engine import descriptor_net

    resnet = dlib_models.model_path("resnet")
    shipped = tmp_path / "shipped"
    graph, meta = descriptor_net.write_shipped_graph(resnet, shipped)
    monkeypatch.setattr(descriptor_net, "shipped_dir", lambda: shipped)
    monkeypatch.setenv("FACEDESK_CACHE_DIR", str(tmp_path / "cache"))
    descriptor_net.model_bytes.cache_clear()
    try:
        assert descriptor_net.model_bytes(resnet) == graph.read_bytes()
        assert not (tmp_path / "cache").exists()  # nothing converted, nothing cached
        chip = np.full((1, CHIP_SIZE, CHIP_SIZE, 3), 128, dtype=np.uint8)
        from_shipped = DescriptorNet(resnet).compute(chip)

        # a graph recorded for another .dat file (or an older GRAPH_VERSION) is ignored
        meta.write_text(meta.read_text().replace('"source_sha256": "', '"source_sha256": "0'))
        descriptor_net.model_bytes.cache_clear()
        assert np.array_equal(DescriptorNet(resnet).compute(chip), from_shipped)
        assert list((tmp_path / "cache" / "models").glob("dlib-resnet-*.onnx"))
    finally:
        descriptor_net.model_bytes.cache_clear()
