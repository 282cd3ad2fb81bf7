"""Tests for ganlib.toy.js_estimate: the KDE and the JS estimate against quadrature."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from ganlib.toy.distributions import TARGETS
from ganlib.toy.js_estimate import (
    JS_SAMPLES,
    bandwidth_for,
    density_from_samples,
    evaluation_grid,
    js_from_densities,
    js_from_samples,
)

TARGET = TARGETS["gaussian"]
UNIFORM_HALF = 1.25 * np.sqrt(3.0)  # uniform on 4 ± sqrt(3)·1.25 has mean 4 and std 1.25


def exact_js(p, q, breaks=()) -> float:
    """JS(p || q) in nats by adaptive quadrature (independent of the grid estimator)."""

    def integrand(x: float) -> float:
        a, b = p(x), q(x)
        m = 0.5 * (a + b)
        out = 0.0
        if a > 0:
            out += 0.5 * a * np.log(a / m)
        if b > 0:
            out += 0.5 * b * np.log(b / m)
        return out

    return integrate.quad(integrand, -10.0, 20.0, points=breaks, limit=500)[0]


def test_grid_covers_the_target():
    for dist in TARGETS.values():
        grid = evaluation_grid(dist)
        assert grid.ndim == 1
        assert np.all(np.diff(grid) > 0)
        mass = integrate.trapezoid(dist.pdf(grid), grid)
        assert mass == pytest.approx(1.0, abs=1e-6)


def test_kde_matches_a_direct_kernel_sum():
    rng = np.random.default_rng(0)
    x = rng.normal(4.0, 1.25, 500)
    grid = evaluation_grid(TARGET)
    h = bandwidth_for(TARGET)
    direct = stats.norm.pdf((grid[:, None] - x[None, :]) / h).mean(axis=1) / h
    binned = density_from_samples(x, grid, h)
    # linear binning is second-order accurate in dx/h; allow 1% of the peak height
    assert np.max(np.abs(binned - direct)) < 0.01 * direct.max()


def test_kde_mass_outside_grid_is_lost_and_nonfinite_ignored():
    grid = evaluation_grid(TARGET)
    x = np.array([4.0, 4.0, 1e6, np.nan])
    dens = density_from_samples(x, grid, bandwidth_for(TARGET))
    assert integrate.trapezoid(dens, grid) == pytest.approx(0.5, abs=1e-3)


def _js_many(sampler, n_repeats: int = 5) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.array([js_from_samples(sampler(rng), TARGET) for _ in range(n_repeats)])


def test_bias_on_the_target_itself_is_below_1e_3():
    est = _js_many(lambda r: r.normal(4.0, 1.25, JS_SAMPLES))
    assert np.all(est < 1e-3)
    assert np.all(est >= 0.0)


def test_shifted_wider_gaussian_scores_about_2e_3():
    exact = exact_js(TARGET.pdf, stats.norm(4.1, 1.35).pdf)
    assert exact == pytest.approx(2.2e-3, abs=1e-4)
    est = _js_many(lambda r: r.normal(4.1, 1.35, JS_SAMPLES))
    # stated tolerance: within 1e-3 nats of the exact value (sampling noise + KDE bias)
    assert np.all(np.abs(est - exact) < 1e-3)


def test_uniform_with_same_moments_scores_about_0_04():
    uni = stats.uniform(4.0 - UNIFORM_HALF, 2 * UNIFORM_HALF)
    exact = exact_js(TARGET.pdf, uni.pdf, breaks=(4.0 - UNIFORM_HALF, 4.0 + UNIFORM_HALF))
    assert exact == pytest.approx(0.0494, abs=5e-4)
    est = _js_many(lambda r: r.uniform(4.0 - UNIFORM_HALF, 4.0 + UNIFORM_HALF, JS_SAMPLES))
    # the kernel rounds the uniform's edges, so the estimate is biased low by ~0.008;
    # stated tolerance: within 25% of the exact value
    assert np.all(np.abs(est - exact) < 0.25 * exact)
    assert np.all(np.abs(est - 0.04) < 0.005)


@pytest.mark.parametrize("name", ["bimodal", "skewed"])
def test_estimate_tracks_quadrature_on_other_targets(name):
    target = TARGETS[name]
    other = stats.norm(target.mean, target.std)  # the moment-matched Gaussian
    exact = exact_js(target.pdf, other.pdf)
    x = np.random.default_rng(1).normal(target.mean, target.std, JS_SAMPLES)
    assert js_from_samples(x, target) == pytest.approx(exact, rel=0.15, abs=1e-3)


def test_runaway_samples_score_log_2():
    x = np.full(JS_SAMPLES, 1e3)
    assert js_from_samples(x, TARGET) == pytest.approx(np.log(2.0), abs=1e-9)
    x[:] = np.nan
    assert js_from_samples(x, TARGET) == pytest.approx(np.log(2.0), abs=1e-9)


def test_collapsed_generator_scores_high():
    assert js_from_samples(np.full(JS_SAMPLES, 4.0), TARGET) > 0.4


def test_bad_input_raises():
    with pytest.raises(ValueError, match="empty"):
        js_from_samples(np.array([]), TARGET)
    with pytest.raises(ValueError, match="bandwidth"):
        density_from_samples(np.ones(3), evaluation_grid(TARGET), bandwidth=0.0)
    with pytest.raises(ValueError, match="n_points"):
        evaluation_grid(TARGET, n_points=3)


def test_js_from_densities_is_the_tail_of_js_from_samples():
    grid = evaluation_grid(TARGET)
    x = np.random.default_rng(2).normal(4.3, 1.1, JS_SAMPLES)
    x[:50] = 1e3  # some mass outside the grid
    q = density_from_samples(x, grid, bandwidth_for(TARGET))
    assert js_from_densities(TARGET.pdf(grid), q, x, grid) == js_from_samples(x, TARGET, grid)
    # identical densities: only the clipping to [0, log 2] and the outside mass are left
    p = TARGET.pdf(grid)
    assert js_from_densities(p, p, np.full(10, 4.0), grid) == 0.0
    assert js_from_densities(p, p, np.array([4.0, 1e3]), grid) == pytest.approx(0.25 * np.log(2))
    with pytest.raises(ValueError, match="empty"):
        js_from_densities(p, p, np.array([]), grid)
