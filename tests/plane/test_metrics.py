"""ganlib.plane.metrics on hand-made sample sets: all modes, one mode, uniform noise, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganlib.plane.metrics import (
    dominant_mode,
    evaluate_samples,
    mode_counts,
    mode_metrics,
    mode_widths,
    nearest_modes,
)
from ganlib.plane.targets import grid, ring

RING = ring()


def _around(centres: np.ndarray, n_each: int, spread: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([c + rng.normal(scale=spread, size=(n_each, 2)) for c in centres])


def test_samples_of_every_mode_cover_all_modes_with_high_quality() -> None:
    m = mode_metrics(_around(RING.means, 500, RING.std), RING)
    assert m["modes"] == 8
    # within 3σ of a 2-D Gaussian's centre: 1 - exp(-9/2) = 98.9 %
    assert m["hq"] == pytest.approx(1 - math.exp(-4.5), abs=0.01)


def test_a_collapsed_generator_covers_one_mode() -> None:
    m = mode_metrics(_around(RING.means[3:4], 4_000, 0.5 * RING.std), RING)
    assert m == {"modes": 1.0, "hq": 1.0}
    assert (
        mode_counts(_around(RING.means[3:4], 100, 0.01), RING).tolist() == [0, 0, 0, 100] + [0] * 4
    )


def test_uniform_noise_over_the_view_covers_nothing() -> None:
    rng = np.random.default_rng(1)
    m = mode_metrics(rng.uniform(-3, 3, size=(10_000, 2)), RING)
    # the 8 disks of radius 3σ = 0.06 cover 8 π 0.06² / 36 = 0.25 % of the square
    assert m["hq"] == pytest.approx(8 * math.pi * 0.06**2 / 36, abs=0.0015)
    assert m["modes"] == 0  # each mode gets ~0.03 % of the samples, far below 1/32


def test_the_quarter_share_threshold() -> None:
    # 1/(4K) = 1/32 of the samples: a mode with exactly that many counts, one short does not
    n = 3_200
    near = np.repeat(RING.means[:2], [100, 99], axis=0)  # 100 = n/32 on mode 0, 99 on mode 1
    rest = np.full((n - len(near), 2), 50.0)  # far from every mode
    m = mode_metrics(np.concatenate([near, rest]), RING)
    assert m["modes"] == 1
    assert m["hq"] == pytest.approx(199 / n)


def test_quality_radius_is_three_sigma() -> None:
    inside = RING.means[0] + np.array([[2.99 * RING.std, 0.0]])
    outside = RING.means[0] + np.array([[0.0, 3.01 * RING.std]])
    assert mode_counts(inside, RING)[0] == 1
    assert mode_counts(outside, RING).sum() == 0


def test_nearest_mode_on_the_grid_and_non_finite_samples() -> None:
    g = grid()
    pts = np.array([[4.02, -3.97], [np.nan, 0.0], [0.9, 0.0]])
    index, dist = nearest_modes(pts, g)
    assert g.means[index[0]].tolist() == [4.0, -4.0]
    assert index[1] == -1
    assert math.isinf(dist[1])
    assert dist[2] == pytest.approx(0.9)  # nearest is (0, 0), 0.9 away: not high quality


def test_evaluate_samples_adds_js_and_refuses_nothing_finite() -> None:
    ev = evaluate_samples(_around(RING.means, 1_250, RING.std), RING)
    assert set(ev) == {"modes", "hq", "js"}
    assert ev["js"] < 6e-3
    bad = evaluate_samples(np.array([[np.inf, 0.0], [0.0, 0.0]]), RING)
    assert math.isnan(bad["js"])
    assert bad["hq"] == 0.0
    with pytest.raises(ValueError, match="empty"):
        mode_metrics(np.zeros((0, 2)), RING)


def test_dominant_mode_sees_a_streak_beside_a_mode() -> None:
    rng = np.random.default_rng(3)
    streak = RING.means[5] * rng.uniform(0.6, 0.9, size=(500, 1))  # inside the ring, no 3σ hit
    assert mode_metrics(streak, RING)["modes"] == 0
    assert dominant_mode(streak, RING) == (5, 1.0)
    half = np.concatenate([streak, _around(RING.means[2:3], 500, RING.std)])
    assert dominant_mode(half, RING)[1] == pytest.approx(0.5)
    assert dominant_mode(np.full((3, 2), np.nan), RING) == (-1, 0.0)


def test_mode_widths_of_the_data_and_of_squeezed_modes() -> None:
    # the data: one coordinate of a 2-D Gaussian cut at radius 3σ, by hand from the Rayleigh law
    by_hand = math.sqrt((1 - 5.5 * math.exp(-4.5)) / (1 - math.exp(-4.5)))
    assert by_hand == pytest.approx(0.974, abs=1e-3)
    data = _around(RING.means, 5_000, RING.std)
    np.testing.assert_allclose(mode_widths(data, RING), by_hand, rtol=0.04)
    rng = np.random.default_rng(4)
    streaks = np.concatenate(
        [c + rng.normal(size=(2_000, 2)) * [0.25 * RING.std, 0.5 * RING.std] for c in RING.means]
    )  # every sample high quality, each mode a narrow ellipse
    assert mode_metrics(streaks, RING)["hq"] == 1.0
    np.testing.assert_allclose(mode_widths(streaks, RING), [[0.25, 0.5]] * 8, rtol=0.05)
    one = mode_widths(RING.means[:1] + rng.normal(scale=0.01, size=(100, 2)), RING)
    assert np.isnan(one[1:]).all()
    assert np.isfinite(one[0]).all()
