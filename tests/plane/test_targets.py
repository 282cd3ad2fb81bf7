"""ganlib.plane.targets: exact 2-D densities (against scipy), samplers (chi-square), noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import special, stats

from ganlib.minimax.divergences import integrate_on_grid
from ganlib.plane.targets import (
    NOISE_KINDS,
    TARGETS,
    PlaneMixture,
    grid,
    noise_quantiles,
    ring,
    sample_noise,
)


def _scipy_pdf(target: PlaneMixture, pts: np.ndarray) -> np.ndarray:
    cov = target.std**2 * np.eye(2)
    return sum(
        w * stats.multivariate_normal(mu, cov).pdf(pts)
        for w, mu in zip(target.weights, target.means, strict=True)
    )


def test_the_ring_and_the_grid_are_the_literatures() -> None:
    r = TARGETS["ring"]
    assert (r.n_modes, r.std) == (8, 0.02)
    np.testing.assert_allclose(np.hypot(*r.means.T), 2.0)
    angles = np.sort(np.mod(np.arctan2(r.means[:, 1], r.means[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8)
    g = TARGETS["grid"]
    assert (g.n_modes, g.std) == (25, 0.05)
    assert sorted({float(v) for v in g.means.ravel()}) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(m) for m in g.means}) == 25


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_pdf_matches_scipy_at_points_and_on_a_lattice(name: str) -> None:
    target = TARGETS[name]
    rng = np.random.default_rng(0)
    near = target.means[rng.integers(target.n_modes, size=300)] + rng.normal(
        scale=2 * target.std, size=(300, 2)
    )
    pts = np.concatenate([near, rng.uniform(*target.limits, size=(100, 2))])
    np.testing.assert_allclose(target.pdf(pts), _scipy_pdf(target, pts), rtol=1e-9, atol=1e-300)
    x, y = near[:7, 0], near[:5, 1]
    lattice = np.stack(np.meshgrid(x, y), axis=-1)  # (5, 7, 2): rows are y
    np.testing.assert_allclose(
        target.pdf_on_lattice(x, y), target.pdf(lattice), rtol=1e-9, atol=1e-250
    )


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_density_integrates_to_one(name: str) -> None:
    target = TARGETS[name]
    lo, hi = target.limits
    x = np.linspace(lo, hi, int((hi - lo) / (0.2 * target.std)) + 1)  # 5 points per σ
    p = target.pdf_on_lattice(x, x)
    total = integrate_on_grid(integrate_on_grid(p, x), x)
    assert total == pytest.approx(1.0, abs=1e-6)


def _bin_probabilities(target: PlaneMixture, edges: np.ndarray) -> np.ndarray:
    """Exact probability of each square bin, from the normal CDF (independent of pdf())."""
    cx = special.ndtr((edges[None, :] - target.means[:, :1]) / target.std)  # (K, B+1)
    cy = special.ndtr((edges[None, :] - target.means[:, 1:]) / target.std)
    return np.einsum("k,ki,kj->ji", target.weights, np.diff(cx, axis=1), np.diff(cy, axis=1))


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_samples_follow_the_density_chi_square(name: str) -> None:
    target = TARGETS[name]
    n = 200_000
    xy = target.sample(n, torch.Generator().manual_seed(1)).double().numpy()
    assert xy.shape == (n, 2)
    lo, hi = target.limits
    edges = np.linspace(lo, hi, 121)
    counts, _, _ = np.histogram2d(xy[:, 1], xy[:, 0], bins=[edges, edges])  # rows are y
    expected = n * _bin_probabilities(target, edges)
    big = expected > 20  # chi-square needs well-filled bins; pool the rest
    observed = np.append(counts[big], counts[~big].sum())
    wanted = np.append(expected[big], expected[~big].sum())
    wanted *= observed.sum() / wanted.sum()
    assert stats.chisquare(observed, wanted).pvalue > 1e-3
    assert big.sum() > 50  # the test has power: many bins are compared


def test_a_misplaced_sampler_fails_the_chi_square() -> None:
    # the same check must reject samples of a slightly wider ring (it is not vacuous)
    target, wrong = ring(), ring(std=0.022)
    xy = wrong.sample(200_000, torch.Generator().manual_seed(1)).double().numpy()
    edges = np.linspace(-3, 3, 121)
    counts, _, _ = np.histogram2d(xy[:, 1], xy[:, 0], bins=[edges, edges])
    expected = 200_000 * _bin_probabilities(target, edges)
    big = expected > 20
    observed = np.append(counts[big], counts[~big].sum())
    wanted = np.append(expected[big], expected[~big].sum())
    assert stats.chisquare(observed, wanted * observed.sum() / wanted.sum()).pvalue < 1e-6


def test_distance_to_the_nearest_mode_is_rayleigh() -> None:
    target = grid()
    xy = target.sample(50_000, torch.Generator().manual_seed(2)).double().numpy()
    d = np.sqrt(((xy[:, None, :] - target.means[None]) ** 2).sum(-1)).min(axis=1)
    assert stats.kstest(d / target.std, stats.rayleigh().cdf).pvalue > 1e-3


def test_spiral_is_a_fine_mixture_along_one_curve() -> None:
    s = TARGETS["spiral"]
    steps = np.hypot(*np.diff(s.means, axis=0).T)
    assert steps.max() < 1.25 * s.std  # components overlap: a smooth band, not beads
    # the density along the curve is flat: at the midpoints between components it is within
    # 1 % of its value at the components themselves (away from the two ends)
    mid = 0.5 * (s.means[1:] + s.means[:-1])
    inner = slice(20, -20)
    ratio = s.pdf(mid[inner]) / s.pdf(s.means[1:][inner])
    assert np.all(np.abs(ratio - 1) < 0.01)


def test_sampler_is_reproducible_and_uses_no_global_rng() -> None:
    torch.manual_seed(0)
    a = TARGETS["ring"].sample(100, torch.Generator().manual_seed(5))
    torch.manual_seed(1)
    b = TARGETS["ring"].sample(100, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_noise_has_the_promised_law(kind: str) -> None:
    z = sample_noise(kind, 100_000, torch.Generator().manual_seed(0)).double().numpy()
    assert z.shape == (100_000, 2)
    law = stats.norm() if kind == "normal" else stats.uniform(-1, 2)
    for axis in range(2):
        assert stats.kstest(z[:, axis], law.cdf).pvalue > 1e-3
    assert abs(np.corrcoef(z.T)[0, 1]) < 0.02  # independent coordinates


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_noise_grid_lines_split_the_probability_evenly(kind: str) -> None:
    q = noise_quantiles(kind, 10)
    cdf = special.ndtr(q) if kind == "normal" else (q + 1) / 2
    np.testing.assert_allclose(cdf, (np.arange(10) + 0.5) / 10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"std": 0.0}, "std"),
        ({"weights": np.array([0.5, 0.4])}, "weights must sum"),
        ({"means": np.zeros((2, 3))}, "means must have shape"),
    ],
)
def test_bad_mixtures_are_refused(kwargs: dict, message: str) -> None:
    args = {"name": "x", "means": np.zeros((2, 2)), "std": 1.0, "weights": np.array([0.5, 0.5])}
    args["limits"] = (-1.0, 1.0)
    with pytest.raises(ValueError, match=message):
        PlaneMixture(**{**args, **kwargs})


def test_bad_noise_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="noise"):
        sample_noise("cauchy", 4, torch.Generator())
    with pytest.raises(ValueError, match="n must"):
        sample_noise("normal", 0, torch.Generator())
    assert math.isfinite(float(noise_quantiles("normal", 2)[0]))
