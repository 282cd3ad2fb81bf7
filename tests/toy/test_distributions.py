"""Tests for ganlib.toy.distributions: exact densities and moments against scipy, samplers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from ganlib.toy.distributions import (
    TARGETS,
    Gaussian,
    GaussianMixture,
    SkewNormal,
    ideal_map,
    noise_cdf,
    noise_quantile,
    normal_pdf,
    quantile,
    sample_noise,
)


def _scipy_pdf(dist) -> callable:
    """An independent scipy.stats density for each ganlib target."""
    if isinstance(dist, Gaussian):
        return stats.norm(dist.mean, dist.std).pdf
    if isinstance(dist, SkewNormal):
        return stats.skewnorm(dist.alpha, loc=dist.loc, scale=dist.scale).pdf
    parts = list(zip(dist.weights, dist.means, dist.stds, strict=True))
    return lambda x: sum(w * stats.norm(m, s).pdf(x) for w, m, s in parts)


def _scipy_moments(dist) -> tuple[float, float]:
    if isinstance(dist, Gaussian):
        return dist.mean, dist.std
    if isinstance(dist, SkewNormal):
        d = stats.skewnorm(dist.alpha, loc=dist.loc, scale=dist.scale)
        return float(d.mean()), float(d.std())
    pdf = _scipy_pdf(dist)
    m = integrate.quad(lambda x: x * pdf(x), -np.inf, np.inf)[0]
    v = integrate.quad(lambda x: (x - m) ** 2 * pdf(x), -np.inf, np.inf)[0]
    return m, float(np.sqrt(v))


def test_targets_have_the_promised_names():
    assert set(TARGETS) == {"gaussian", "bimodal", "skewed"}
    assert TARGETS["gaussian"] == Gaussian(mean=4.0, std=1.25)
    for name, dist in TARGETS.items():
        assert dist.name == name


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_pdf_matches_scipy_and_integrates_to_one(name):
    dist = TARGETS[name]
    x = np.linspace(dist.mean - 8 * dist.std, dist.mean + 8 * dist.std, 2001)
    np.testing.assert_allclose(dist.pdf(x), _scipy_pdf(dist)(x), rtol=1e-10, atol=1e-14)
    total, _ = integrate.quad(dist.pdf, -np.inf, np.inf)
    assert total == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_exact_moments_match_scipy(name):
    dist = TARGETS[name]
    mean, std = _scipy_moments(dist)
    assert dist.mean == pytest.approx(mean, rel=1e-7)
    assert dist.std == pytest.approx(std, rel=1e-7)


def test_skewed_target_has_the_gaussian_targets_moments_but_is_skewed():
    sk = TARGETS["skewed"]
    assert (sk.mean, sk.std) == pytest.approx((4.0, 1.25))
    assert stats.skewnorm(sk.alpha, loc=sk.loc, scale=sk.scale).stats(moments="s") > 0.5


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_samples_shape_dtype_and_moments(name):
    dist = TARGETS[name]
    gen = torch.Generator().manual_seed(0)
    x = dist.sample(200_000, gen)
    assert x.shape == (200_000, 1)
    assert x.dtype == torch.float32
    # standard error of the mean is std / sqrt(n) ~ 0.004; allow 5 of them
    assert float(x.mean()) == pytest.approx(dist.mean, abs=5 * dist.std / np.sqrt(len(x)))
    assert float(x.std()) == pytest.approx(dist.std, rel=0.01)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_samples_follow_the_density(name):
    """Kolmogorov-Smirnov test of the sampler against scipy's CDF of the exact density."""
    dist = TARGETS[name]
    x = dist.sample(20_000, torch.Generator().manual_seed(1)).numpy().ravel()
    pdf = _scipy_pdf(dist)
    grid = np.linspace(dist.mean - 10 * dist.std, dist.mean + 10 * dist.std, 20_001)
    cdf = integrate.cumulative_trapezoid(pdf(grid), grid, initial=0.0)
    result = stats.kstest(x, lambda t: np.interp(t, grid, cdf))
    assert result.pvalue > 1e-3


