"""An install with the shipped descriptor graph but without dlib's ResNet .dat (the desktop
bundle, issue 21) computes the same descriptors and reports the same model files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facedesk import selftest
from facedesk.engine import descriptor_net, dlib_models

DAT = "dlib_face_recognition_resnet_model_v1.dat"


@pytest.fixture
def shipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "models"
    descriptor_net.write_shipped_graph(dlib_models.model_path("resnet"), folder)
    monkeypatch.setattr(descriptor_net, "shipped_dir", lambda: folder)
    return folder


def test_descriptors_from_the_shipped_graph_alone(shipped: Path, tmp_path: Path) -> None:
    missing = tmp_path / "gone" / DAT
    chips = np.random.default_rng(5).integers(0, 256, (2, 150, 150, 3), dtype=np.uint8)
    alone = descriptor_net.DescriptorNet(missing).compute(chips)
    with_dat = descriptor_net.DescriptorNet(dlib_models.model_path("resnet")).compute(chips)
    assert np.abs(alone - with_dat).max() < 1e-6


def test_no_dat_and_no_graph_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(descriptor_net, "shipped_dir", lambda: tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="no graph shipped"):
        descriptor_net.model_bytes(tmp_path / "nowhere" / DAT)


def test_self_test_reports_the_dat_size_recorded_with_the_graph(shipped: Path) -> None:
    size = dlib_models.model_path("resnet").stat().st_size
    assert selftest._shipped_in_place_of(DAT) == size
    assert selftest._shipped_in_place_of("shape_predictor_5_face_landmarks.dat") is None
