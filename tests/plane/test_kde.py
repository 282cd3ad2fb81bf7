"""ganlib.plane.kde: the 2-D KDE and the JS estimate, against quadrature and hand derivations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from ganlib.minimax.divergences import js_integrand
from ganlib.plane.kde import (
    bandwidth_for,
    evaluation_tiles,
    integrate_2d,
    js_from_samples,
    kde_on_grid,
)
from ganlib.plane.targets import TARGETS, PlaneMixture, ring


def _draw(target: PlaneMixture, n: int, seed: int) -> np.ndarray:
    return target.sample(n, torch.Generator().manual_seed(seed)).double().numpy()


def _exact_js(p: PlaneMixture, q: PlaneMixture, half: float = 0.4, n: int = 1601) -> float:
    """JS of two ring-like mixtures by quadrature on fine squares around p's modes.

    Valid when q's mass also lies within ``half`` of p's modes (checked by the caller's choice of
    q); no KDE and no tiles from the code under test.
    """
    total = 0.0
    for mx, my in p.means:
        x, y = np.linspace(mx - half, mx + half, n), np.linspace(my - half, my + half, n)
        total += integrate_2d(js_integrand(p.pdf_on_lattice(x, y), q.pdf_on_lattice(x, y)), x, y)
    return total


def test_kde_matches_the_direct_sum_of_kernels() -> None:
    rng = np.random.default_rng(0)
    samples = rng.normal(scale=0.05, size=(500, 2))
    x = np.linspace(-0.2, 0.2, 81)
    h = 0.02
    est = kde_on_grid(samples, x, x, h)
    xx, yy = np.meshgrid(x, x)
    pts = np.stack([xx.ravel(), yy.ravel()], 1)
    d2 = ((pts[:, None, :] - samples[None]) ** 2).sum(-1)
    exact = (np.exp(-0.5 * d2 / h**2) / (2 * np.pi * h**2)).mean(axis=1).reshape(xx.shape)
    # binning moves each sample by at most half a cell (0.0025 = h / 8): a few percent at most
    np.testing.assert_allclose(est, exact, rtol=0.05, atol=1e-2 * exact.max())


def test_kde_counts_samples_just_outside_the_lattice() -> None:
    x = np.linspace(0.0, 1.0, 101)
    outside = np.array([[-0.02, 0.5]])  # two bandwidths left of the lattice
    est = kde_on_grid(outside, x, x, 0.01)
    spill = stats.norm(0, 0.01).pdf(0.02) * stats.norm(0, 0.01).pdf(0)
    assert est[50, 0] == pytest.approx(spill, rel=1e-3)  # the sampled kernel sums to 1
    far = kde_on_grid(np.array([[5.0, 5.0], [np.nan, 0.0]]), x, x, 0.01)
    assert not far.any()


def test_tiles_cover_the_ring_modes_and_all_of_p_data() -> None:
    target = ring()
    tiles = evaluation_tiles(target)
    assert len(tiles) == 8  # the ring's modes are far apart: one tile each
    mass = sum(integrate_2d(t.p_data, t.x, t.y) for t in tiles)
    assert mass == pytest.approx(1.0, abs=1e-6)
    spiral = TARGETS["spiral"]
    assert len(evaluation_tiles(spiral)) == 1  # overlapping squares merge into one box


def test_js_of_the_target_itself_is_small_bias() -> None:
    # exact JS is 0: the estimate's bias (sampling noise and the kernel's widening)
    for seed in range(3):
        js = js_from_samples(_draw(TARGETS["ring"], 10_000, seed), TARGETS["ring"])
        assert 0.0 < js < 6e-3


def test_js_of_a_shifted_ring_matches_quadrature() -> None:
    p = ring()
    q = PlaneMixture("out", p.means * (1 + p.std / 2.0), p.std, p.weights, p.limits)
    exact = _exact_js(p, q)
    assert exact == pytest.approx(0.111, abs=0.002)  # every mode moved outwards by σ
    for seed in range(2):
        assert js_from_samples(_draw(q, 10_000, seed), p) == pytest.approx(exact, abs=0.01)


def test_js_of_a_collapsed_generator_matches_the_hand_derivation() -> None:
    # all of p_g on mode 0: there p = φ/8, q = φ, m = 9φ/16; elsewhere q = 0 and the integrand
    # is p ln 2 (mass 7/8). So JS = ½ [⅛ ln(2/9) + ln(16/9) + ⅞ ln 2].
    p = ring()
    hand = 0.5 * (math.log(2 / 9) / 8 + math.log(16 / 9) + 7 / 8 * math.log(2))
    one = PlaneMixture("one", p.means[:1], p.std, np.ones(1), p.limits)
    assert _exact_js(p, one) == pytest.approx(hand, abs=1e-6)
    assert js_from_samples(_draw(one, 10_000, 0), p) == pytest.approx(hand, abs=0.01)


def test_samples_far_away_score_the_maximum() -> None:
    p = ring()
    far = np.random.default_rng(0).normal(loc=10.0, size=(5_000, 2))
    assert js_from_samples(far, p) == pytest.approx(math.log(2), abs=1e-8)  # p: 4e-9 off tiles
    # half of them from the target: q = p/2 on the ring, m = 3p/4, and mass 1/2 far away, so
    # JS = ½ [ln(4/3) + ½ ln(2/3)] + ½ · ½ ln 2 (by hand)
    mixed = np.concatenate([_draw(p, 5_000, 1), far])
    hand = 0.5 * (math.log(4 / 3) + 0.5 * math.log(2 / 3)) + 0.25 * math.log(2)
    assert js_from_samples(mixed, p) == pytest.approx(hand, abs=0.01)


def test_bandwidth_is_a_fixed_fraction_of_sigma() -> None:
    assert bandwidth_for(ring()) == pytest.approx(0.3 * 0.02)
    assert bandwidth_for(ring(std=0.05)) == pytest.approx(0.3 * 0.05)


def test_bad_input_is_refused() -> None:
    x = np.linspace(0, 1, 11)
    with pytest.raises(ValueError, match="empty"):
        kde_on_grid(np.zeros((0, 2)), x, x, 0.1)
    with pytest.raises(ValueError, match="bandwidth"):
        kde_on_grid(np.zeros((3, 2)), x, x, 0.0)
    with pytest.raises(ValueError, match="spacing"):
        kde_on_grid(np.zeros((3, 2)), x, np.linspace(0, 2, 11), 0.1)