def test_sampling_is_reproducible_with_a_generator():
    a = TARGETS["bimodal"].sample(100, torch.Generator().manual_seed(3))
    b = TARGETS["bimodal"].sample(100, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_mixture_moments_formula():
    mix = GaussianMixture(means=(0.0, 3.0), stds=(1.0, 2.0), weights=(0.25, 0.75))
    assert mix.mean == pytest.approx(2.25)
    assert mix.std == pytest.approx(np.sqrt(0.25 * 1 + 0.75 * (4 + 9) - 2.25**2))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"means": (1.0,), "stds": (1.0, 2.0), "weights": (1.0,)}, "equal length"),
        ({"means": (1.0,), "stds": (0.0,), "weights": (1.0,)}, "> 0"),
        ({"means": (1.0, 2.0), "stds": (1.0, 1.0), "weights": (0.5, 0.6)}, "sum to 1"),
    ],
)
def test_bad_mixture_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        GaussianMixture(**kwargs)


def test_bad_scale_raises():
    with pytest.raises(ValueError, match="std"):
        Gaussian(4.0, -1.0)
    with pytest.raises(ValueError, match="scale"):
        SkewNormal(scale=0.0)


def test_uniform_noise_is_torch_rand_and_normal_is_standard():
    u = sample_noise("uniform", 100_000, 2, torch.Generator().manual_seed(0))
    assert u.shape == (100_000, 2)
    assert u.dtype == torch.float32
    assert float(u.min()) >= 0.0
    assert float(u.max()) < 1.0
    assert stats.kstest(u[:, 0].numpy(), "uniform").pvalue > 1e-3
    ref = torch.rand(5, 1, generator=torch.Generator().manual_seed(7))
    assert torch.equal(sample_noise("uniform", 5, 1, torch.Generator().manual_seed(7)), ref)
    z = sample_noise("normal", 100_000, 1, torch.Generator().manual_seed(0))
    assert stats.kstest(z[:, 0].numpy(), "norm").pvalue > 1e-3


@pytest.mark.parametrize(
    ("kind", "n", "dim", "match"),
    [("gumbel", 5, 1, "noise"), ("uniform", 0, 1, "n "), ("normal", 5, 0, "dim")],
)
def test_bad_noise_request_raises(kind, n, dim, match):
    with pytest.raises(ValueError, match=match):
        sample_noise(kind, n, dim, torch.Generator())


def test_normal_pdf_matches_scipy_and_keeps_the_shape():
    x = np.linspace(-5.0, 13.0, 301).reshape(7, 43)
    got = normal_pdf(x, 4.0, 1.25)
    assert got.shape == x.shape
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, stats.norm.pdf(x, 4.0, 1.25), rtol=1e-12)


def _scipy_ppf(dist, u: np.ndarray) -> np.ndarray:
    """Quantiles from scipy: exact for the normal and skew-normal, root-finding for the mixture."""
    if isinstance(dist, Gaussian):
        return stats.norm(dist.mean, dist.std).ppf(u)
    if isinstance(dist, SkewNormal):
        return stats.skewnorm(dist.alpha, loc=dist.loc, scale=dist.scale).ppf(u)
    from scipy.optimize import brentq

    def cdf(x: float) -> float:
        parts = zip(dist.weights, dist.means, dist.stds, strict=True)
        return sum(w * stats.norm(m, s).cdf(x) for w, m, s in parts)

    return np.array([brentq(lambda x, q=q: cdf(x) - q, -20.0, 30.0) for q in u])


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_quantile_function_matches_scipy(name):
    dist = TARGETS[name]
    u = np.array([1e-4, 0.01, 0.1, 0.37, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(quantile(dist, u), _scipy_ppf(dist, u), atol=2e-4 * dist.std)


def test_ideal_map_is_the_inverse_cdf_for_uniform_noise_and_its_cdf_for_normal_noise():
    z = np.array([0.02, 0.3, 0.5, 0.97])
    gauss = TARGETS["gaussian"]
    np.testing.assert_allclose(ideal_map(gauss, "uniform", z), 4 + 1.25 * stats.norm.ppf(z))
    # normal noise: G only has to shift and scale, x = 4 + 1.25 z
    np.testing.assert_allclose(ideal_map(gauss, "normal", z), 4 + 1.25 * z, atol=1e-9)
    np.testing.assert_allclose(noise_cdf("normal", z), stats.norm.cdf(z))
    np.testing.assert_array_equal(noise_cdf("uniform", [-1.0, 0.25, 2.0]), [0.0, 0.25, 1.0])
    np.testing.assert_allclose(noise_quantile("normal", z), stats.norm.ppf(z))
    np.testing.assert_array_equal(noise_quantile("uniform", z), z)
    with pytest.raises(ValueError, match="noise"):
        noise_cdf("gumbel", z)
    with pytest.raises(ValueError, match="noise"):
        noise_quantile("gumbel", z)
