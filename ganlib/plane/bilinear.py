r"""The game's dynamics in two numbers: :math:`\min_x \max_y\, f(x, y) = x\,y` (notebook 03).

The smallest game with the GAN's structure: x (the generator) descends f, y (the discriminator)
ascends it. Its only equilibrium is (0, 0), and the gradient field :math:`(-\partial_x f,
+\partial_y f) = (-y, x)` goes *around* it, not towards it (Goodfellow 2016, NIPS tutorial,
section 8.2). Three ways to play it with a step size :math:`\eta`:

**Simultaneous steps** (both players move from the same point),

.. math:: x_{t+1} = x_t - \eta y_t, \qquad y_{t+1} = y_t + \eta x_t,

multiply the distance to the equilibrium by exactly :math:`\sqrt{1 + \eta^2}` at every step:
the iterates **spiral outwards**, whatever the step size.

**Alternating steps** (x moves, then y answers the new x; Algorithm 1's order),

.. math:: x_{t+1} = x_t - \eta y_t, \qquad y_{t+1} = y_t + \eta x_{t+1},

form a linear map of determinant 1 that keeps :math:`Q = x^2 - \eta\,x y + y^2` fixed
(checked with sympy in the tests): for :math:`\eta < 2` the iterates **orbit** on an ellipse
for ever, their radius between :math:`\sqrt{Q/(1 + \eta/2)}` and :math:`\sqrt{Q/(1 - \eta/2)}`.

**The average of the iterates**, :math:`\bar x_T = \frac1T \sum_{t<T} x_t`, of the orbiting
sequence **converges** to the equilibrium, at the rate :math:`O(1/T)`: the orbit's points
cancel each other out. The players never settle; only their time average does.

In notebook 03 the same picture appears on the ring: G's samples move to a mode, D raises its
verdict there, G moves on to the next mode, and :math:`p_g` circles the ring.
"""

from __future__ import annotations

import numpy as np

from ganlib.core.validation import check_float, check_int


def _start(x0: float, y0: float, lr: float, n_steps: int) -> np.ndarray:
    check_float("x0", x0)
    check_float("y0", y0)
    check_float("lr", lr, 0.0, 10.0, low_open=True)
    check_int("n_steps", n_steps, 0, 10**8)
    path = np.empty((n_steps + 1, 2))
    path[0] = x0, y0
    return path


def simultaneous_steps(x0: float, y0: float, lr: float, n_steps: int) -> np.ndarray:
    r"""Iterates of simultaneous gradient descent-ascent on :math:`xy`: ``(n_steps + 1, 2)``."""
    path = _start(x0, y0, lr, n_steps)
    for t in range(n_steps):
        x, y = path[t]
        path[t + 1] = x - lr * y, y + lr * x
    return path


def alternating_steps(x0: float, y0: float, lr: float, n_steps: int) -> np.ndarray:
    r"""Iterates of alternating steps (x first, then y at the new x): ``(n_steps + 1, 2)``."""
    path = _start(x0, y0, lr, n_steps)
    for t in range(n_steps):
        x, y = path[t]
        x = x - lr * y
        path[t + 1] = x, y + lr * x
    return path


def running_average(path: np.ndarray) -> np.ndarray:
    r""":math:`\bar p_T = \frac1{T+1} \sum_{t \le T} p_t` for every T: the shape of ``path``."""
    path = np.asarray(path, dtype=np.float64)
    return np.cumsum(path, axis=0) / np.arange(1, len(path) + 1)[:, None]


def radius(path: np.ndarray) -> np.ndarray:
    """The distance of every iterate to the equilibrium (0, 0), ``(T,)``."""
    return np.hypot(*np.asarray(path, dtype=np.float64).T)


def alternating_invariant(path: np.ndarray, lr: float) -> np.ndarray:
    r""":math:`Q = x^2 - \eta\,x y + y^2` along ``path``: constant for alternating steps."""
    x, y = np.asarray(path, dtype=np.float64).T
    return x * x - lr * x * y + y * y
