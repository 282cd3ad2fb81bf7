r"""The minimax game of Goodfellow et al. (2014), derived step by step with sympy (notebook 01).

Every statement the derivation relies on is a :class:`Claim` that sympy must prove: an identity
must reduce to exactly 0, an inequality must have a sign sympy can decide from the symbols'
assumptions, a set of solutions must equal the one stated. Each claim is built by a function
whose *inputs* (the optimal discriminator, the mixture, a constant, the normalisation, the
generator loss) are parameters with the true values as defaults, so that
``tests/minimax/test_theory.py`` can rebuild every claim with a wrong input and check that sympy
then refuses it.

With :math:`a = p_{data}(x)` and :math:`b = p_g(x)` at one point :math:`x`:

.. math::

    V(D, G) = \int p_{data} \log D + p_g \log(1 - D) \, dx, \qquad
    f(y) = a \log y + b \log(1 - y),

    f'(y) = 0 \iff y = D^* = \frac{a}{a + b} \quad \text{(Proposition 1)},

    a \log\frac{a}{a+b} + b \log\frac{b}{a+b}
        = a \log\frac{a}{m} + b \log\frac{b}{m} - (a + b) \log 2, \quad m = \frac{a+b}{2},

and integrating the last line (both densities integrate to 1) gives Theorem 1,
:math:`C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{data} \| p_g)`. Natural logarithms (nats) throughout.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy import integrate, special

from ganlib.minimax.claims import (
    Claim,
    Outcomes,
    a,
    b,
    discrete_distributions,
    lam,
    logit,
    normalisation,
    s,
    stationary_points,
    t,
    x,
    y,
)

#: The inputs of the claims, written by hand (not taken from ``solve``): the optimal
#: discriminator of Proposition 1 and the mixture of Theorem 1, as expressions in a and b.
D_STAR = a / (a + b)
MIXTURE = (a + b) / 2
LOG2, LOG4 = sp.log(2), sp.log(4)

# ----------------------------------------------------------------------------------------------
# Step 1: the value function, with and without logs


def value_function() -> sp.Eq:
    r"""The value function as an integral over x (the game is :math:`\min_G \max_D V`).

    .. math:: V(D, G) = \int p_{data}(x) \log D(x) + p_g(x) \log(1 - D(x)) \, dx

    The second term is :math:`\mathbb{E}_{z \sim p_z} \log(1 - D(G(z)))` rewritten with
    :math:`x = G(z) \sim p_g`.
    """
    p_data, p_g, d = sp.Function("p_data"), sp.Function("p_g"), sp.Function("D")
    integrand = p_data(x) * sp.log(d(x)) + p_g(x) * sp.log(1 - d(x))
    return sp.Eq(sp.Symbol("V(D, G)"), sp.Integral(integrand, (x, -sp.oo, sp.oo)))


def empirical_value_function() -> sp.Eq:
    r"""The minibatch estimate of V that Algorithm 1 ascends (D) and descends (G).

    .. math:: \hat V = \frac{1}{m} \sum_{i=1}^m \log D(x_i) + \log(1 - D(G(z_i)))

    It is minus the sum of the two binary cross-entropy terms: label 1 for real ``x_i``,
    label 0 for fake ``G(z_i)``.
    """
    i, m = sp.symbols("i m", integer=True, positive=True)
    xi, zi = sp.IndexedBase("x")[i], sp.IndexedBase("z")[i]
    d, g = sp.Function("D"), sp.Function("G")
    term = sp.log(d(xi)) + sp.log(1 - d(g(zi)))
    return sp.Eq(sp.Symbol("V_hat"), sp.Sum(term, (i, 1, m)) / m)


def pointwise_integrand(y_: sp.Expr = y, *, logs: bool = True) -> sp.Expr:
    r"""V's integrand at one x with y = D(x): :math:`a \log y + b \log(1 - y)`.

    ``logs=False`` gives the objective before logs are taken, :math:`a y + b (1 - y)`: linear
    in y, so its maximum over [0, 1] is at an end, :math:`D = \mathbb 1[a > b]`.
    """
    if logs:
        return a * sp.log(y_) + b * sp.log(1 - y_)
    return a * y_ + b * (1 - y_)


def no_log_claims(best_d: sp.Expr | None = None) -> tuple[Claim, ...]:
    r"""Without logs the best D is :math:`\mathbb 1[p_{data} > p_g]` and the game is total
    variation.

    .. math:: \max_{y \in [0,1]} a y + b(1 - y) = \max(a, b) = \frac{a+b}{2} + \frac{|a-b|}{2},

    so, integrated, :math:`\max_D \int p_{data} D + p_g (1 - D) = 1 + \mathrm{TV}(p_{data}, p_g)`
    with :math:`\mathrm{TV} = \tfrac12 \int |p_{data} - p_g|`. ``best_d`` defaults to the
    Heaviside step :math:`\mathbb 1[a > b]` (1/2 where a = b, where every D is as good).
    """
    best_d = sp.Heaviside(a - b) if best_d is None else best_d
    return (
        Claim(
            "no_log_value",
            "without logs, D = 1[a > b] reaches (a+b)/2 + |a-b|/2 = max(a, b)",
            pointwise_integrand(best_d, logs=False),
            (a + b) / 2 + sp.Abs(a - b) / 2,
        ),
    )


# ----------------------------------------------------------------------------------------------
# Step 2: the optimal discriminator (Proposition 1)


def pointwise_derivatives(integrand: sp.Expr | None = None) -> tuple[sp.Expr, sp.Expr]:
    """:math:`f'(y) = a/y - b/(1-y)` and :math:`f''(y) = -a/y^2 - b/(1-y)^2` (by default)."""
    f = pointwise_integrand() if integrand is None else integrand
    return sp.diff(f, y), sp.diff(f, y, 2)


def optimal_discriminator(integrand: sp.Expr | None = None) -> sp.Expr:
    r"""Solve :math:`f'(y) = 0` with sympy; the unique root is :math:`D^*(x) = a / (a + b)`.

    .. math:: D^*_G(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}
    """
    roots = sp.solve(sp.Eq(pointwise_derivatives(integrand)[0], 0), y)
    if len(roots) != 1:
        raise ArithmeticError(f"expected one stationary point of f, sympy found {roots}")
    return sp.simplify(roots[0])


def proposition1_claims(
    d_star: sp.Expr = D_STAR, integrand: sp.Expr | None = None
) -> tuple[Claim, ...]:
    r"""D* is the only root of f' in (0, 1), f'' < 0 there, and D* = 1/2 where p_g = p_data.

    ``d_star`` is the hand-written answer; ``prop1_root`` compares it with the roots that
    ``sympy.solve`` finds. :math:`f''` is checked on :math:`y = s/(1+s)`, :math:`s > 0`.
    """
    f = pointwise_integrand() if integrand is None else integrand
    d1, d2 = pointwise_derivatives(f)
    return (
        Claim(
            "prop1_root",
            "f'(y) = 0 has exactly one root in (0, 1): y = a/(a+b)",
            sp.FiniteSet(*sp.solve(sp.Eq(d1, 0), y)),
            sp.FiniteSet(d_star),
            "set",
        ),
        Claim(
            "prop1_maximum",
            "f''(y) < 0 for every y in (0, 1)",
            sp.factor(sp.together(d2.subs(y, s / (1 + s)))),
            sp.Integer(0),
            "<",
        ),
        Claim("prop1_half", "D* = 1/2 where p_g = p_data", d_star.subs(b, a), sp.Rational(1, 2)),
    )


def weighted_d_star_claim(answer: sp.Expr, weight: sp.Expr = lam) -> Claim:
    r"""Exercise 1 of notebook 01: the maximiser of :math:`a \log y + \lambda b \log(1 - y)`.

    ``answer`` (an expression in a, b and ``weight``) must be the one root of the derivative;
    the reference answer is :math:`a / (a + \lambda b)`.
    """
    f = a * sp.log(y) + weight * b * sp.log(1 - y)
    return Claim(
        "exercise_weighted_d_star",
        "the answer is the only maximiser of a log y + λ b log(1 - y)",
        sp.FiniteSet(*sp.solve(sp.Eq(sp.diff(f, y), 0), y)),
        sp.FiniteSet(answer),
        "set",
    )


# ----------------------------------------------------------------------------------------------
# Step 3: the virtual training criterion C(G) (Theorem 1)


def criterion_integrand(d_star: sp.Expr = D_STAR) -> sp.Expr:
    r"""f(D*): the integrand of :math:`C(G) = \max_D V(D, G)` at one x.

    .. math:: a \log\frac{a}{a+b} + b \log\frac{b}{a+b}
    """
    f = pointwise_integrand(d_star)
    return f.replace(lambda e: isinstance(e, sp.log), lambda e: sp.log(sp.factor(e.args[0])))


def kl_integrand(first: sp.Expr = a, second: sp.Expr = b) -> sp.Expr:
    r""":math:`u \log(u / v)`, the integrand of :math:`\mathrm{KL}(u \| v)`; default p_data, p_g."""
    return first * sp.log(first / second)


def jsd_integrand(mixture: sp.Expr = MIXTURE) -> sp.Expr:
    r"""The JSD integrand :math:`\tfrac12 [a \log(a/m) + b \log(b/m)]`, :math:`m = (a+b)/2`."""
    return (kl_integrand(a, mixture) + kl_integrand(b, mixture)) / 2


def theorem1_pointwise(
    d_star: sp.Expr = D_STAR, mixture: sp.Expr = MIXTURE, constant: sp.Expr = LOG2
) -> Claim:
    r"""The identity behind Theorem 1, at one x, for all a, b > 0:

    .. math:: a \log\frac{a}{a+b} + b \log\frac{b}{a+b}
              = a \log\frac{a}{m} + b \log\frac{b}{m} - (a + b) \log 2
    """
    return Claim(
        "theorem1_pointwise",
        "a log(a/(a+b)) + b log(b/(a+b)) = a log(a/m) + b log(b/m) - (a+b) log 2",
        criterion_integrand(d_star),
        2 * jsd_integrand(mixture) - (a + b) * constant,
    )


def theorem1_claim(
    outcomes: Outcomes,
    d_star: sp.Expr = D_STAR,
    mixture: sp.Expr = MIXTURE,
    constant: sp.Expr = LOG4,
    normalised: bool = True,
) -> Claim:
    r"""Theorem 1 summed or integrated: :math:`C(G) = -\log 4 + 2\,\mathrm{JSD}(p_{data}\|p_g)`.

    :func:`theorem1_pointwise` summed over ``outcomes``: the :math:`-(a + b) \log 2` terms add
    up to :math:`-2 \log 2 = -\log 4` because both distributions sum (integrate) to 1, which is
    the ``normalised`` constraint.
    """
    names = {"finite": f"n{outcomes.n}", "any_n": "any_n", "line": "densities"}
    where = {"finite": f"n = {outcomes.n}", "any_n": "any n", "line": "densities"}
    return Claim(
        f"theorem1_{names[outcomes.kind]}",
        f"C(G) = -log 4 + 2 JSD(p_data||p_g), {where[outcomes.kind]}",
        outcomes.total(criterion_integrand(d_star)),
        -constant + 2 * outcomes.total(jsd_integrand(mixture)),
        constraints=outcomes.normalisation() if normalised else (),
    )


def theorem1_claims() -> tuple[Claim, ...]:
    """Theorem 1: pointwise, for any n, for densities, and for n = 2, 3, 4 as illustrations."""
    spaces = [Outcomes("any_n"), Outcomes("line"), *(Outcomes("finite", n) for n in (2, 3, 4))]
    return (theorem1_pointwise(), *(theorem1_claim(o) for o in spaces))


# ----------------------------------------------------------------------------------------------
# Step 4: bounds, the global minimum and the one stationary point

_u = sp.Symbol("u", positive=True)
G_OF_U = _u * sp.log(_u) - _u + 1


def lower_bound_claims(
    n: int = 3, g: sp.Expr = G_OF_U, mixture: sp.Expr = MIXTURE, normalised: bool = True
) -> tuple[Claim, ...]:
    r"""JSD >= 0: :math:`\mathrm{KL}(p\|m) = \sum_i m_i\, g(p_i/m_i)` with
    :math:`g(u) = u \log u - u + 1 \ge 0`.

    :math:`g \ge 0` because g(1) = g'(1) = 0 and g'' = 1/u > 0; the identity needs
    :math:`\sum_i (m_i - p_i) = 0`, which is the normalisation. Equality needs p = m.
    """
    out = Outcomes("finite", n)
    kl_as_g = out.total(mixture * g.subs(_u, a / mixture))
    return (
        Claim("kl_lower_g_at_1", "g(1) = 0", g.subs(_u, 1), sp.Integer(0)),
        Claim("kl_lower_g_slope_at_1", "g'(1) = 0", sp.diff(g, _u).subs(_u, 1), sp.Integer(0)),
        Claim("kl_lower_g_convex", "g''(u) > 0", sp.diff(g, _u, 2), sp.Integer(0), ">"),
        Claim(
            f"kl_as_sum_of_g_n{n}",
            "KL(p||m) = sum_i m_i g(p_i/m_i)",
            out.total(kl_integrand(a, mixture)),
            kl_as_g,
            constraints=out.normalisation() if normalised else (),
        ),
    )


def upper_bound_claims(
    n: int = 3,
    constant: sp.Expr = LOG2,
    term: sp.Expr | None = None,
    mixture: sp.Expr = MIXTURE,
) -> tuple[Claim, ...]:
    r"""JSD <= log 2, with equality for disjoint supports.

    .. math:: \log 2 - \mathrm{JSD}
              = \tfrac12 \sum_i p_i \log(1 + q_i/p_i) + q_i \log(1 + p_i/q_i),

    a sum of non-negative terms (``term``); where :math:`p_g = 0` the JSD integrand is
    :math:`\tfrac12 p_{data} \log 2`, so disjoint supports give exactly :math:`\log 2`.
    """
    out = Outcomes("finite", n)
    term = a * sp.log(1 + b / a) if term is None else term
    gap = out.total(term + term.subs({a: b, b: a}, simultaneous=True)) / 2
    return (
        Claim(
            f"jsd_upper_gap_n{n}",
            "log 2 - JSD = sum of p log(1 + q/p) + q log(1 + p/q), halved",
            constant - out.total(jsd_integrand(mixture)),
            gap,
            constraints=out.normalisation(),
        ),
        Claim("jsd_upper_gap_term", "p log(1 + q/p) >= 0", term, sp.Integer(0), ">="),
        Claim(
            "jsd_disjoint",
            "JSD integrand -> (a/2) log 2 where p_g -> 0 (disjoint supports)",
            sp.limit(jsd_integrand(mixture), b, 0, "+"),
            a * sp.log(2) / 2,
        ),
    )


def criterion_stationary_claim(
    n: int = 3, d_star: sp.Expr = D_STAR, data_normalised: bool = True
) -> Claim:
    r"""p_g = p_data is the ONLY stationary point of C on the simplex (n outcomes).

    :math:`C(q) = \sum_i c(p_i, q_i)` with :math:`q_n = 1 - \sum_{i<n} q_i`; sympy solves
    :math:`\partial C / \partial q_j = \log\frac{q_j}{p_j + q_j} - \log\frac{q_n}{p_n + q_n} = 0`
    for :math:`q_1..q_{n-1}`. ``data_normalised`` makes p_data sum to 1 as well.
    """
    p, q = discrete_distributions(n)
    c = Outcomes("finite", n).total(criterion_integrand(d_star)).subs(q[-1], 1 - sum(q[:-1]))
    if data_normalised:
        c = c.subs(p[-1], 1 - sum(p[:-1]))
    return Claim(
        f"criterion_only_stationary_point_n{n}",
        f"grad C = 0 on the simplex only at p_g = p_data, n = {n}",
        stationary_points([sp.diff(c, qj) for qj in q[:-1]], q[:-1]),
        sp.FiniteSet(sp.Tuple(*p[:-1])),
        "set",
    )


def bounds_claims(n: int = 3) -> tuple[Claim, ...]:
    r"""0 <= JSD <= log 2, so -log 4 <= C(G) <= 0; C = -log 4 at p_g = p_data, the only
    stationary point (see :func:`lower_bound_claims`, :func:`upper_bound_claims`,
    :func:`criterion_minimum_claim`, :func:`criterion_stationary_claim`)."""
    return (
        *lower_bound_claims(n),
        *upper_bound_claims(n),
        criterion_minimum_claim(n),
        criterion_stationary_claim(2),
        criterion_stationary_claim(3),
    )


def criterion_minimum_claim(
    n: int = 3, d_star: sp.Expr = D_STAR, constant: sp.Expr = LOG4
) -> Claim:
    """C(G) = -log 4 when p_g = p_data (every q_i replaced by p_i)."""
    p, q = discrete_distributions(n)
    c = Outcomes("finite", n).total(criterion_integrand(d_star))
    same = c.subs(dict(zip(q, p, strict=True)))
    return Claim(
        f"criterion_minimum_n{n}",
        "C(G) = -log 4 at p_g = p_data",
        same,
        -constant,
        constraints=normalisation(p),
    )


# ----------------------------------------------------------------------------------------------
# Step 5: Proposition 2's key fact, convexity of C in p_g


def convexity_claims(n: int = 3, integrand: sp.Expr | None = None) -> tuple[Claim, Claim]:
    r"""C is convex in p_g: along any line :math:`q + t\,\delta` its second derivative is
    :math:`\sum_i \delta_i^2\, p_i / (q_i (p_i + q_i)) \ge 0`.

    A mixture path :math:`p_g(t) = (1-t) q^0 + t q^1` is such a line (:math:`\delta = q^1 - q^0`)
    and every point of it can serve as the base point q, so checking t = 0 suffices. Both claims
    use the second derivative sympy computes from ``integrand`` (default: C's integrand).
    """
    p, q = discrete_distributions(n)
    c = Outcomes("finite", n).total(criterion_integrand() if integrand is None else integrand)
    delta = sp.symbols(f"delta1:{n + 1}", real=True)
    path = {qi: qi + t * di for qi, di in zip(q, delta, strict=True)}
    second = sp.diff(c.subs(path, simultaneous=True), t, 2).subs(t, 0)
    form = sum(di**2 * pi / (qi * (pi + qi)) for pi, qi, di in zip(p, q, delta, strict=True))
    return (
        Claim(f"prop2_second_derivative_n{n}", "d²C/dt² = sum δ² p / (q (p + q))", second, form),
        Claim(f"prop2_convex_n{n}", "d²C/dt² >= 0 for every direction δ", second, 0, ">="),
    )


# ----------------------------------------------------------------------------------------------
# Step 6: the non-saturating generator loss


def sigmoid(l_: sp.Expr = logit) -> sp.Expr:
    r""":math:`\sigma(l) = 1 / (1 + e^{-l})`: D's probability from its logit l."""
    return 1 / (1 + sp.exp(-l_))


#: The two generator losses g(D) as functions of D = D(G(z)) on a fake sample, minimised by G:
#: ``"minimax"`` is :math:`\log(1 - D)` (the paper's V), ``"non-saturating"`` is
#: :math:`-\log D` (the paper's practical choice). Keys as :data:`ganlib.core.losses.LOSSES`.
GENERATOR_LOSSES_OF_D: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "minimax": lambda d: sp.log(1 - d),
    "non-saturating": lambda d: -sp.log(d),
}

