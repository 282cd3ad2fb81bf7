"""Tests for ganlib.mnist.frechet against scipy's sqrtm and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from ganlib.mnist import frechet

# --------------------------------------------------------------------------------------------
# Fréchet distance


def _scipy_frechet(a: np.ndarray, b: np.ndarray) -> float:
    """The textbook formula with scipy's general matrix square root."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * covmean))


def test_frechet_matches_scipy_sqrtm() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(300, 6)) * 2.0 + 0.5
    assert frechet.frechet_distance(a, b) == pytest.approx(_scipy_frechet(a, b), rel=1e-8)
    assert frechet.frechet_distance(a, b) == pytest.approx(frechet.frechet_distance(b, a))
    assert frechet.frechet_distance(torch.tensor(a), b) == pytest.approx(_scipy_frechet(a, b))


def test_frechet_closed_forms() -> None:
    rng = np.random.default_rng(1)
    feats = rng.normal(size=(500, 8)) @ rng.normal(size=(8, 8))
    assert abs(frechet.frechet_distance(feats, feats)) < 1e-8
    shift = rng.normal(size=8)  # same covariance, shifted mean: exactly |Δμ|²
    assert frechet.frechet_distance(feats, feats + shift) == pytest.approx(shift @ shift, rel=1e-8)
    # diagonal Gaussians: |Δμ|² + Σ (√a_i − √b_i)²
    var_a, var_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    mu_a, mu_b = np.zeros(3), np.array([1.0, -2.0, 0.0])
    expected = 5.0 + ((np.sqrt(var_a) - np.sqrt(var_b)) ** 2).sum()
    got = frechet.frechet_distance_from_statistics(mu_a, np.diag(var_a), mu_b, np.diag(var_b))
    assert got == pytest.approx(expected, rel=1e-12)


def test_frechet_of_samples_approaches_the_gaussian_value() -> None:
    rng = np.random.default_rng(2)
    cov = np.array([[2.0, 0.5], [0.5, 1.0]])
    a = rng.multivariate_normal([0.0, 0.0], cov, size=20_000)
    b = rng.multivariate_normal([3.0, 4.0], cov, size=20_000)
    assert frechet.frechet_distance(a, b) == pytest.approx(25.0, abs=0.2)


def test_frechet_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match="shapes do not match"):
        frechet.frechet_distance(np.zeros((5, 3)), np.ones((5, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        frechet.frechet_distance(np.zeros((1, 3)), np.ones((5, 3)))
