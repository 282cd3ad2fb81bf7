r"""KL, Jensen-Shannon, the optimal discriminator and C(G) for densities sampled on a grid.

Notebook 01 uses these to put numbers on the theory of :mod:`ganlib.minimax.theory`: densities are
arrays evaluated on a strictly increasing grid ``x`` of shape (N,), integrals are trapezoid
sums, and logs are natural (nats). Every function validates its input and raises ``ValueError``
naming the argument and the fix.

.. math::

    \mathrm{TV}(p, q) = \tfrac12 \int |p - q|\,dx, \qquad
    \mathrm{KL}(p \| q) = \int p \log\frac{p}{q}\,dx, \qquad
    \mathrm{JSD}(p \| q) = \tfrac12 \mathrm{KL}(p \| m) + \tfrac12 \mathrm{KL}(q \| m),
    \quad m = \tfrac12 (p + q),

    D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}, \qquad
    C(G) = \int p_{data} \log D^* + p_g \log(1 - D^*)\,dx = -\log 4 + 2\,\mathrm{JSD}.
"""

from __future__ import annotations

import numpy as np
from scipy import special

#: Default tolerance on :math:`|\int p\,dx - 1|` for a density on a grid.
NORMALISATION_TOL = 1e-3


def _as_density(name: str, p: np.ndarray, *, one_d: bool = True) -> np.ndarray:
    """``p`` as a float array (of shape (N,) when ``one_d``), finite and >= 0, else ValueError."""
    arr = np.asarray(p, dtype=float)
    if one_d and arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D, shape (N,), got shape {arr.shape}; "
            "evaluate the density on a 1-D grid x"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} has {int(np.sum(~np.isfinite(arr)))} NaN/inf values; "
            "a density on a grid must be finite everywhere"
        )
    if np.any(arr < 0):
        raise ValueError(
            f"{name} has {int(np.sum(arr < 0))} negative values (min {arr.min():.3g})"
            f"; densities are >= 0: fix the formula or clip round-off with "
            f"np.clip({name}, 0, None)"
        )
    return arr


def _check_grid(x: np.ndarray, **densities: np.ndarray) -> np.ndarray:
    """Check that ``x`` is a strictly increasing 1-D grid of the densities' shape."""
    grid = np.asarray(x, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)):
        raise ValueError(
            f"x must be a finite 1-D grid with at least 2 points, got shape "
            f"{grid.shape}; build one with np.linspace(lo, hi, n)"
        )
    for name, p in densities.items():
        if p.shape != grid.shape:
            raise ValueError(
                f"{name} has shape {p.shape} but the grid x has shape {grid.shape}; "
                f"evaluate {name} on the same grid x"
            )
    if np.any(np.diff(grid) <= 0):
        raise ValueError(
            "x must be strictly increasing (no repeats); sort it with np.sort "
            "or build it with np.linspace(lo, hi, n)"
        )
    return grid


def _check_normalised(name: str, p: np.ndarray, x: np.ndarray, tol: float) -> None:
    """Raise if :math:`\\int p\\,dx` is not 1 within ``tol``."""
    if not tol > 0:
        raise ValueError(f"normalisation_tol must be > 0, got {tol}")
    mass = float(integrate_on_grid(p, x))
    if abs(mass - 1.0) > tol:
        raise ValueError(
            f"{name} integrates to {mass:.6g} over x, not 1 (tolerance {tol:g}); "
            f"widen the grid x to cover the density's mass, refine it, or "
            f"normalise with {name} / np.trapezoid({name}, x)"
        )


def _validated(x: np.ndarray, tol: float, **densities: np.ndarray) -> list[np.ndarray]:
    """Validate densities on a grid; return them as float arrays in the given order."""
    arrays = {name: _as_density(name, p) for name, p in densities.items()}
    grid = _check_grid(x, **arrays)
    for name, arr in arrays.items():
        _check_normalised(name, arr, grid, tol)
    return [grid, *arrays.values()]