Losses = dict[str, Callable[[sp.Expr], sp.Expr]]


def generator_gradients(
    sigma: sp.Expr | None = None, losses: Losses = GENERATOR_LOSSES_OF_D
) -> dict[str, sp.Expr]:
    r"""d(loss)/dl with :math:`D = \sigma(l)`: :math:`-\sigma(l)` (minimax) and
    :math:`\sigma(l) - 1` (non-saturating)."""
    sig = sigmoid() if sigma is None else sigma
    return {k: sp.simplify(sp.diff(g(sig), logit)) for k, g in losses.items()}


def non_saturating_claims(
    sigma: sp.Expr | None = None, losses: Losses = GENERATOR_LOSSES_OF_D
) -> tuple[Claim, ...]:
    r"""Saturation and direction of the two generator losses, as functions of D's logit l.

    As D(G(z)) -> 0 (l -> -oo, D confidently rejects fakes, as early in training) the minimax
    gradient vanishes while the non-saturating one tends to -1. Their ratio is
    :math:`e^l = D/(1-D) > 0`, so both push l the same way. ``sigma`` is D's probability as a
    function of the logit (default :func:`sigmoid`).
    """
    sig = sigmoid() if sigma is None else sigma
    grads = generator_gradients(sig, losses)
    return (
        Claim("ns_minimax_gradient", "d/dl log(1 - σ(l)) = -σ(l)", grads["minimax"], -sig),
        Claim("ns_gradient", "d/dl -log σ(l) = σ(l) - 1", grads["non-saturating"], sig - 1),
        Claim(
            "ns_minimax_saturates",
            "minimax gradient -> 0 as l -> -oo",
            sp.limit(grads["minimax"], logit, -sp.oo),
            sp.Integer(0),
        ),
        Claim(
            "ns_does_not_saturate",
            "non-saturating gradient -> -1 as l -> -oo",
            sp.limit(grads["non-saturating"], logit, -sp.oo),
            sp.Integer(-1),
        ),
        Claim(
            "ns_same_direction",
            "ratio of the gradients = e^l > 0",
            sp.simplify(grads["minimax"] / grads["non-saturating"]),
            sp.Integer(0),
            ">",
        ),
    )


