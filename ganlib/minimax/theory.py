r"""The minimax game of Goodfellow et al. (2014), derived step by step with sympy.

Notebook 01 (``notebooks/01_minimax_game.ipynb``) displays these objects and the tests in
``tests/test_theory.py`` check them against independent answers. Every step is a small function
that returns sympy expressions; every statement that the derivation relies on is a
:class:`Claim` whose :meth:`Claim.holds` asks sympy to prove it (an identity simplifies to
exactly 0, an inequality has a sign sympy can decide from the symbols' assumptions).

The story, with :math:`a = p_{data}(x)` and :math:`b = p_g(x)` at one fixed point :math:`x`:

.. math::

    V(D, G) = \int p_{data}(x) \log D(x) + p_g(x) \log(1 - D(x)) \, dx,
    \qquad f(y) = a \log y + b \log(1 - y),

    f'(y) = 0 \iff y^* = \frac{a}{a + b} \quad \text{(Proposition 1)},

    C(G) = V(D^*, G) = -\log 4 + \mathrm{KL}(p_{data} \| m) + \mathrm{KL}(p_g \| m)
         = -\log 4 + 2\,\mathrm{JSD}(p_{data} \| p_g) \quad \text{(Theorem 1)}.

Natural logarithms (nats) throughout.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import sympy as sp
from scipy import integrate, special

# The symbols of the pointwise problem: a = p_data(x) > 0, b = p_g(x) > 0 at one fixed x,
# y = D(x) in (0, 1), s > 0 re-parametrises (0, 1) as y = s / (1 + s), logit = D's logit.
a, b = sp.symbols("a b", positive=True)
y = sp.Symbol("y", positive=True)
s = sp.Symbol("s", positive=True)
t = sp.Symbol("t", real=True)
x = sp.Symbol("x", real=True)
logit = sp.Symbol("l", real=True)

Relation = Literal["==", "<", ">", ">="]
_SIGN = {"<": "is_negative", ">": "is_positive", ">=": "is_nonnegative"}
_RELATIONAL = {"==": sp.Eq, "<": sp.Lt, ">": sp.Gt, ">=": sp.Ge}


def canonical(expr: sp.Expr) -> sp.Expr:
    """Expand every logarithm into a sum of logs of factors, then expand the products.

    When the canonical forms of two expressions simplify to the same thing, the expressions are
    equal. ``force=True`` is safe here because every quantity inside a log is positive (the
    symbols are declared positive).
    """
    expr = expr.replace(lambda e: isinstance(e, sp.log), lambda e: sp.log(sp.factor(e.args[0])))
    return sp.expand(sp.expand_log(expr, force=True))


@dataclass(frozen=True)
class Claim:
    r"""One statement of the derivation, ``lhs <relation> rhs``, that sympy must prove.

    Parameters
    ----------
    name : str
        Short identifier, e.g. ``"theorem1_jsd_n3"``.
    statement : str
        The claim in words, for tables in notebook 01.
    lhs, rhs : sympy.Expr
        The two sides.
    relation : {"==", "<", ">", ">="}
        ``"=="``: the canonical difference must simplify to exactly 0 (after substituting
        ``constraints``). Otherwise sympy's assumptions must decide the sign of ``lhs - rhs``.
    constraints : tuple of (Symbol, Expr)
        Substitutions applied before simplifying, e.g. the normalisation
        :math:`p_n = 1 - \sum_{i<n} p_i`.
    """

    name: str
    statement: str
    lhs: sp.Expr
    rhs: sp.Expr
    relation: Relation = "=="
    constraints: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()

    def residual(self) -> sp.Expr:
        """``lhs - rhs`` reduced as far as sympy can: 0 for a proved identity.

        For an inequality, the first of (as written, factored, simplified) whose sign sympy can
        decide is returned, so that ``a log(1 + b/a)`` is not rewritten into a difference of logs
        whose sign sympy cannot see.
        """
        diff = sp.sympify(self.lhs - self.rhs)
        if self.relation == "==":
            # canonical form first: logs of the substituted p_n = 1 - ... could not be split
            diff = sp.expand(canonical(diff).subs(dict(self.constraints)))
            quick = sp.cancel(diff)
            return quick if quick == 0 else sp.simplify(diff)
        diff = diff.subs(dict(self.constraints))
        sign = _SIGN[self.relation]
        for reduce in (sp.sympify, sp.factor, sp.simplify):
            form = reduce(diff)
            if getattr(form, sign) is True:
                return form
        return form

    def holds(self) -> bool:
        """True when sympy proves the claim (never True by default for an unknown sign)."""
        res = self.residual()
        if self.relation == "==":
            return res == 0
        return getattr(res, _SIGN[self.relation]) is True

    def as_relational(self) -> sp.Basic:
        """The claim as an unevaluated sympy relation, for display."""
        return _RELATIONAL[self.relation](self.lhs, self.rhs, evaluate=False)


# ----------------------------------------------------------------------------------------------
# Step 1: the value function


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


# ----------------------------------------------------------------------------------------------
# Step 2: the optimal discriminator (Proposition 1)


def pointwise_integrand(y_: sp.Expr = y) -> sp.Expr:
    r""":math:`f(y) = a \log y + b \log(1 - y)`: V's integrand at one x, with y = D(x)."""
    return a * sp.log(y_) + b * sp.log(1 - y_)


