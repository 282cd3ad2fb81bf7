r"""Closed-form densities shared by the lessons (notebooks 01-03 draw and integrate them)."""

from __future__ import annotations

import math

import numpy as np

_SQRT_2PI = math.sqrt(2.0 * math.pi)


def normal_pdf(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    r""":math:`\mathcal N(x; \mu, \sigma^2)`, the normal density, at ``x`` (any shape, float64 out).

    .. math:: \frac{1}{\sigma\sqrt{2\pi}} \exp\left(-\frac{(x-\mu)^2}{2\sigma^2}\right)
    """
    z = (np.asarray(x, dtype=np.float64) - mean) / std
    return np.exp(-0.5 * z * z) / (std * _SQRT_2PI)