def generator_gradient_with_d_fixed(
    loss: str = "non-saturating", n: int = 3, d_star: sp.Expr = D_STAR
) -> list[sp.Expr]:
    r"""The gradient Algorithm 1's generator step follows on the simplex, D held at :math:`D^*`.

    :math:`J(r) = \sum_i r_i\, g(D^*_i)` with :math:`D^*_i = D^*(p_i, q_i)` fixed, g from
    :data:`GENERATOR_LOSSES_OF_D`, :math:`r_n = 1 - \sum_{i<n} r_i`, evaluated at r = q:
    component j is :math:`g(D^*_j) - g(D^*_n)` (n - 1 components, in the symbols of
    :func:`discrete_distributions`).
    """
    if loss not in GENERATOR_LOSSES_OF_D:
        raise ValueError(f"loss={loss!r}: use one of {tuple(GENERATOR_LOSSES_OF_D)}")
    g = GENERATOR_LOSSES_OF_D[loss]
    p, q = discrete_distributions(n)
    r = sp.symbols(f"r1:{n + 1}", positive=True)
    fixed = [d_star.subs({a: pi, b: qi}, simultaneous=True) for pi, qi in zip(p, q, strict=True)]
    objective = sum(ri * g(di) for ri, di in zip(r, fixed, strict=True))
    objective = objective.subs(r[-1], 1 - sum(r[:-1]))
    return [sp.diff(objective, ri) for ri in r[:-1]]