def pointwise_derivatives() -> tuple[sp.Expr, sp.Expr]:
    """:math:`f'(y) = a/y - b/(1-y)` and :math:`f''(y) = -a/y^2 - b/(1-y)^2`."""
    f = pointwise_integrand()
    return sp.diff(f, y), sp.diff(f, y, 2)


def optimal_discriminator() -> sp.Expr:
    r"""Solve :math:`f'(y) = 0`; the unique root is :math:`D^*(x) = a / (a + b)`.

    .. math:: D^*_G(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}
    """
    roots = sp.solve(sp.Eq(pointwise_derivatives()[0], 0), y)
    if len(roots) != 1:
        raise ArithmeticError(f"expected one stationary point of f, sympy found {roots}")
    return sp.simplify(roots[0])


def proposition1_claims() -> tuple[Claim, ...]:
    """f'(D*) = 0, and f'' < 0 on all of (0, 1) (checked with y = s/(1+s), s > 0)."""
    d1, d2 = pointwise_derivatives()
    d_star = optimal_discriminator()
    return (
        Claim("prop1_stationary", "f'(a/(a+b)) = 0", d1.subs(y, d_star), sp.Integer(0)),
        Claim(
            "prop1_maximum",
            "f''(y) < 0 for every y in (0, 1)",
            sp.factor(sp.together(d2.subs(y, s / (1 + s)))),
            sp.Integer(0),
            "<",
        ),
        Claim("prop1_half", "D* = 1/2 where p_g = p_data", d_star.subs(b, a), sp.Rational(1, 2)),
    )


# ----------------------------------------------------------------------------------------------
# Step 3: the virtual training criterion C(G) (Theorem 1), discrete distributions


def criterion_integrand() -> sp.Expr:
    r"""f(D*): the integrand of :math:`C(G) = \max_D V(D, G)` at one x.

    .. math:: a \log\frac{a}{a+b} + b \log\frac{b}{a+b}
    """
    f = pointwise_integrand(optimal_discriminator())
    return f.replace(lambda e: isinstance(e, sp.log), lambda e: sp.log(sp.factor(e.args[0])))


def discrete_distributions(n: int) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    """Symbolic probabilities ``p1..pn`` (p_data) and ``q1..qn`` (p_g), all positive."""
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n={n!r} outcomes: use an int >= 2 (a distribution needs two outcomes)")
    return sp.symbols(f"p1:{n + 1}", positive=True), sp.symbols(f"q1:{n + 1}", positive=True)


def normalisation(*dists: Sequence[sp.Symbol]) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    r"""Substitutions :math:`p_n = 1 - \sum_{i<n} p_i` that make each distribution sum to 1."""
    return tuple((d[-1], 1 - sum(d[:-1])) for d in dists)