def kl_divergence(
    p: np.ndarray, q: np.ndarray, x: np.ndarray, *, normalisation_tol: float = NORMALISATION_TOL
) -> float:
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p \| q) = \int p \log(p/q)\,dx` in nats.

    Parameters
    ----------
    p, q : np.ndarray, shape (N,)
        Densities evaluated on ``x``; each must integrate to 1 within ``normalisation_tol``.
    x : np.ndarray, shape (N,)
        Strictly increasing grid.
    normalisation_tol : float
        Allowed :math:`|\int p\,dx - 1|`.

    Returns
    -------
    float
        :math:`\ge 0`; ``inf`` when q vanishes somewhere p does not. :math:`0 \log 0 = 0`.
    """
    grid, p_, q_ = _validated(x, normalisation_tol, p=p, q=q)
    if np.any((p_ > 0) & (q_ == 0)):
        return float("inf")
    integrand = special.xlogy(p_, p_) - special.xlogy(p_, np.where(q_ > 0, q_, 1.0))
    return float(integrate_on_grid(integrand, grid))


def js_divergence(
    p: np.ndarray, q: np.ndarray, x: np.ndarray, *, normalisation_tol: float = NORMALISATION_TOL
) -> float:
    r"""Jensen-Shannon divergence in nats, :math:`0 \le \mathrm{JSD} \le \log 2`.

    .. math:: \mathrm{JSD}(p \| q) = \tfrac12 \mathrm{KL}(p \| m) + \tfrac12 \mathrm{KL}(q \| m),
              \qquad m = \tfrac12 (p + q)

    Shapes and validation as :func:`kl_divergence`. (``scipy.spatial.distance.jensenshannon``
    returns the square root of this for discrete vectors.)
    """
    grid, p_, q_ = _validated(x, normalisation_tol, p=p, q=q)
    return float(integrate_on_grid(js_integrand(p_, q_), grid))


def total_variation(
    p: np.ndarray, q: np.ndarray, x: np.ndarray, *, normalisation_tol: float = NORMALISATION_TOL
) -> float:
    r"""Total variation distance :math:`\mathrm{TV}(p, q) = \tfrac12 \int |p - q|\,dx \in [0, 1]`.

    The value of the game without logs (notebook 01): the best D is
    :math:`\mathbb 1[p_{data} > p_g]` and
    :math:`\max_D \int p_{data} D + p_g (1 - D)\,dx = 1 + \mathrm{TV}(p_{data}, p_g)`.
    Shapes and validation as :func:`kl_divergence`; 1 for disjoint supports.
    """
    grid, p_, q_ = _validated(x, normalisation_tol, p=p, q=q)
    return float(0.5 * integrate_on_grid(np.abs(p_ - q_), grid))


def integrate_on_grid(values: np.ndarray, x: np.ndarray) -> float:
    r"""The one integration rule of the series: the trapezoid rule on the grid ``x``.

    .. math:: \int f\,dx \approx \sum_{i} \tfrac12 (f_i + f_{i+1})(x_{i+1} - x_i)

    Every integral over a grid in ganlib (KL, JS, C(G), the toy's JS estimate and its
    :math:`|D - D^*|` gap) goes through this function. On an equally spaced grid whose ends
    carry no mass it equals the Riemann sum :math:`\Delta x \sum_i f_i`. ``values`` may have
    more axes than one: the last one is integrated (call it twice for a 2-D grid).
    """
    return np.trapezoid(values, x, axis=-1)


def js_integrand(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    r"""The Jensen-Shannon integrand, pointwise, for non-negative density values of any shape.

    .. math:: \tfrac12 \Big[p \log\frac{p}{m} + q \log\frac{q}{m}\Big], \qquad
              m = \tfrac12 (p + q), \qquad 0 \log 0 = 0.

    Its integral is :func:`js_divergence`; the toy and plane estimators integrate it with an
    estimated :math:`q = \hat p_g` that need not be normalised.
    """
    m = 0.5 * (p + q)
    safe_m = np.where(m > 0, m, 1.0)
    return 0.5 * (special.xlogy(p, p / safe_m) + special.xlogy(q, q / safe_m))


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    r"""The optimal discriminator of Proposition 1, pointwise.

    .. math:: D^*(x) = \frac{p_{data}(x)}{p_{data}(x) + p_g(x)}

    Parameters
    ----------
    p_data, p_g : np.ndarray, shape (N,)
        Non-negative density values at the same points (no grid or normalisation needed).

    Returns
    -------
    np.ndarray
        Values in [0, 1], the shape of the inputs (any shape: a 1-D or a 2-D grid).
        Where both densities are 0 every D is optimal; the series' one convention there is
        :math:`D^* = 1/2`, the value it takes wherever :math:`p_g = p_{data}`.
    """
    pd_ = _as_density("p_data", p_data, one_d=False)
    pg_ = _as_density("p_g", p_g, one_d=False)
    if pd_.shape != pg_.shape:
        raise ValueError(
            f"p_data has shape {pd_.shape} but p_g has shape {pg_.shape}; "
            "evaluate both densities at the same points"
        )
    total = pd_ + pg_
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, pd_ / np.where(total > 0, total, 1.0), 0.5)


def virtual_training_criterion(
    p_data: np.ndarray,
    p_g: np.ndarray,
    x: np.ndarray,
    *,
    normalisation_tol: float = NORMALISATION_TOL,
) -> float:
    r"""C(G) = V(D*, G), the value of the game once D is optimal (Theorem 1), in nats.

    .. math:: C(G) = \int p_{data}(x) \log D^*(x) + p_g(x) \log(1 - D^*(x))\,dx
              \in [-\log 4, 0]

    Computed from :math:`D^*` and :math:`1 - D^* = p_g / (p_{data} + p_g)` directly (not from
    the JSD), so that comparing it with ``-log 4 + 2 * js_divergence(...)`` checks Theorem 1
    numerically.
    Shapes and validation as :func:`kl_divergence`.
    """
    grid, pd_, pg_ = _validated(x, normalisation_tol, p_data=p_data, p_g=p_g)
    total = pd_ + pg_
    safe_total = np.where(total > 0, total, 1.0)
    # 1 - D* is computed as p_g / (p_data + p_g): 1 - (p_data / total) rounds to exactly 0 where
    # p_g is tiny but positive, and p_g * log(0) would be -inf.
    integrand = special.xlogy(pd_, pd_ / safe_total) + special.xlogy(pg_, pg_ / safe_total)
    return float(integrate_on_grid(integrand, grid))