def minimax_step_claim(n: int = 3, d_fixed: sp.Expr = D_STAR) -> Claim:
    r"""With D held at D*, the minimax generator step is the gradient of C (envelope theorem).

    :func:`generator_gradient_with_d_fixed` for the minimax loss, component j
    :math:`\log(1 - D_j) - \log(1 - D_n)` with :math:`D = ` ``d_fixed``, equals
    :math:`\partial C / \partial q_j - \partial C / \partial q_n` (the derivative on the
    simplex; compared along every direction :math:`\delta_1..\delta_{n-1}`): the change of D*
    with q does not contribute, because D* maximises V. So the minimax step has the stationary
    points of C.
    """
    _, q = discrete_distributions(n)
    c = Outcomes("finite", n).total(criterion_integrand())
    step = generator_gradient_with_d_fixed("minimax", n, d_fixed)
    delta = sp.symbols(f"delta1:{n}", real=True)
    grad_c = [sp.diff(c, qj) - sp.diff(c, q[-1]) for qj in q[:-1]]
    return Claim(
        f"minimax_step_is_grad_c_n{n}",
        "D held at D*: the minimax step is grad C",
        sum(dj * gj for dj, gj in zip(delta, step, strict=True)),
        sum(dj * gj for dj, gj in zip(delta, grad_c, strict=True)),
    )


