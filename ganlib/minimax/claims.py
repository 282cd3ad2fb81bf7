r"""The proof machinery of notebook 01: claims that sympy must prove, and where they live.

A :class:`Claim` is one statement ``lhs <relation> rhs`` of the derivation in
:mod:`ganlib.minimax.theory`: an identity must reduce to exactly 0, an inequality must have a
sign sympy can decide from the symbols' assumptions, a set of solutions must equal the one
stated. :class:`Outcomes` says where the two distributions live (n outcomes, any number of
outcomes, or densities on the line), so that a claim stated pointwise can be summed or
integrated; :func:`stationary_points` solves a gradient for all its roots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import sympy as sp

from ganlib.core.validation import check_choice, check_int

# The symbols of the pointwise problem: a = p_data(x) > 0, b = p_g(x) > 0 at one fixed x,
# y = D(x) in (0, 1), s > 0 re-parametrises (0, 1) as y = s / (1 + s), logit = D's logit.
a, b = sp.symbols("a b", positive=True)
y = sp.Symbol("y", positive=True)
s = sp.Symbol("s", positive=True)
t = sp.Symbol("t", real=True)
x = sp.Symbol("x", real=True)
logit = sp.Symbol("l", real=True)
lam = sp.Symbol("lambda", positive=True)


Relation = Literal["==", "<", ">", ">=", "set"]
_SIGN = {"<": "is_negative", ">": "is_positive", ">=": "is_nonnegative"}
_LINEAR = (sp.Integral, sp.Sum)


def canonical(expr: sp.Expr) -> sp.Expr:
    """Expand every logarithm into a sum of logs of factors, then expand the products.

    ``force=True`` is safe here because every quantity inside a log is positive (the symbols
    are declared positive; densities are positive where they are integrated). Works inside
    integrals and sums too.
    """
    expr = expr.replace(lambda e: isinstance(e, sp.log), lambda e: sp.log(sp.factor(e.args[0])))
    return sp.expand(sp.expand_log(expr, force=True))


def _merge_linear(expr: sp.Expr) -> sp.Expr:
    r"""Gather the integrals (and sums) of ``expr`` that share limits into one.

    :math:`\int f - \int g + c\int h = \int (f - g + c\,h)` needs each integral to be finite,
    which holds for every quantity of notebook 01 (C(G), KL to the mixture, the JSD).
    """
    groups: dict[tuple, sp.Expr] = {}
    rest = []
    for term in sp.Add.make_args(sp.expand(expr, deep=False, log=False, mul=False)):
        ops = [f for f in sp.Mul.make_args(term) if isinstance(f, _LINEAR)]
        if len(ops) != 1:
            rest.append(term)
            continue
        key = (type(ops[0]), ops[0].limits)
        groups[key] = groups.get(key, 0) + (term / ops[0]) * ops[0].function
    merged = [kind(body, *limits) for (kind, limits), body in groups.items()]
    return sp.Add(*rest, *merged)


def _split_linear(expr: sp.Expr) -> sp.Expr:
    r"""Split each integral (sum) of a sum into a sum of integrals, constants taken out."""

    def split(op: sp.Expr) -> sp.Expr:
        pieces = []
        for term in sp.Add.make_args(sp.expand(op.function)):
            const, var = term.as_independent(*op.variables)
            pieces.append(const * type(op)(var, *op.limits))
        return sp.Add(*pieces)

    return expr.replace(lambda e: isinstance(e, _LINEAR), split)


def _same(u: sp.Basic, v: sp.Basic) -> bool:
    """Two solutions (numbers or tuples) are equal when each component difference is 0."""
    us, vs = (tuple(w) if isinstance(w, sp.Tuple) else (w,) for w in (u, v))
    return len(us) == len(vs) and all(sp.simplify(p - q) == 0 for p, q in zip(us, vs, strict=True))


@dataclass(frozen=True)
class Claim:
    r"""One statement of the derivation, ``lhs <relation> rhs``, that sympy must prove.

    Parameters
    ----------
    name : str
        Short identifier, e.g. ``"theorem1_pointwise"``.
    statement : str
        The claim in words, for the tables of notebook 01.
    lhs, rhs : sympy.Basic
        The two sides (two sets for ``"set"``).
    relation : {"==", "<", ">", ">=", "set"}
        ``"=="``: the difference, integrals merged, logs split and ``constraints`` substituted,
        must reduce to exactly 0. ``"<"``, ``">"``, ``">="``: sympy's assumptions must decide
        the sign of ``lhs - rhs``. ``"set"``: two finite sets with the same elements.
    constraints : tuple of (Expr, Expr)
        Substitutions applied before simplifying, e.g. the normalisation
        :math:`p_n = 1 - \sum_{i<n} p_i` or :math:`\int p_{data}\,dx = 1`.
    """

    name: str
    statement: str
    lhs: sp.Basic
    rhs: sp.Basic
    relation: Relation = "=="
    constraints: tuple[tuple[sp.Expr, sp.Expr], ...] = ()

    def residual(self) -> sp.Basic:
        """What is left of the claim: 0 (or the empty set) for a proved one.

        For an inequality, the first of (as written, factored, simplified) whose sign sympy can
        decide is returned, so that ``a log(1 + b/a)`` is not rewritten into a difference of logs
        whose sign sympy cannot see.
        """
        if self.relation == "set":
            return self._set_residual()
        if self.relation == "==":
            return self._identity_residual()
        diff = sp.sympify(self.lhs - self.rhs).subs(dict(self.constraints))
        for reduce in (sp.sympify, sp.factor, sp.simplify):
            form = reduce(diff)
            if getattr(form, _SIGN[self.relation]) is True:
                return form
        return form

    def _identity_residual(self) -> sp.Expr:
        diff = canonical(_merge_linear(sp.sympify(self.lhs - self.rhs)))
        # after the logs are split: logs of a substituted p_n = 1 - ... could not be split
        diff = sp.expand(_split_linear(diff).subs(dict(self.constraints)))
        if sp.cancel(diff) == 0:
            return sp.Integer(0)
        if diff.has(sp.Heaviside, sp.Abs, sp.Max, sp.Min):
            diff = diff.rewrite(sp.Piecewise)
        return sp.simplify(diff)

    def _set_residual(self) -> sp.Set:
        if not (isinstance(self.lhs, sp.FiniteSet) and isinstance(self.rhs, sp.FiniteSet)):
            return sp.SymmetricDifference(self.lhs, self.rhs, evaluate=False)
        extra = [u for u in self.lhs if not any(_same(u, v) for v in self.rhs)]
        missing = [v for v in self.rhs if not any(_same(u, v) for u in self.lhs)]
        return sp.FiniteSet(*extra, *missing)

    def holds(self) -> bool:
        """True when sympy proves the claim (never True by default for an unknown sign)."""
        res = self.residual()
        if self.relation == "set":
            return res == sp.S.EmptySet
        if self.relation == "==":
            return res == 0
        return getattr(res, _SIGN[self.relation]) is True

    def as_relational(self) -> sp.Basic:
        """The claim as an unevaluated sympy relation, for display."""
        if self.relation == "set":
            return sp.Eq(self.lhs, self.rhs, evaluate=False)
        ops = {"==": sp.Eq, "<": sp.Lt, ">": sp.Gt, ">=": sp.Ge}
        return ops[self.relation](self.lhs, self.rhs, evaluate=False)


# ----------------------------------------------------------------------------------------------
# Where the distributions live: n outcomes, any number n of outcomes, or densities on the line


@dataclass(frozen=True)
class Outcomes:
    r"""The space of the two distributions, for claims stated pointwise and then summed.

    ``kind="finite"``: ``n`` outcomes with probabilities ``p1..pn`` (p_data) and ``q1..qn``
    (p_g); ``"any_n"``: :math:`\sum_{i=1}^{n}` with a symbolic n; ``"line"``: densities
    :math:`p_{data}(x), p_g(x)` and :math:`\int_{-\infty}^{\infty} dx`.
    """

    kind: Literal["finite", "any_n", "line"] = "finite"
    n: int = 3

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming ``kind`` or ``n`` when it is not usable."""
        check_choice("kind", self.kind, ("finite", "any_n", "line"))
        check_int("n", self.n, low=2)

    def total(self, pointwise: sp.Expr) -> sp.Expr:
        r""":math:`\sum_i e(p_i, q_i)` or :math:`\int e(p_{data}(x), p_g(x))\,dx` of ``pointwise``
        (an expression in a = p_data, b = p_g)."""
        if self.kind == "finite":
            pairs = zip(*discrete_distributions(self.n), strict=True)
            return sum(pointwise.subs({a: u, b: v}, simultaneous=True) for u, v in pairs)
        (u, v), limits = self._symbols()
        return (sp.Sum if self.kind == "any_n" else sp.Integral)(
            pointwise.subs({a: u, b: v}, simultaneous=True), limits
        )

    def normalisation(self) -> tuple[tuple[sp.Expr, sp.Expr], ...]:
        """Substitutions that make both distributions sum (integrate) to 1."""
        if self.kind == "finite":
            return normalisation(*discrete_distributions(self.n))
        (u, v), limits = self._symbols()
        kind = sp.Sum if self.kind == "any_n" else sp.Integral
        return ((kind(u, limits), sp.Integer(1)), (kind(v, limits), sp.Integer(1)))

    def _symbols(self) -> tuple[tuple[sp.Expr, sp.Expr], tuple]:
        if self.kind == "any_n":
            i = sp.Symbol("i", integer=True, positive=True)
            n = sp.Symbol("n", integer=True, positive=True)
            p, q = sp.IndexedBase("p", positive=True), sp.IndexedBase("q", positive=True)
            return (p[i], q[i]), (i, 1, n)
        return (sp.Function("p_data")(x), sp.Function("p_g")(x)), (x, -sp.oo, sp.oo)


