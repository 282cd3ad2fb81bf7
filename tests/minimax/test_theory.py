"""ganlib.minimax.theory: every claim holds, a broken step is caught, and the sympy results agree
with
independent answers (scipy optimisation and quadrature, scipy.spatial.distance, torch autograd)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
import torch
from scipy import integrate, optimize, stats
from scipy.spatial.distance import jensenshannon

from ganlib.minimax import theory as th
from ganlib.minimax.divergences import js_divergence

CLAIMS = th.all_claims()


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.name for c in CLAIMS])
def test_every_claim_of_the_derivation_holds(claim: th.Claim) -> None:
    assert claim.holds(), f"{claim.name}: {claim.statement}; residual {claim.residual()}"


def test_claims_cover_the_issue() -> None:
    names = {c.name for c in CLAIMS}
    for n in (2, 3, 4):
        assert {f"theorem1_kl_n{n}", f"theorem1_jsd_n{n}"} <= names
    assert {"prop1_stationary", "prop1_maximum", "prop2_convex_n3", "ns_minimax_saturates"} <= names
    assert len(names) == len(CLAIMS), "claim names must be unique"


def test_a_wrong_step_is_caught() -> None:
    p, q = th.discrete_distributions(3)
    c, norm = th.discrete_criterion(p, q), th.normalisation(p, q)
    wrong_constant = th.Claim("w1", "", c, -sp.log(2) + 2 * th.discrete_jsd(p, q), constraints=norm)
    no_normalisation = th.Claim("w2", "", c, -sp.log(4) + 2 * th.discrete_jsd(p, q))
    wrong_d_star = th.Claim(
        "w3", "", th.pointwise_derivatives()[0].subs(th.y, th.b / (th.a + th.b)), 0
    )
    unknown_sign = th.Claim("w4", "", th.a - th.b, sp.Integer(0), ">=")
    for claim in (wrong_constant, no_normalisation, wrong_d_star, unknown_sign):
        assert not claim.holds(), claim.name
    assert wrong_constant.residual() == -sp.log(2)


def test_optimal_discriminator_is_the_numeric_maximiser() -> None:
    rng = np.random.default_rng(0)
    d_star = sp.lambdify((th.a, th.b), th.optimal_discriminator())
    for a_, b_ in rng.uniform(0.01, 5.0, size=(20, 2)):
        res = optimize.minimize_scalar(
            lambda y_, a_=a_, b_=b_: -(a_ * np.log(y_) + b_ * np.log1p(-y_)),
            bounds=(1e-12, 1 - 1e-12),
            method="bounded",
            options={"xatol": 1e-12},
        )
        assert d_star(a_, b_) == pytest.approx(res.x, abs=1e-7)


def test_second_derivative_is_negative_on_the_unit_interval() -> None:
    f2 = sp.lambdify((th.a, th.b, th.y), th.pointwise_derivatives()[1])
    ys = np.linspace(1e-3, 1 - 1e-3, 999)
    assert np.all(f2(0.3, 2.0, ys) < 0)


def test_discrete_criterion_matches_scipy_jensenshannon() -> None:
    rng = np.random.default_rng(0)
    for n in (2, 3, 4):
        p, q = th.discrete_distributions(n)
        c = sp.lambdify((p, q), th.discrete_criterion(p, q))
        for _ in range(5):
            pv, qv = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
            jsd = jensenshannon(pv, qv, base=math.e) ** 2  # scipy returns sqrt(JSD)
            assert c(pv, qv) == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-12)
            assert 0.0 <= jsd <= math.log(2)


def _mixture_pdf(z: np.ndarray) -> np.ndarray:
    return 0.3 * stats.norm.pdf(z, -2.0, 0.5) + 0.7 * stats.norm.pdf(z, 3.0, 1.5)


@pytest.mark.parametrize(
    ("p_g", "points"),
    [
        (lambda z: stats.norm.pdf(z, 1.5, 0.7), (0.0, 1.5)),
        (_mixture_pdf, (-2.0, 0.0, 3.0)),
    ],
    ids=["two-gaussians", "gaussian-vs-mixture"],
)
def test_theorem1_holds_for_continuous_densities(p_g, points) -> None:
    p_data = stats.norm.pdf  # N(0, 1)
    nums = th.theorem1_by_quadrature(p_data, p_g, -30.0, 30.0, points=points)
    assert abs(nums.gap) < 1e-8
    assert -math.log(4) < nums.c_of_g < 0
    assert 0 < nums.jsd < math.log(2)
    x = np.linspace(-30, 30, 60_001)
    assert nums.jsd == pytest.approx(js_divergence(p_data(x), p_g(x), x), abs=1e-7)


def test_quadrature_rejects_infinite_limits() -> None:
    with pytest.raises(ValueError, match="finite lower < upper"):
        th.theorem1_by_quadrature(stats.norm.pdf, stats.norm.pdf, -math.inf, math.inf)


def test_minimum_at_equal_densities() -> None:
    nums = th.theorem1_by_quadrature(stats.norm.pdf, stats.norm.pdf, -30.0, 30.0)
    assert nums.c_of_g == pytest.approx(-math.log(4), abs=1e-10)
    assert nums.jsd == pytest.approx(0.0, abs=1e-10)


def test_generator_gradients_match_autograd() -> None:
    grads = {k: sp.lambdify(th.logit, v) for k, v in th.generator_gradients().items()}
    logits = torch.linspace(-12, 12, 49, dtype=torch.float64, requires_grad=True)
    minimax = torch.log1p(-torch.sigmoid(logits)).sum()
    (g_mm,) = torch.autograd.grad(minimax, logits)
    non_sat = -torch.nn.functional.logsigmoid(logits).sum()
    (g_ns,) = torch.autograd.grad(non_sat, logits)
    l_np = logits.detach().numpy()
    np.testing.assert_allclose(grads["minimax"](l_np), g_mm.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["non-saturating"](l_np), g_ns.numpy(), rtol=1e-10)
    # D(G(z)) -> 0: the minimax gradient vanishes, the non-saturating one stays near -1
    assert abs(grads["minimax"](-12.0)) < 1e-5
    assert grads["non-saturating"](-12.0) == pytest.approx(-1.0, abs=1e-5)


def test_convexity_along_a_mixture_path_numerically() -> None:
    rng = np.random.default_rng(0)
    p, q0, q1 = (rng.dirichlet(np.ones(5)) for _ in range(3))

    def c_of(q: np.ndarray) -> float:
        return float(np.sum(p * np.log(p / (p + q)) + q * np.log(q / (p + q))))

    ts = np.linspace(0.05, 0.95, 19)
    h = 1e-4
    for t_ in ts:
        q = (1 - t_) * q0 + t_ * q1
        second = (c_of(q + h * (q1 - q0)) - 2 * c_of(q) + c_of(q - h * (q1 - q0))) / h**2
        exact = float(np.sum((q1 - q0) ** 2 * p / (q * (p + q))))
        assert second == pytest.approx(exact, rel=1e-4)
        assert exact >= 0


def test_gaussian_kl_closed_form_matches_quadrature() -> None:
    mu1, s1, mu2, s2 = th.gaussian_symbols()
    kl = sp.lambdify((mu1, s1, mu2, s2), th.gaussian_kl())

    def integrand(z: float, m1: float, sd1: float, m2: float, sd2: float) -> float:
        return stats.norm.pdf(z, m1, sd1) * (
            stats.norm.logpdf(z, m1, sd1) - stats.norm.logpdf(z, m2, sd2)
        )

    for params in [(0.0, 1.0, 1.0, 2.0), (4.0, 1.25, -1.0, 0.5)]:
        lo, hi = params[0] - 20 * params[1], params[0] + 20 * params[1]
        numeric = integrate.quad(integrand, lo, hi, args=params)[0]
        assert kl(*params) == pytest.approx(numeric, rel=1e-9)
    assert th.gaussian_kl_claim().holds()


def test_empirical_value_function_is_minus_the_bce_sum() -> None:
    eq = th.empirical_value_function()
    m = next(s_ for s_ in eq.rhs.free_symbols if s_.name == "m")
    expr = eq.rhs.subs(m, 3).doit()
    rng = np.random.default_rng(0)
    d_real, d_fake = rng.uniform(0.05, 0.95, 3), rng.uniform(0.05, 0.95, 3)
    d, g = sp.Function("D"), sp.Function("G")
    xs, zs = sp.IndexedBase("x"), sp.IndexedBase("z")
    values = {d(xs[i + 1]): d_real[i] for i in range(3)}
    values |= {d(g(zs[i + 1])): d_fake[i] for i in range(3)}
    bce = torch.nn.functional.binary_cross_entropy
    real = bce(torch.tensor(d_real), torch.ones(3, dtype=torch.float64))
    fake = bce(torch.tensor(d_fake), torch.zeros(3, dtype=torch.float64))
    assert float(expr.subs(values)) == pytest.approx(-(real + fake).item(), rel=1e-12)


def test_discrete_distributions_validates_n() -> None:
    with pytest.raises(ValueError, match="n=1 outcomes"):
        th.discrete_distributions(1)


@pytest.mark.parametrize("loss", ["minimax", "non-saturating"])
def test_generator_simplex_gradient_matches_numbers_and_vanishes_only_at_the_optimum(
    loss: str,
) -> None:
    grad = th.generator_simplex_gradient(loss, 3)
    p_sym, q_sym = th.discrete_distributions(3)
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.3, 0.2])
    values = dict(zip((*p_sym, *q_sym), (*p, *q), strict=True))
    got = np.array([float(g.subs(values)) for g in grad])
    d = p / (p + q)
    g = np.log1p(-d) if loss == "minimax" else -np.log(d)
    np.testing.assert_allclose(got, g[:2] - g[2], rtol=1e-12)
    assert np.abs(got).max() > 0.1  # away from p_g = p_data it does not vanish
    at_opt = dict(zip((*p_sym, *q_sym), (*p, *p), strict=True))
    assert all(abs(float(g.subs(at_opt))) < 1e-12 for g in grad)