def ns_stationary_claim(
    n: int = 3, d_star: sp.Expr = D_STAR, data_normalised: bool = True
) -> Claim:
    r"""With D held at D*, the non-saturating step is stationary only at p_g = p_data.

    Component j of :func:`generator_gradient_with_d_fixed` is
    :math:`\log D^*_n - \log D^*_j`: zero for every j only if :math:`p_j/(p_j + q_j)` is the
    same for all outcomes, i.e. q proportional to p, i.e. q = p.
    """
    p, q = discrete_distributions(n)
    subs = {q[-1]: 1 - sum(q[:-1])} | ({p[-1]: 1 - sum(p[:-1])} if data_normalised else {})
    gradient = [c.subs(subs) for c in generator_gradient_with_d_fixed("non-saturating", n, d_star)]
    return Claim(
        f"ns_only_stationary_point_n{n}",
        f"non-saturating step, D = D*: stationary only at p_g = p_data, n = {n}",
        stationary_points(gradient, q[:-1]),
        sp.FiniteSet(sp.Tuple(*p[:-1])),
        "set",
    )


def ns_value_claim(
    outcomes: Outcomes | None = None,
    d_star: sp.Expr = D_STAR,
    constant: sp.Expr = LOG4,
    data_term: bool = True,
) -> Claim:
    r"""The non-saturating objective at D = D*, exactly (see Arjovsky and Bottou 2017):

    .. math:: \mathbb E_{p_g}[-\log D^*] = \mathrm{KL}(p_g \| p_{data})
              - 2\,\mathrm{JSD}(p_{data} \| p_g) + \log 4 + \mathbb E_{p_{data}}[\log D^*]

    for densities with finite :math:`\mathrm{KL}(p_g\|p_{data})` (default ``outcomes``:
    the line). ``constant`` and ``data_term`` are the two terms that a reading of the paper's
    gradient statement as an identity of values leaves out.
    """
    out = Outcomes("line") if outcomes is None else outcomes
    extra = constant + (out.total(a * sp.log(d_star)) if data_term else 0)
    return Claim(
        "ns_value_at_d_star",
        "E_pg[-log D*] = KL(p_g||p_data) - 2 JSD + log 4 + E_pdata[log D*]",
        out.total(-b * sp.log(d_star)),
        out.total(kl_integrand(b, a)) - 2 * out.total(jsd_integrand()) + extra,
        constraints=out.normalisation(),
    )


