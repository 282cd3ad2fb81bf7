"""Tests for ganlib.mnist.parzen against scipy's multivariate normal."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from ganlib.mnist import parzen

# --------------------------------------------------------------------------------------------
# Parzen window


def _scipy_parzen(test: np.ndarray, samples: np.ndarray, sigma: float) -> np.ndarray:
    cov = sigma**2 * np.eye(test.shape[1])
    logpdf = np.array([[multivariate_normal(s, cov).logpdf(x) for s in samples] for x in test])
    return logsumexp(logpdf, axis=1) - np.log(len(samples))


def test_parzen_matches_scipy_multivariate_normal() -> None:
    rng = np.random.default_rng(0)
    test, samples = rng.uniform(size=(7, 5)), rng.uniform(size=(11, 5))
    sigmas = (0.05, 0.3, 1.0)
    got = parzen.parzen_log_likelihoods(test, samples, sigmas, batch_size=3)
    for row, sigma in zip(got, sigmas, strict=True):
        np.testing.assert_allclose(row, _scipy_parzen(test, samples, sigma), rtol=1e-10)
    est = parzen.parzen_log_likelihood(torch.tensor(test), torch.tensor(samples), 0.3)
    expected = _scipy_parzen(test, samples, 0.3)
    assert est.mean == pytest.approx(expected.mean(), rel=1e-10)
    assert est.stderr == pytest.approx(expected.std() / math.sqrt(7), rel=1e-10)
    assert (est.n_test, est.n_samples, est.sigma) == (7, 11, 0.3)


def test_parzen_accepts_images_and_checks_pixel_range() -> None:
    rng = np.random.default_rng(1)
    images = rng.uniform(size=(4, 1, 28, 28))
    flat = parzen.parzen_log_likelihoods(images.reshape(4, -1), images.reshape(4, -1), 0.2)
    np.testing.assert_allclose(parzen.parzen_log_likelihoods(images, images, 0.2), flat)
    with pytest.raises(ValueError, match=r"\(x \+ 1\) / 2"):
        parzen.parzen_log_likelihood(images * 2 - 1, images, 0.2)
    with pytest.raises(ValueError, match="positive"):
        parzen.parzen_log_likelihoods(images, images, 0.0)


@pytest.mark.parametrize("sigma", [0.0, -0.1, math.nan, math.inf, -math.inf])
def test_parzen_refuses_sigmas_that_are_no_width(sigma: float) -> None:
    """σ = inf used to give -inf nats, NaN gave "nan ± nan"."""
    x = np.full((3, 4), 0.5)
    for call in (
        lambda: parzen.parzen_log_likelihood(x, x, sigma),
        lambda: parzen.parzen_log_likelihoods(x, x, (0.2, sigma)),
        lambda: parzen.select_parzen_sigma(x, x, (0.2, sigma)),
    ):
        with pytest.raises(ValueError, match=r"^sigma must be finite and positive"):
            call()


def test_sigma_selection_picks_the_analytic_maximiser() -> None:
    # One validation point at distance d from every centre in D dimensions:
    # ℓ(σ) = −d²/(2σ²) − D log σ + const, maximised at σ* = d / √D.
    dim = 4
    centre = np.full(dim, 0.5)
    samples = np.stack([centre + 0.2, centre - 0.2])  # both at distance d = 0.4
    grid = (0.05, 0.1, 0.2, 0.3, 0.4)
    sigma, scores = parzen.select_parzen_sigma(centre[None], samples, grid)
    assert sigma == pytest.approx(0.4 / math.sqrt(dim))
    expected = [_scipy_parzen(centre[None], samples, s).mean() for s in grid]
    np.testing.assert_allclose(scores, expected, rtol=1e-10)
    assert np.argmax(expected) == grid.index(sigma)


def test_paper_sigma_grid() -> None:
    np.testing.assert_allclose(parzen.PAPER_SIGMAS, np.logspace(-1, 0, 10))
