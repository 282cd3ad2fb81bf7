"""ganlib.minimax.theory: every claim holds, every claim rebuilt with a wrong input fails, and the
sympy results agree with independent answers (scipy optimisation and quadrature,
scipy.spatial.distance, torch autograd)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import sympy as sp
import torch
from scipy import integrate, optimize, stats
from scipy.spatial.distance import jensenshannon

from ganlib.minimax import claims
from ganlib.minimax import theory as th
from ganlib.minimax.divergences import js_divergence, kl_divergence

a, b, u, lam = th.a, th.b, sp.Symbol("u", positive=True), th.lam
CLAIMS = th.all_claims()
HALF = sp.Rational(1, 2)
SWAPPED_D = b / (a + b)
LINE, ANY_N = th.Outcomes("line"), th.Outcomes("any_n")


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.name for c in CLAIMS])
def test_every_claim_of_the_derivation_holds(claim: th.Claim) -> None:
    assert claim.holds(), f"{claim.name}: {claim.statement}; residual {claim.residual()}"


def test_claim_names_are_unique() -> None:
    assert len({c.name for c in CLAIMS}) == len(CLAIMS)


def _swapped_sigmoid() -> tuple[th.Claim, ...]:
    return th.non_saturating_claims(1 / (1 + sp.exp(th.logit)))


def _gaussian_kl_swapped_log() -> th.Claim:
    _, s1, _, s2 = th.gaussian_symbols()
    return th.gaussian_kl_claim(th.gaussian_kl() - sp.log(s2 / s1) + sp.log(s1 / s2))


def _one(claims: th.Claim | tuple[th.Claim, ...], name: str) -> th.Claim:
    found = [claims] if isinstance(claims, th.Claim) else [c for c in claims if c.name == name]
    assert [c.name for c in found] == [name], f"no claim {name} in {claims}"
    return found[0]


#: (claim, wrong input, the claim rebuilt with that input). Every claim of all_claims() has at
#: least one entry; each rebuilt claim must NOT be proved.
MUTATIONS: list[tuple[str, str, Callable[[], th.Claim | tuple[th.Claim, ...]]]] = [
    ("no_log_value", "D = 1/2 (a D that learned nothing)", lambda: th.no_log_claims(HALF)),
    ("no_log_value", "D = 1[b > a] (swapped)", lambda: th.no_log_claims(sp.Heaviside(b - a))),
    ("prop1_root", "D* = b/(a+b)", lambda: th.proposition1_claims(SWAPPED_D)),
    (
        "prop1_root",
        "objective without logs (no root)",
        lambda: th.proposition1_claims(integrand=th.pointwise_integrand(logs=False)),
    ),
    (
        "prop1_maximum",
        "objective without logs (f'' = 0)",
        lambda: th.proposition1_claims(integrand=th.pointwise_integrand(logs=False)),
    ),
    (
        "prop1_maximum",
        "swapped sign of the fake term",
        lambda: th.proposition1_claims(integrand=a * sp.log(th.y) - b * sp.log(1 - th.y)),
    ),
    ("prop1_half", "D* = a/(a+2b)", lambda: th.proposition1_claims(a / (a + 2 * b))),
    ("theorem1_pointwise", "m = a + b", lambda: th.theorem1_pointwise(mixture=a + b)),
    ("theorem1_pointwise", "log 4 for log 2", lambda: th.theorem1_pointwise(constant=th.LOG4)),
    ("theorem1_pointwise", "D* = b/(a+b)", lambda: th.theorem1_pointwise(d_star=SWAPPED_D)),
    ("theorem1_any_n", "-log 2", lambda: th.theorem1_claim(ANY_N, constant=th.LOG2)),
    ("theorem1_any_n", "not normalised", lambda: th.theorem1_claim(ANY_N, normalised=False)),
    ("theorem1_any_n", "m = (a+b)/3", lambda: th.theorem1_claim(ANY_N, mixture=(a + b) / 3)),
    ("theorem1_densities", "-log 2", lambda: th.theorem1_claim(LINE, constant=th.LOG2)),
    ("theorem1_densities", "not normalised", lambda: th.theorem1_claim(LINE, normalised=False)),
    ("theorem1_densities", "m = a + b", lambda: th.theorem1_claim(LINE, mixture=a + b)),
    ("theorem1_densities", "D = 1/2", lambda: th.theorem1_claim(LINE, d_star=HALF)),
    *(
        (f"theorem1_n{n}", wrong, build)
        for n in (2, 3, 4)
        for wrong, build in (
            ("-log 2", lambda n=n: th.theorem1_claim(th.Outcomes("finite", n), constant=th.LOG2)),
            (
                "not normalised",
                lambda n=n: th.theorem1_claim(th.Outcomes("finite", n), normalised=False),
            ),
        )
    ),
    ("kl_lower_g_at_1", "g = u log u - u + 2", lambda: th.lower_bound_claims(g=th.G_OF_U + 1)),
    ("kl_lower_g_slope_at_1", "g = u log u", lambda: th.lower_bound_claims(g=u * sp.log(u))),
    ("kl_lower_g_convex", "g = -(u log u - u + 1)", lambda: th.lower_bound_claims(g=-th.G_OF_U)),
    ("kl_as_sum_of_g_n3", "not normalised", lambda: th.lower_bound_claims(normalised=False)),
    ("kl_as_sum_of_g_n3", "m = (a+b)/3", lambda: th.lower_bound_claims(mixture=(a + b) / 3)),
    ("jsd_upper_gap_n3", "log 4 for log 2", lambda: th.upper_bound_claims(constant=th.LOG4)),
    ("jsd_upper_gap_n3", "m = a + b", lambda: th.upper_bound_claims(mixture=a + b)),
    (
        "jsd_upper_gap_term",
        "log(1 - b/a)",
        lambda: th.upper_bound_claims(term=a * sp.log(1 - b / a)),
    ),
    (
        "jsd_upper_gap_term",
        "-a log(1 + b/a)",
        lambda: th.upper_bound_claims(term=-a * sp.log(1 + b / a)),
    ),
    ("jsd_disjoint", "m = a + b", lambda: th.upper_bound_claims(mixture=a + b)),
    ("criterion_minimum_n3", "-log 2", lambda: th.criterion_minimum_claim(constant=th.LOG2)),
    (
        "criterion_minimum_n3",
        "D* = a/(a+2b)",
        lambda: th.criterion_minimum_claim(d_star=a / (a + 2 * b)),
    ),
    *(
        (f"criterion_only_stationary_point_n{n}", wrong, build)
        for n in (2, 3)
        for wrong, build in (
            ("D = 1/2: C is flat", lambda n=n: th.criterion_stationary_claim(n, d_star=HALF)),
            (
                "p_data not normalised",
                lambda n=n: th.criterion_stationary_claim(n, data_normalised=False),
            ),
        )
    ),
    (
        "prop2_second_derivative_n3",
        "D* = b/(a+b)",
        lambda: th.convexity_claims(integrand=th.criterion_integrand(SWAPPED_D)),
    ),
    (
        "prop2_second_derivative_n3",
        "-C",
        lambda: th.convexity_claims(integrand=-th.criterion_integrand()),
    ),
    ("prop2_convex_n3", "-C", lambda: th.convexity_claims(integrand=-th.criterion_integrand())),
    (
        "prop2_convex_n3",
        "D* = b/(a+b)",
        lambda: th.convexity_claims(integrand=th.criterion_integrand(SWAPPED_D)),
    ),
    *(
        (name, "σ(l) = 1/(1 + e^l) (sign of the logit swapped)", _swapped_sigmoid)
        for name in (
            "ns_minimax_gradient",
            "ns_gradient",
            "ns_minimax_saturates",
            "ns_does_not_saturate",
        )
    ),
    (
        "ns_same_direction",
        "minimax loss -log(1 - D) (swapped sign)",
        lambda: th.non_saturating_claims(
            losses={"minimax": lambda d: -sp.log(1 - d), "non-saturating": lambda d: -sp.log(d)}
        ),
    ),
    ("minimax_step_is_grad_c_n3", "D held at 1/2", lambda: th.minimax_step_claim(d_fixed=HALF)),
    (
        "minimax_step_is_grad_c_n3",
        "D held at b/(a+b)",
        lambda: th.minimax_step_claim(d_fixed=SWAPPED_D),
    ),
    ("ns_only_stationary_point_n3", "D = 1/2", lambda: th.ns_stationary_claim(d_star=HALF)),
    (
        "ns_only_stationary_point_n3",
        "p_data not normalised",
        lambda: th.ns_stationary_claim(data_normalised=False),
    ),
    (
        "ns_value_at_d_star",
        "the literal reading: no log 4, no E_pdata[log D*]",
        lambda: th.ns_value_claim(constant=0, data_term=False),
    ),
    ("ns_value_at_d_star", "no E_pdata[log D*]", lambda: th.ns_value_claim(data_term=False)),
    ("ns_value_at_d_star", "log 2 for log 4", lambda: th.ns_value_claim(constant=th.LOG2)),
    ("ns_value_at_d_star", "D* = b/(a+b)", lambda: th.ns_value_claim(d_star=SWAPPED_D)),
    ("ns_gradient_kl_minus_2jsd_n3", "KL - JSD", lambda: th.ns_gradient_claim(jsd_weight=1)),
    ("ns_gradient_kl_minus_2jsd_n3", "KL + 2 JSD", lambda: th.ns_gradient_claim(jsd_weight=-2)),
    (
        "ns_gradient_kl_minus_2jsd_n3",
        "D* moves with p_g",
        lambda: th.ns_gradient_claim(hold_d_fixed=False),
    ),
    ("ns_gradient_kl_minus_2jsd_n3", "D = 1/2", lambda: th.ns_gradient_claim(d_star=HALF)),
    ("gaussian_kl", "log(σ1/σ2) for log(σ2/σ1)", _gaussian_kl_swapped_log),
    (
        "gaussian_kl",
        "+1/2 for -1/2",
        lambda: th.gaussian_kl_claim(th.gaussian_kl() + 1),
    ),
    (
        "exercise_weighted_d_star",
        "a/(a+b): λ forgotten",
        lambda: th.weighted_d_star_claim(a / (a + b)),
    ),
    (
        "exercise_weighted_d_star",
        "a/(a + b/λ)",
        lambda: th.weighted_d_star_claim(a / (a + b / lam)),
    ),
]


@pytest.mark.parametrize(
    ("name", "wrong", "build"), MUTATIONS, ids=[f"{m[0]}: {m[1]}" for m in MUTATIONS]
)
def test_a_claim_with_a_wrong_input_is_not_proved(name: str, wrong: str, build) -> None:
    mutated = _one(build(), name)
    assert not mutated.holds(), f"{name} is still 'proved' with {wrong}: it carries no information"


def test_every_claim_has_a_mutation() -> None:
    mutated = {name for name, _, _ in MUTATIONS}
    missing = [c.name for c in CLAIMS if c.name not in mutated]
    assert not missing, f"claims without a mutation test: {missing}"


def test_the_wrong_constant_leaves_exactly_its_difference() -> None:
    wrong = th.theorem1_claim(th.Outcomes("finite", 3), constant=th.LOG2)
    assert wrong.residual() == -sp.log(2)  # C - (-log 2 + 2 JSD) = -log 4 + log 2
    literal = th.ns_value_claim(constant=0, data_term=False)
    assert literal.residual() != 0


def test_the_exercise_accepts_any_correct_form() -> None:
    assert th.weighted_d_star_claim(1 / (1 + lam * b / a)).holds()
    assert th.weighted_d_star_claim(a / (a + lam * b)).holds()


def test_weighted_d_star_is_the_numeric_maximiser() -> None:
    d = sp.lambdify((a, b, lam), a / (a + lam * b))
    res = optimize.minimize_scalar(
        lambda y_: -(0.7 * np.log(y_) + 3.0 * 0.2 * np.log1p(-y_)),
        bounds=(1e-12, 1 - 1e-12),
        method="bounded",
        options={"xatol": 1e-12},
    )
    assert d(0.7, 0.2, 3.0) == pytest.approx(res.x, abs=1e-7)


def test_optimal_discriminator_is_the_numeric_maximiser() -> None:
    rng = np.random.default_rng(0)
    d_star = sp.lambdify((a, b), th.optimal_discriminator())
    for a_, b_ in rng.uniform(0.01, 5.0, size=(20, 2)):
        res = optimize.minimize_scalar(
            lambda y_, a_=a_, b_=b_: -(a_ * np.log(y_) + b_ * np.log1p(-y_)),
            bounds=(1e-12, 1 - 1e-12),
            method="bounded",
            options={"xatol": 1e-12},
        )
        assert d_star(a_, b_) == pytest.approx(res.x, abs=1e-7)


def test_without_logs_the_best_d_is_an_indicator() -> None:
    rng = np.random.default_rng(0)
    ys = np.linspace(0.0, 1.0, 1001)
    value = sp.lambdify((a, b), th.no_log_claims()[0].lhs)
    for a_, b_ in rng.uniform(0.01, 3.0, size=(10, 2)):
        brute = np.max(a_ * ys + b_ * (1 - ys))
        assert value(a_, b_) == pytest.approx(brute, rel=1e-12)
        assert ys[np.argmax(a_ * ys + b_ * (1 - ys))] == (1.0 if a_ > b_ else 0.0)


def test_second_derivative_matches_finite_differences() -> None:
    f2 = sp.lambdify((a, b, th.y), th.pointwise_derivatives()[1])
    ys, h = np.linspace(0.05, 0.95, 19), 1e-4

    def f(y_: np.ndarray) -> np.ndarray:
        return 0.3 * np.log(y_) + 2.0 * np.log1p(-y_)

    numeric = (f(ys + h) - 2 * f(ys) + f(ys - h)) / h**2
    np.testing.assert_allclose(f2(0.3, 2.0, ys), numeric, rtol=1e-5)


def test_discrete_criterion_matches_scipy_jensenshannon() -> None:
    rng = np.random.default_rng(0)
    for n in (2, 3, 4):
        p, q = claims.discrete_distributions(n)
        c = sp.lambdify((p, q), th.Outcomes("finite", n).total(th.criterion_integrand()))
        for _ in range(5):
            pv, qv = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
            jsd = jensenshannon(pv, qv, base=math.e) ** 2  # scipy returns sqrt(JSD)
            assert c(pv, qv) == pytest.approx(-math.log(4) + 2 * jsd, abs=1e-12)


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
    x = np.linspace(-30, 30, 60_001)
    assert nums.jsd == pytest.approx(js_divergence(p_data(x), p_g(x), x), abs=1e-7)


def test_quadrature_rejects_infinite_limits() -> None:
    with pytest.raises(ValueError, match="finite lower < upper"):
        th.theorem1_by_quadrature(stats.norm.pdf, stats.norm.pdf, -math.inf, math.inf)


def test_minimum_at_equal_densities() -> None:
    nums = th.theorem1_by_quadrature(stats.norm.pdf, stats.norm.pdf, -30.0, 30.0)
    assert nums.c_of_g == pytest.approx(-math.log(4), abs=1e-10)
    assert nums.jsd == pytest.approx(0.0, abs=1e-10)


def test_non_saturating_value_at_d_star_by_quadrature() -> None:
    """E_pg[-log D*] = KL(p_g||p_data) - 2 JSD + log 4 + E_pdata[log D*], each by its own quad."""
    p, q = stats.norm(0.0, 1.0), stats.norm(1.5, 0.8)

    def quad(f: Callable[[float], float]) -> float:
        return integrate.quad(f, -20, 20, points=(0.0, 1.5), limit=200, epsabs=1e-12)[0]

    def d_star(z: float) -> float:
        return p.pdf(z) / (p.pdf(z) + q.pdf(z))

    lhs = quad(lambda z: -q.pdf(z) * math.log(d_star(z)))
    kl_gd = quad(lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z)))
    x = np.linspace(-20, 20, 40_001)
    jsd = js_divergence(p.pdf(x), q.pdf(x), x)
    e_data = quad(lambda z: p.pdf(z) * math.log(d_star(z)))
    assert kl_gd == pytest.approx(kl_divergence(q.pdf(x), p.pdf(x), x), abs=1e-8)
    assert lhs == pytest.approx(kl_gd - 2 * jsd + math.log(4) + e_data, abs=1e-8)
    assert abs(lhs - (kl_gd - 2 * jsd)) > 0.1  # the literal reading is off by a lot


def test_theorem_2_5_gradient_with_autograd() -> None:
    """Arjovsky and Bottou's Theorem 2.5 on 6 outcomes: with D* frozen (detached) at the
    current p_g = softmax(θ), autograd of E_pg[-log D*] equals autograd of KL - 2 JSD."""
    gen = torch.Generator().manual_seed(0)
    p = torch.softmax(torch.randn(6, generator=gen, dtype=torch.float64), 0)
    theta = torch.randn(6, generator=gen, dtype=torch.float64, requires_grad=True)

    def kl(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return (u * (u / v).log()).sum()

    q = torch.softmax(theta, 0)
    d_frozen = (p / (p + q)).detach()
    (g_ns,) = torch.autograd.grad((q * -d_frozen.log()).sum(), theta)
    q = torch.softmax(theta, 0)
    m = (p + q) / 2
    (g_div,) = torch.autograd.grad(kl(q, p) - (kl(p, m) + kl(q, m)), theta)
    torch.testing.assert_close(g_ns, g_div, rtol=1e-10, atol=1e-12)
    q = torch.softmax(theta, 0)
    (g_moving,) = torch.autograd.grad((q * -(p / (p + q)).log()).sum(), theta)
    assert (g_moving - g_div).abs().max() > 1e-3  # letting D* move with θ breaks it


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


def test_convexity_second_derivative_matches_finite_differences() -> None:
    second = th.convexity_claims(3)[0].lhs
    p_s, q_s = claims.discrete_distributions(3)
    delta_s = sp.symbols("delta1:4", real=True)
    f = sp.lambdify((p_s, q_s, delta_s), second)
    rng = np.random.default_rng(0)
    p, q0, q1 = (rng.dirichlet(np.ones(3)) for _ in range(3))

    def c_of(q: np.ndarray) -> float:  # Theorem 1 through scipy, independent of ganlib
        return -math.log(4) + 2 * jensenshannon(p, q, base=math.e) ** 2

    h = 1e-4
    for t_ in np.linspace(0.1, 0.9, 9):
        q = (1 - t_) * q0 + t_ * q1
        fd = (c_of(q + h * (q1 - q0)) - 2 * c_of(q) + c_of(q - h * (q1 - q0))) / h**2
        assert f(p, q, q1 - q0) == pytest.approx(fd, rel=1e-4)


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


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="n=1 outcomes"):
        claims.discrete_distributions(1)
    with pytest.raises(ValueError, match="kind='plane' is not known"):
        th.Outcomes("plane")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be an int in"):
        th.Outcomes("finite", 1)
    with pytest.raises(ValueError, match="loss='hinge'"):
        th.generator_gradient_with_d_fixed("hinge")


def test_a_flat_gradient_makes_every_point_stationary() -> None:
    q1, q2 = sp.symbols("q1 q2", positive=True)
    assert isinstance(claims.stationary_points([sp.Integer(0)] * 2, (q1, q2)), sp.ProductSet)


@pytest.mark.parametrize("loss", ["minimax", "non-saturating"])
def test_generator_gradient_with_d_fixed_matches_numbers(loss: str) -> None:
    grad = th.generator_gradient_with_d_fixed(loss, 3)
    p_sym, q_sym = claims.discrete_distributions(3)
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.5, 0.3, 0.2])
    values = dict(zip((*p_sym, *q_sym), (*p, *q), strict=True))
    got = np.array([float(g.subs(values)) for g in grad])
    d = p / (p + q)
    g = np.log1p(-d) if loss == "minimax" else -np.log(d)
    np.testing.assert_allclose(got, g[:2] - g[2], rtol=1e-12)