def ns_gradient_claim(
    n: int = 3, d_star: sp.Expr = D_STAR, jsd_weight: sp.Expr = 2, hold_d_fixed: bool = True
) -> Claim:
    r"""Arjovsky and Bottou (2017), Theorem 2.5, on n outcomes: with D* held fixed at the
    current p_g, the non-saturating step follows the gradient of
    :math:`\mathrm{KL}(p_g\|p_{data}) - 2\,\mathrm{JSD}(p_{data}\|p_g)`.

    Both sides are derivatives along :math:`q + t\delta` at t = 0, for every direction on the
    simplex (:math:`\sum_i \delta_i = 0`). ``hold_d_fixed=False`` differentiates through D*
    as well, which is a different (false) statement.
    """
    p, q = discrete_distributions(n)
    free = sp.symbols(f"delta1:{n}", real=True)
    delta = (*free, -sum(free))
    moved = {qi: qi + t * di for qi, di in zip(q, delta, strict=True)}
    d_i = [d_star.subs({a: pi, b: qi}, simultaneous=True) for pi, qi in zip(p, q, strict=True)]
    if not hold_d_fixed:
        d_i = [d.subs(moved, simultaneous=True) for d in d_i]
    step = sum((qi + t * di) * -sp.log(d) for qi, di, d in zip(q, delta, d_i, strict=True))
    out = Outcomes("finite", n)
    target = out.total(kl_integrand(b, a)) - jsd_weight * out.total(jsd_integrand())
    return Claim(
        f"ns_gradient_kl_minus_2jsd_n{n}",
        "D* held fixed: d/dt E_pg[-log D*] = d/dt [KL(p_g||p_data) - 2 JSD]",
        sp.diff(step, t).subs(t, 0),
        sp.diff(target.subs(moved, simultaneous=True), t).subs(t, 0),
    )


