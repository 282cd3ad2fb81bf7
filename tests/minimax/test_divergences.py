"""ganlib.minimax.divergences against scipy (entropy, jensenshannon, quadrature), closed forms
and brute-force maxima; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import stats
from scipy.spatial.distance import jensenshannon

from ganlib.minimax import divergences as dv
from ganlib.minimax import theory as th

X = np.linspace(-20.0, 25.0, 9001)
DX = X[1] - X[0]
P = stats.norm.pdf(X, 0.0, 1.0)
Q = stats.norm.pdf(X, 2.0, 1.5)
MIX = 0.3 * stats.norm.pdf(X, -2.0, 0.5) + 0.7 * stats.norm.pdf(X, 3.0, 1.5)


@pytest.mark.parametrize("q", [Q, MIX], ids=["gaussian", "mixture"])
def test_kl_matches_scipy_entropy(q: np.ndarray) -> None:
    # scipy.stats.entropy(pk, qk) = sum pk log(pk/qk) on the discretised (renormalised) masses
    expected = stats.entropy(P * DX, q * DX)
    assert dv.kl_divergence(P, q, X) == pytest.approx(expected, rel=1e-7)


def test_kl_matches_theory_gaussian_closed_form() -> None:
    mu1, s1, mu2, s2 = th.gaussian_symbols()
    closed = sp.lambdify((mu1, s1, mu2, s2), th.gaussian_kl())
    assert dv.kl_divergence(P, Q, X) == pytest.approx(closed(0.0, 1.0, 2.0, 1.5), rel=1e-8)
    assert dv.kl_divergence(Q, P, X) == pytest.approx(closed(2.0, 1.5, 0.0, 1.0), rel=1e-8)


@pytest.mark.parametrize("q", [Q, MIX], ids=["gaussian", "mixture"])
def test_js_matches_scipy_jensenshannon(q: np.ndarray) -> None:
    # jensenshannon returns the square root of JSD; base e gives nats, base 2 gives bits
    nats = jensenshannon(P * DX, q * DX, base=math.e) ** 2
    bits = jensenshannon(P * DX, q * DX, base=2) ** 2
    js = dv.js_divergence(P, q, X)
    assert js == pytest.approx(nats, rel=1e-7)
    assert js / math.log(2) == pytest.approx(bits, rel=1e-7)
    assert dv.js_divergence(q, P, X) == pytest.approx(js, rel=1e-12)


def _mix_pdf(z: np.ndarray) -> np.ndarray:
    return 0.3 * stats.norm.pdf(z, -2.0, 0.5) + 0.7 * stats.norm.pdf(z, 3.0, 1.5)


@pytest.mark.parametrize(
    ("q", "q_fn", "peaks"),
    [(Q, lambda z: stats.norm.pdf(z, 2.0, 1.5), (0.0, 2.0)), (MIX, _mix_pdf, (-2.0, 0.0, 3.0))],
    ids=["gaussian", "mixture"],
)
def test_criterion_is_theorem1_and_matches_quadrature(q: np.ndarray, q_fn, peaks) -> None:
    c = dv.virtual_training_criterion(P, q, X)
    assert c == pytest.approx(-math.log(4) + 2 * dv.js_divergence(P, q, X), abs=1e-10)
    exact = th.theorem1_by_quadrature(stats.norm.pdf, q_fn, -20.0, 25.0, peaks)
    assert c == pytest.approx(exact.c_of_g, abs=1e-7)
    assert dv.js_divergence(P, q, X) == pytest.approx(exact.jsd, abs=1e-7)


def test_total_variation_matches_the_gaussian_closed_form() -> None:
    # equal variances: TV(N(0, 1), N(d, 1)) = 2 Phi(d / 2) - 1
    for d in (0.5, 2.0, 5.0):
        tv = dv.total_variation(P, stats.norm.pdf(X, d, 1.0), X)
        assert tv == pytest.approx(2 * stats.norm.cdf(d / 2) - 1, abs=1e-5)  # trapezoid: O(dx²)
    assert dv.total_variation(P, P, X) == 0.0


def test_without_logs_the_game_value_is_one_plus_tv() -> None:
    rng = np.random.default_rng(0)
    best = (P > Q).astype(float)  # the best D without logs: 1[p_data > p_g]
    value = dv.integrate_on_grid(P * best + Q * (1 - best), X)
    assert value == pytest.approx(1 + dv.total_variation(P, Q, X), abs=1e-6)
    for _ in range(20):  # no other D in [0, 1] does better
        d = rng.uniform(0, 1, X.shape)
        assert dv.integrate_on_grid(P * d + Q * (1 - d), X) < value
    d_star = dv.optimal_discriminator(P, Q)
    assert dv.integrate_on_grid(P * d_star + Q * (1 - d_star), X) < value - 0.05


def test_equal_densities_reach_the_minimum() -> None:
    assert dv.js_divergence(P, P, X) == pytest.approx(0.0, abs=1e-12)
    assert dv.kl_divergence(P, P, X) == pytest.approx(0.0, abs=1e-12)
    assert dv.virtual_training_criterion(P, P, X) == pytest.approx(-math.log(4), abs=1e-6)
    np.testing.assert_allclose(dv.optimal_discriminator(P, P), 0.5)


def _triangle(x: np.ndarray, centre: float) -> np.ndarray:
    return np.clip(1.0 - np.abs(x - centre), 0.0, None)  # area 1, linear between grid nodes


def test_disjoint_supports_reach_the_maximum() -> None:
    x = np.linspace(0.0, 6.0, 601)
    p, q = _triangle(x, 1.0), _triangle(x, 4.0)
    assert dv.js_divergence(p, q, x) == pytest.approx(math.log(2), abs=1e-12)
    assert dv.virtual_training_criterion(p, q, x) == pytest.approx(0.0, abs=1e-12)
    assert dv.kl_divergence(p, q, x) == math.inf
    d = dv.optimal_discriminator(p, q)
    assert np.all(d[(p > 0)] == 1.0)
    assert np.all(d[(q > 0)] == 0.0)
    assert np.all(d[(p == 0) & (q == 0)] == 0.5)  # the series' convention where both vanish


def test_criterion_is_finite_when_one_density_is_tiny() -> None:
    # p_g underflows towards 1e-300 where p_data is O(1): 1 - D* must not round to 0
    x = np.linspace(-20.0, 10.0, 6001)
    p, q = stats.norm.pdf(x, -3.0, 2.0), stats.norm.pdf(x, 4.0, 0.3)
    c = dv.virtual_training_criterion(p, q, x)
    assert math.isfinite(c)
    assert c == pytest.approx(-math.log(4) + 2 * dv.js_divergence(p, q, x), abs=1e-10)


def test_optimal_discriminator_maximises_the_pointwise_value() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.01, 3.0, (2, 50))
    ys = np.linspace(1e-6, 1 - 1e-6, 200_001)[:, None]
    brute = ys[np.argmax(a * np.log(ys) + b * np.log1p(-ys), axis=0), 0]
    np.testing.assert_allclose(dv.optimal_discriminator(a, b), brute, atol=1e-5)


BAD = [
    (dict(p=-P), "p has .* negative values.*np.clip"),
    (dict(q=Q[:-1]), r"q has shape \(9000,\) but the grid x has shape \(9001,\).*same grid"),
    (dict(x=X[::-1]), "x must be strictly increasing"),
    (dict(x=np.r_[X[:-1], X[-2]]), "x must be strictly increasing"),
    (dict(q=1.2 * Q), "q integrates to 1.2 over x, not 1.*normalise"),
    (dict(p=np.stack([P, P])), r"p must be 1-D"),
    (dict(p=np.where(X > 0, np.nan, P)), "p has .* NaN"),
    (dict(x=X[:1], p=P[:1], q=Q[:1]), "at least 2 points"),
]


@pytest.mark.parametrize(
    "func",
    [dv.kl_divergence, dv.js_divergence, dv.total_variation],
    ids=["kl_divergence", "js_divergence", "total_variation"],
)
@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_input_raises_a_helpful_error(func, change: dict, message: str) -> None:
    args = {"p": P, "q": Q, "x": X} | change
    with pytest.raises(ValueError, match=message):
        func(args["p"], args["q"], args["x"])


def test_criterion_names_its_own_arguments() -> None:
    with pytest.raises(ValueError, match="p_g integrates to"):
        dv.virtual_training_criterion(P, 0.5 * Q, X)
    with pytest.raises(ValueError, match="p_data has 1 negative"):
        dv.optimal_discriminator(np.r_[-1.0, P[1:]], Q)
    with pytest.raises(ValueError, match=r"p_data has shape .* but p_g has shape"):
        dv.optimal_discriminator(P, Q[:-1])


def test_normalisation_tolerance_is_adjustable() -> None:
    assert math.isfinite(dv.js_divergence(P, 1.01 * Q, X, normalisation_tol=0.02))
    with pytest.raises(ValueError, match="normalisation_tol must be > 0"):
        dv.js_divergence(P, Q, X, normalisation_tol=0.0)
