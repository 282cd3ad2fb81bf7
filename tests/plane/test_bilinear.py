"""ganlib.plane.bilinear: the claims about min_x max_y xy, checked numerically and with sympy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from ganlib.plane.bilinear import (
    alternating_invariant,
    alternating_steps,
    radius,
    running_average,
    simultaneous_steps,
)

LR, STEPS = 0.1, 2_000


def test_simultaneous_steps_spiral_outwards_by_sqrt_one_plus_lr_squared() -> None:
    path = simultaneous_steps(1.0, 0.0, LR, STEPS)
    r = radius(path)
    np.testing.assert_allclose(r[1:] / r[:-1], math.sqrt(1 + LR**2), rtol=1e-12)
    assert r[-1] > 1e4 * r[0]  # (1.01)^1000 ≈ 2e4: far out


def test_alternating_steps_orbit_with_a_bounded_radius() -> None:
    path = alternating_steps(1.0, 0.0, LR, STEPS)
    r = radius(path)
    q = alternating_invariant(path, LR)
    np.testing.assert_allclose(q, q[0], rtol=1e-10)  # the conserved quantity
    lo, hi = math.sqrt(q[0] / (1 + LR / 2)), math.sqrt(q[0] / (1 - LR / 2))
    assert lo - 1e-12 <= r.min()
    assert r.max() <= hi + 1e-12
    assert r.max() < 1.06  # stays on its orbit: never spirals out or in
    assert r[-500:].min() > 0.95
    angle = np.unwrap(np.arctan2(path[:, 1], path[:, 0]))
    assert angle[-1] > 2 * np.pi * 30  # it goes round, many times (about LR radians a step)


def test_the_average_of_the_orbit_converges_to_the_equilibrium() -> None:
    period = int(2 * math.pi / LR) + 1  # steps per turn of the orbit
    avg = radius(running_average(alternating_steps(1.0, 0.0, LR, STEPS)))
    assert avg[-period:].max() < 0.02  # from radius 1 at the start
    # O(1/T): ten times longer, about ten times closer (over a whole turn, whatever the phase)
    long = radius(running_average(alternating_steps(1.0, 0.0, LR, 10 * STEPS)))
    assert long[-period:].max() < 0.2 * avg[-period:].max()
    # and the simultaneous steps' average does not converge: it follows the spiral out
    assert radius(running_average(simultaneous_steps(1.0, 0.0, LR, STEPS)))[-1] > 10.0


def test_the_invariant_and_the_growth_factor_symbolically() -> None:
    x, y, eta = sp.symbols("x y eta", real=True)
    x1 = x - eta * y  # alternating: x first
    y1 = y + eta * x1  # then y at the new x
    q = lambda a, b: a**2 - eta * a * b + b**2  # noqa: E731
    assert sp.expand(q(x1, y1) - q(x, y)) == 0
    xs, ys = x - eta * y, y + eta * x  # simultaneous
    assert sp.expand(xs**2 + ys**2 - (1 + eta**2) * (x**2 + y**2)) == 0


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="lr"):
        simultaneous_steps(1.0, 0.0, 0.0, 10)
    with pytest.raises(ValueError, match="n_steps"):
        alternating_steps(1.0, 0.0, 0.1, -1)
    assert alternating_steps(1.0, 2.0, 0.1, 0).tolist() == [[1.0, 2.0]]
