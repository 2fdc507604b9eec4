"""The shipped descriptor graph stores its weights as float16 (issue 21: half of its 22.4 MB
in the desktop bundle): its descriptors of real faces stay within the stated budget of
dlib's own, and no face's nearest other face changes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facedesk.engine import descriptor_net, dlib_models
from facedesk.engine.descriptor_net import DescriptorNet
from tests.support.dlib_descriptors import dlib_chips_and_descriptors


def _nearest(d: np.ndarray) -> np.ndarray:
    dist = np.linalg.norm(d[:, None, :] - d[None, :, :], axis=2)
    np.fill_diagonal(dist, np.inf)
    return np.asarray(dist.argmin(axis=1))


@pytest.mark.slow
def test_shipped_half_weights_graph_keeps_dlibs_descriptors(
    testdata: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resnet = dlib_models.model_path("resnet")
    chips, dlib_d = dlib_chips_and_descriptors(testdata)
    assert len(chips) >= 25

    folder = tmp_path / "models"
    graph, meta = descriptor_net.write_shipped_graph(resnet, folder, half_weights=True)
    assert '"weights": "float16"' in meta.read_text()
    full = descriptor_net.build_onnx(descriptor_net.read_weights(resnet))
    assert graph.stat().st_size < 0.55 * len(full)  # float16: half the bytes

    monkeypatch.setattr(descriptor_net, "shipped_dir", lambda: folder)
    descriptor_net.model_bytes.cache_clear()
    try:
        shipped = DescriptorNet(tmp_path / "no-dat" / resnet.name).compute(chips)
    finally:
        descriptor_net.model_bytes.cache_clear()
    worst = np.linalg.norm(shipped - dlib_d, axis=1).max()
    assert 0 < worst < descriptor_net.SHIPPED_BUDGET  # rounded weights: not the float32 graph
    assert np.array_equal(_nearest(shipped), _nearest(dlib_d))