def discrete_distributions(n: int) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Symbol, ...]]:
    """Symbolic probabilities ``p1..pn`` (p_data) and ``q1..qn`` (p_g), all positive."""
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n={n!r} outcomes: use an int >= 2 (a distribution needs two outcomes)")
    return sp.symbols(f"p1:{n + 1}", positive=True), sp.symbols(f"q1:{n + 1}", positive=True)


def normalisation(*dists: Sequence[sp.Symbol]) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    r"""Substitutions :math:`p_n = 1 - \sum_{i<n} p_i` that make each distribution sum to 1."""
    return tuple((d[-1], 1 - sum(d[:-1])) for d in dists)


def _algebraic(component: sp.Expr) -> sp.Expr:
    """An equation equivalent to ``component = 0`` for a difference of logs: exp(.) - 1 = 0."""
    ratio = sp.simplify(sp.exp(sp.expand_log(component, force=True)))
    return sp.numer(sp.together(ratio - 1))


def stationary_points(gradient: Sequence[sp.Expr], unknowns: Sequence[sp.Symbol]) -> sp.Set:
    r"""All solutions of ``gradient = 0`` (one component per unknown) in the positive unknowns.

    Each gradient component of notebook 01's objectives is a difference of logs; it vanishes
    where :math:`e^{(\cdot)} = 1`, a polynomial equation that ``sympy.solve`` solves completely.
    Returns a FiniteSet of tuples, or the open unit box when the gradient is identically 0
    (every point is stationary).
    """
    equations = [_algebraic(component) for component in gradient]
    if all(sp.simplify(e) == 0 for e in equations):
        return sp.ProductSet(*[sp.Interval.open(0, 1)] * len(unknowns))
    solutions = sp.solve(equations, list(unknowns), dict=True)
    return sp.FiniteSet(*(sp.Tuple(*(sp.simplify(s_[u]) for u in unknowns)) for s_ in solutions))