def all_claims() -> tuple[Claim, ...]:
    """Every claim of notebook 01, in the order of the story."""
    return (
        *no_log_claims(),
        *proposition1_claims(),
        *theorem1_claims(),
        *bounds_claims(3),
        *convexity_claims(3),
        *non_saturating_claims(),
        minimax_step_claim(3),
        ns_stationary_claim(3),
        ns_value_claim(),
        ns_gradient_claim(3),
        gaussian_kl_claim(),
    )


# ----------------------------------------------------------------------------------------------
# Closed forms and the numeric check of Theorem 1 for continuous densities


def gaussian_symbols() -> tuple[sp.Symbol, sp.Symbol, sp.Symbol, sp.Symbol]:
    """``(mu1, sigma1, mu2, sigma2)``: means (real) and standard deviations (positive)."""
    mu1, mu2 = sp.symbols("mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    return mu1, s1, mu2, s2


def gaussian_kl() -> sp.Expr:
    r"""The closed form of KL between two Gaussians (checked by :func:`gaussian_kl_claim`).

    .. math:: \mathrm{KL}(\mathcal N(\mu_1, \sigma_1^2) \| \mathcal N(\mu_2, \sigma_2^2))
              = \log\frac{\sigma_2}{\sigma_1}
                + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2 \sigma_2^2} - \frac12
    """
    mu1, s1, mu2, s2 = gaussian_symbols()
    return sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)