def discrete_kl(p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
    r""":math:`\mathrm{KL}(p \| q) = \sum_i p_i \log(p_i / q_i)`."""
    return sum(pi * sp.log(pi / qi) for pi, qi in zip(p, q, strict=True))


def discrete_mixture(p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> list[sp.Expr]:
    """:math:`m = (p + q) / 2`, the mixture both JSD terms compare against."""
    return [(pi + qi) / 2 for pi, qi in zip(p, q, strict=True)]


def discrete_jsd(p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
    r"""The Jensen-Shannon divergence, half the KL of each distribution to their mixture.

    .. math:: \mathrm{JSD}(p \| q) = \tfrac12 \mathrm{KL}(p \| m) + \tfrac12 \mathrm{KL}(q \| m)
    """
    m = discrete_mixture(p, q)
    return discrete_kl(p, m) / 2 + discrete_kl(q, m) / 2


def discrete_criterion(p: Sequence[sp.Expr], q: Sequence[sp.Expr]) -> sp.Expr:
    """C(G) for discrete distributions: the criterion integrand summed over outcomes."""
    c = criterion_integrand()
    return sum(c.subs({a: pi, b: qi}, simultaneous=True) for pi, qi in zip(p, q, strict=True))


def theorem1_claims(n: int) -> tuple[Claim, Claim]:
    """Theorem 1 for n outcomes: C(G) in its KL form and in its JSD form."""
    p, q = discrete_distributions(n)
    m, c, norm = discrete_mixture(p, q), discrete_criterion(p, q), normalisation(p, q)
    kl_form = -sp.log(4) + discrete_kl(p, m) + discrete_kl(q, m)
    jsd_form = -sp.log(4) + 2 * discrete_jsd(p, q)
    return (
        Claim(
            f"theorem1_kl_n{n}",
            f"C(G) = -log 4 + KL(p||m) + KL(q||m), n = {n}",
            c,
            kl_form,
            constraints=norm,
        ),
        Claim(
            f"theorem1_jsd_n{n}",
            f"C(G) = -log 4 + 2 JSD(p||q), n = {n}",
            c,
            jsd_form,
            constraints=norm,
        ),
    )


# ----------------------------------------------------------------------------------------------
# Step 4: bounds and the global minimum


def lower_bound_claims(n: int = 3) -> tuple[Claim, ...]:
    r"""JSD >= 0: :math:`\mathrm{KL}(p\|m) = \sum_i m_i\, g(p_i/m_i)` with
    :math:`g(u) = u \log u - u + 1 \ge 0`.

    :math:`g \ge 0` because g(1) = g'(1) = 0 and g'' = 1/u > 0; the identity needs the extra
    :math:`\sum_i (p_i - m_i)` to vanish, which is the normalisation. Equality needs p = m.
    """
    p, q = discrete_distributions(n)
    m = discrete_mixture(p, q)
    u = sp.Symbol("u", positive=True)
    g = u * sp.log(u) - u + 1
    kl_as_g = sum(mi * g.subs(u, pi / mi) for pi, mi in zip(p, m, strict=True))
    return (
        Claim("kl_lower_g_at_1", "g(1) = 0", g.subs(u, 1), sp.Integer(0)),
        Claim("kl_lower_g_slope_at_1", "g'(1) = 0", sp.diff(g, u).subs(u, 1), sp.Integer(0)),
        Claim("kl_lower_g_convex", "g''(u) = 1/u > 0", sp.diff(g, u, 2), sp.Integer(0), ">"),
        Claim(
            f"kl_as_sum_of_g_n{n}",
            "KL(p||m) = sum_i m_i g(p_i/m_i)",
            discrete_kl(p, m),
            kl_as_g,
            constraints=normalisation(p, q),
        ),
    )


def upper_bound_claims(n: int = 3) -> tuple[Claim, ...]:
    r"""JSD <= log 2, with equality for disjoint supports.

    .. math:: \log 2 - \mathrm{JSD}
              = \tfrac12 \sum_i p_i \log(1 + q_i/p_i) + q_i \log(1 + p_i/q_i),

    a sum of non-negative terms; where :math:`p_g = 0` the JSD integrand is
    :math:`\tfrac12 p_{data} \log 2`, so disjoint supports give exactly :math:`\log 2`.
    """
    p, q = discrete_distributions(n)
    gap = sum(
        pi * sp.log(1 + qi / pi) + qi * sp.log(1 + pi / qi) for pi, qi in zip(p, q, strict=True)
    )
    jsd_term = criterion_integrand() / 2 + (a + b) * sp.log(2) / 2  # JSD integrand at one x
    return (
        Claim(
            f"jsd_upper_gap_n{n}",
            "log 2 - JSD = sum of log(1 + ratio) terms / 2",
            sp.log(2) - discrete_jsd(p, q),
            gap / 2,
            constraints=normalisation(p, q),
        ),
        Claim("jsd_upper_gap_term", "p log(1 + q/p) >= 0", a * sp.log(1 + b / a), 0, ">="),
        Claim(
            "jsd_disjoint",
            "JSD integrand -> (a/2) log 2 where p_g = 0 (disjoint supports)",
            sp.limit(jsd_term, b, 0, "+"),
            a * sp.log(2) / 2,
        ),
    )


def bounds_claims(n: int = 3) -> tuple[Claim, ...]:
    r"""0 <= JSD <= log 2, so -log 4 <= C(G) <= 0, with C = -log 4 exactly at p_g = p_data.

    See :func:`lower_bound_claims` and :func:`upper_bound_claims`; the last claim evaluates C at
    :math:`p_g = p_{data}`.
    """
    p, _ = discrete_distributions(n)
    minimum = Claim(
        f"criterion_minimum_n{n}",
        "C(G) = -log 4 at p_g = p_data",
        discrete_criterion(p, p),
        -sp.log(4),
        constraints=normalisation(p),
    )
    return (*lower_bound_claims(n), *upper_bound_claims(n), minimum)


# ----------------------------------------------------------------------------------------------
# Step 5: Proposition 2's key fact, convexity of C in p_g


def convexity_claims(n: int = 3) -> tuple[Claim, Claim]:
    r"""C is convex in p_g: along any line :math:`q + t\,\delta` its second derivative is
    :math:`\sum_i \delta_i^2\, p_i / (q_i (p_i + q_i)) \ge 0`.

    A mixture path :math:`p_g(t) = (1-t) q^0 + t q^1` is such a line (:math:`\delta = q^1 - q^0`)
    and every point of it can serve as the base point q, so checking t = 0 suffices.
    """
    p, q = discrete_distributions(n)
    delta = sp.symbols(f"delta1:{n + 1}", real=True)
    path = {qi: qi + t * di for qi, di in zip(q, delta, strict=True)}
    second = sp.diff(discrete_criterion(p, q).subs(path, simultaneous=True), t, 2).subs(t, 0)
    form = sum(di**2 * pi / (qi * (pi + qi)) for pi, qi, di in zip(p, q, delta, strict=True))
    return (
        Claim(f"prop2_second_derivative_n{n}", "d²C/dt² = sum δ² p / (q (p + q))", second, form),
        Claim(f"prop2_convex_n{n}", "d²C/dt² >= 0", form, sp.Integer(0), ">="),
    )


# ----------------------------------------------------------------------------------------------
# Step 6: the non-saturating generator loss


def sigmoid(l_: sp.Expr = logit) -> sp.Expr:
    r""":math:`\sigma(l) = 1 / (1 + e^{-l})`: D's probability from its logit l."""
    return 1 / (1 + sp.exp(-l_))


#: The two generator losses g(D) as functions of D = D(G(z)) on a fake sample, minimised by G:
#: ``"minimax"`` is :math:`\log(1 - D)` (the paper's V), ``"non-saturating"`` is
#: :math:`-\log D` (the paper's practical choice). Keys as :data:`ganlib.toy.training.LOSSES`.
GENERATOR_LOSSES_OF_D: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "minimax": lambda d: sp.log(1 - d),
    "non-saturating": lambda d: -sp.log(d),
}


def generator_losses() -> dict[str, sp.Expr]:
    r"""The two generator losses as functions of D's logit l on a fake sample.

    :data:`GENERATOR_LOSSES_OF_D` with :math:`D = \sigma(l)` substituted:
    ``"minimax"``: :math:`\log(1 - \sigma(l))` (minimised by G, the paper's V);
    ``"non-saturating"``: :math:`-\log \sigma(l)` (the paper's practical choice).
    """
    return {name: g(sigmoid()) for name, g in GENERATOR_LOSSES_OF_D.items()}


def generator_gradients() -> dict[str, sp.Expr]:
    r"""d(loss)/dl: :math:`-\sigma(l)` (minimax) and :math:`\sigma(l) - 1` (non-saturating)."""
    return {k: sp.simplify(sp.diff(v, logit)) for k, v in generator_losses().items()}


def non_saturating_claims() -> tuple[Claim, ...]:
    r"""Saturation, direction and fixed point of the two generator losses.

    As D(G(z)) -> 0 (l -> -oo, D confidently rejects fakes, as early in training) the minimax
    gradient vanishes while the non-saturating one tends to -1. Their ratio is
    :math:`e^l = D/(1-D) > 0`, so both push l the same way. At p_g = p_data the optimal D is
    flat (:math:`\partial_x D^* = 0`), so G's gradient through D is 0 for both losses, and
    :func:`fixed_point_claims` shows the same on distributions: both losses are stationary there.
    """
    grads = generator_gradients()
    p_data, p_g = sp.Function("p_data"), sp.Function("p_g")
    d_star = optimal_discriminator().subs({a: p_data(x), b: p_g(x)}, simultaneous=True)
    flat = sp.diff(d_star, x).subs(p_g(x), p_data(x)).doit()
    return (
        Claim("ns_minimax_gradient", "d/dl log(1 - σ(l)) = -σ(l)", grads["minimax"], -sigmoid()),
        Claim("ns_gradient", "d/dl -log σ(l) = σ(l) - 1", grads["non-saturating"], sigmoid() - 1),
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
        Claim("ns_flat_d_star", "∂D*/∂x = 0 where p_g = p_data", flat, sp.Integer(0)),
        *fixed_point_claims(3),
    )


def generator_simplex_gradient(loss: str, n: int = 3) -> list[sp.Expr]:
    r"""Gradient of G's objective over distributions with D fixed at :math:`D^*`.

    :math:`J(r) = \sum_i r_i\, g(D^*_i)`, :math:`D^*_i = p_i / (p_i + q_i)`
    (:func:`optimal_discriminator` at each outcome), g from :data:`GENERATOR_LOSSES_OF_D`
    (``loss`` is ``"minimax"`` or ``"non-saturating"``), on the simplex
    :math:`r_n = 1 - \sum_{i<n} r_i`: component j is :math:`g(D^*_j) - g(D^*_n)`, a function of
    the symbols of :func:`discrete_distributions` (n - 1 components).
    """
    if loss not in GENERATOR_LOSSES_OF_D:
        raise ValueError(f"loss={loss!r}: use one of {tuple(GENERATOR_LOSSES_OF_D)}")
    g = GENERATOR_LOSSES_OF_D[loss]
    p, q = discrete_distributions(n)
    r = sp.symbols(f"r1:{n + 1}", positive=True)
    solved = optimal_discriminator()
    d_star = [solved.subs({a: pi, b: qi}, simultaneous=True) for pi, qi in zip(p, q, strict=True)]
    objective = sum(ri * g(di) for ri, di in zip(r, d_star, strict=True))
    objective = objective.subs(r[-1], 1 - sum(r[:-1]))
    return [sp.diff(objective, ri) for ri in r[:-1]]


def fixed_point_claims(n: int = 3) -> tuple[Claim, ...]:
    r"""Both generator losses have their stationary point at :math:`p_g = p_{data}`.

    Algorithm 1 fits D (ideally to :math:`D^*`), then moves :math:`p_g` against the gradient of
    its loss with D held fixed (:func:`generator_simplex_gradient`). With
    :math:`g(D) = \log(1 - D)` (minimax) or :math:`-\log D` (non-saturating) that gradient
    vanishes at :math:`q = p` for both, because there :math:`D^* = 1/2` on every outcome. The
    claim is that the sum of the squared components (zero only if each is) simplifies to 0.
    """
    p, q = discrete_distributions(n)
    claims = []
    for name in GENERATOR_LOSSES_OF_D:
        gradient = generator_simplex_gradient(name, n)
        at_optimum = [gi.subs(dict(zip(q, p, strict=True))) for gi in gradient]
        claims.append(
            Claim(
                f"fixed_point_{name.replace('-', '_')}",
                f"{name} loss, D = D*: simplex gradient 0 at p_g = p_data, n = {n}",
                sum(gi**2 for gi in at_optimum),
                sp.Integer(0),
            )
        )
    return tuple(claims)


def all_claims() -> tuple[Claim, ...]:
    """Every claim of notebook 01, in the order of the story (Theorem 1 for n = 2, 3, 4)."""
    theorem1 = tuple(c for n in (2, 3, 4) for c in theorem1_claims(n))
    return (
        *proposition1_claims(),
        *theorem1,
        *bounds_claims(3),
        *convexity_claims(3),
        *non_saturating_claims(),
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


def gaussian_kl_claim() -> Claim:
    r"""sympy.stats computes :math:`\mathbb E_{X \sim \mathcal N_1}[\log p_1(X) - \log p_2(X)]`
    and it must equal :func:`gaussian_kl`."""
    from sympy.stats import E, Normal

    mu1, s1, mu2, s2 = gaussian_symbols()

    def log_pdf(mu: sp.Expr, sd: sp.Expr) -> sp.Expr:
        return -((x - mu) ** 2) / (2 * sd**2) - sp.log(sd) - sp.log(2 * sp.pi) / 2

    expectation = E((log_pdf(mu1, s1) - log_pdf(mu2, s2)).subs(x, Normal("X", mu1, s1)))
    return Claim("gaussian_kl", "KL of two Gaussians in closed form", expectation, gaussian_kl())


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
