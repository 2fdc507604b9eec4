"""The distance -> similarity curve: endpoints, shape, inverse, and the top-k helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facedesk.core.similarity import (
    DEFAULT_MATCH_THRESHOLD,
    DLIB_SAME_PERSON_DISTANCE,
    distance_for_similarity,
    similarity,
    top_k_largest,
    top_k_smallest,
)


def test_endpoints() -> None:
    assert similarity(0.0) == 100.0
    assert similarity(DLIB_SAME_PERSON_DISTANCE) == pytest.approx(80.0, abs=1e-12)
    assert DEFAULT_MATCH_THRESHOLD == 80.0
    assert distance_for_similarity(100.0) == 0.0
    assert distance_for_similarity(80.0) == pytest.approx(0.6, abs=1e-12)
    assert distance_for_similarity(0.0) == math.inf


def test_shape_looks_like_rekognition() -> None:
    # Same-person distances score in the 90s, strangers well under the default threshold.
    assert 90.0 <= similarity(0.45) < similarity(0.3) <= 100.0
    assert 30.0 <= similarity(0.9) <= 50.0
    assert similarity(1.2) < 10.0


def test_strictly_decreasing_and_bounded() -> None:
    d = np.linspace(0.0, 3.0, 30001)
    s = similarity(d)
    assert isinstance(s, np.ndarray) and s.shape == d.shape
    assert np.all((s >= 0.0) & (s <= 100.0))
    # Strict where float64 still resolves the change (it flattens to 100 at 0 and to 0 far out).
    assert np.all(np.diff(s) <= 0.0)
    mid = (d > 0.01) & (d < 2.0)
    assert np.all(np.diff(s[mid]) < 0.0)


def test_smooth_no_jumps() -> None:
    d = np.linspace(0.0, 2.0, 20001)
    step = np.abs(np.diff(similarity(d)))
    assert step.max() < 0.05  # slope stays under 500 per unit distance


def test_negative_distance_is_zero_and_nan_rejected() -> None:
    assert similarity(-1e-7) == 100.0
    with pytest.raises(ValueError):
        similarity(float("nan"))
    with pytest.raises(ValueError):
        distance_for_similarity(100.5)
    with pytest.raises(ValueError):
        distance_for_similarity(-0.1)


def test_inverse_round_trip() -> None:
    d = np.linspace(0.0, 1.5, 301)
    np.testing.assert_allclose(distance_for_similarity(similarity(d)), d, atol=1e-9)
    s = np.linspace(1.0, 100.0, 199)
    np.testing.assert_allclose(similarity(distance_for_similarity(s)), s, rtol=1e-12, atol=1e-9)
    for score in (99.0, 95.0, 80.0, 50.0, 10.0):
        assert isinstance(distance_for_similarity(score), float)
        assert similarity(distance_for_similarity(score)) == pytest.approx(score, rel=1e-12)


def test_threshold_filter_by_distance_agrees_with_filter_by_similarity() -> None:
    rng = np.random.default_rng(0)
    d = rng.uniform(0.0, 1.5, 10000)
    for threshold in (60.0, 80.0, 95.0):
        by_distance = d <= distance_for_similarity(threshold)
        by_score = similarity(d) >= threshold
        assert np.array_equal(by_distance, by_score)


def test_top_k_smallest_and_largest() -> None:
    rng = np.random.default_rng(1)
    v = rng.normal(size=1000)
    for k in (1, 5, 999, 1000, 5000):
        idx = top_k_smallest(v, k)
        np.testing.assert_array_equal(idx, np.argsort(v, kind="stable")[:k])
        idx = top_k_largest(v, k)
        np.testing.assert_array_equal(idx, np.argsort(-v, kind="stable")[:k])
    assert top_k_smallest(v, 0).size == 0
    assert top_k_smallest(np.empty(0), 3).size == 0
    ties = np.array([2.0, 1.0, 1.0, 0.5, 1.0])
    np.testing.assert_array_equal(top_k_smallest(ties, 5), [3, 1, 2, 4, 0])
    with pytest.raises(ValueError):
        top_k_smallest(v, -1)