def gaussian_kl_claim(closed_form: sp.Expr | None = None) -> Claim:
    r"""sympy.stats computes :math:`\mathbb E_{X \sim \mathcal N_1}[\log p_1(X) - \log p_2(X)]`
    and it must equal ``closed_form`` (default :func:`gaussian_kl`)."""
    from sympy.stats import E, Normal

    mu1, s1, mu2, s2 = gaussian_symbols()

    def log_pdf(mu: sp.Expr, sd: sp.Expr) -> sp.Expr:
        return -((x - mu) ** 2) / (2 * sd**2) - sp.log(sd) - sp.log(2 * sp.pi) / 2

    expectation = E((log_pdf(mu1, s1) - log_pdf(mu2, s2)).subs(x, Normal("X", mu1, s1)))
    closed = gaussian_kl() if closed_form is None else closed_form
    return Claim("gaussian_kl", "KL of two Gaussians in closed form", expectation, closed)


@dataclass(frozen=True)
class Theorem1Numbers:
    """The terms of Theorem 1 for two continuous densities, by adaptive quadrature (nats)."""

    c_of_g: float
    kl_data_m: float
    kl_g_m: float

    @property
    def jsd(self) -> float:
        r""":math:`\tfrac12 \mathrm{KL}(p_{data}\|m) + \tfrac12 \mathrm{KL}(p_g\|m)`."""
        return 0.5 * (self.kl_data_m + self.kl_g_m)

    @property
    def gap(self) -> float:
        r""":math:`C(G) - (-\log 4 + 2\,\mathrm{JSD})`: 0 up to quadrature error."""
        return self.c_of_g - (-math.log(4.0) + 2.0 * self.jsd)


Density = Callable[[np.ndarray], np.ndarray]


def _theorem1_integrands(
    p_data: Density, p_g: Density
) -> tuple[Callable[[float], float], Callable[[float, int], float]]:
    """Scalar integrands of C(G) and of KL(p||m) (``which`` = 0: p_data, 1: p_g), 0 log 0 = 0."""

    def densities(z: float) -> tuple[float, float]:
        return float(p_data(np.array([z]))[0]), float(p_g(np.array([z]))[0])

    def c_term(z: float) -> float:
        pd, pg = densities(z)
        total = pd + pg if pd + pg > 0 else 1.0
        return float(special.xlogy(pd, pd / total) + special.xlogy(pg, pg / total))

    def kl_term(z: float, which: int) -> float:
        pd, pg = densities(z)
        half = 0.5 * (pd + pg) if pd + pg > 0 else 1.0
        u = (pd, pg)[which]
        return float(special.xlogy(u, u / half))

    return c_term, kl_term


def theorem1_by_quadrature(
    p_data: Density, p_g: Density, lower: float, upper: float, points: Sequence[float] = ()
) -> Theorem1Numbers:
    r"""Integrate C(G), KL(p_data||m) and KL(p_g||m) separately with ``scipy.integrate.quad``.

    Parameters
    ----------
    p_data, p_g : callable
        Vectorised densities, array (N,) -> array (N,).
    lower, upper : float
        Finite integration limits that hold all but a negligible part of both masses.
    points : sequence of float
        Points inside (lower, upper) where the integrands peak (e.g. the means), passed to quad.

    Notes
    -----
    :math:`0 \log 0` is taken as 0 (``scipy.special.xlogy``), where both densities underflow.
    """
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise ValueError(
            f"need finite lower < upper, got {lower}, {upper}; pick limits that "
            "cover the densities' mass (e.g. mean ± 12 std)"
        )

    c_term, kl_term = _theorem1_integrands(p_data, p_g)
    opts = {"epsabs": 1e-13, "epsrel": 1e-12, "limit": 500, "points": list(points) or None}
    c_of_g = integrate.quad(c_term, lower, upper, **opts)[0]
    kl_d = integrate.quad(kl_term, lower, upper, args=(0,), **opts)[0]
    kl_g = integrate.quad(kl_term, lower, upper, args=(1,), **opts)[0]
    return Theorem1Numbers(c_of_g=c_of_g, kl_data_m=kl_d, kl_g_m=kl_g)
