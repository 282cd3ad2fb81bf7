r"""Two-dimensional targets with exact densities, and the generator's 2-D noise (notebook 03).

Every target is a mixture of :math:`K` isotropic Gaussians with one common standard deviation
:math:`\sigma`,

.. math::
    p_\text{data}(x) = \sum_{k=1}^K w_k\, \mathcal N(x;\, \mu_k, \sigma^2 I_2), \qquad
    \mathcal N(x; \mu, \sigma^2 I_2) = \frac{1}{2\pi\sigma^2}
        \exp\Big(-\frac{|x - \mu|^2}{2\sigma^2}\Big),

so its density is exact everywhere (notebook 03 draws :math:`D^*` and integrates JS against it),
and its components are the *modes* that the mode metrics of :mod:`ganlib.plane.metrics` count.

* ``"ring"``: 8 Gaussians evenly spaced on a circle of radius 2, :math:`\sigma = 0.02`: the
  mode-collapse benchmark of Metz et al. (2016, "Unrolled Generative Adversarial Networks").
* ``"grid"``: 25 Gaussians on the 5 × 5 grid :math:`\{-4, -2, 0, 2, 4\}^2`, :math:`\sigma = 0.05`
  (the grid of VEEGAN, Srivastava et al. 2017, and PacGAN, Lin et al. 2018).
* ``"spiral"``: a curved target, 1.5 turns of an Archimedean spiral drawn as a *fine* mixture
  of 208 Gaussians spaced :math:`1.2\sigma` apart along the curve (:math:`\sigma = 0.05`): to the
  eye a smooth band, and still an exact density. Unlike the ring and the grid it is connected,
  so a generator has to bend its noise plane, not tear it.

Samplers take an explicit ``torch.Generator``; nothing here touches global RNG state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import ndtri

from ganlib.core.validation import check_choice, check_float, check_int

#: The generator's noise :math:`z` is always two-dimensional (the noise grid is drawn in it).
NOISE_DIM = 2
NOISE_KINDS: tuple[str, ...] = ("normal", "uniform")


@dataclass(frozen=True)
class PlaneMixture:
    r"""A mixture of isotropic 2-D Gaussians with a common standard deviation.

    Attributes
    ----------
    name : str
    means : np.ndarray
        The component centres :math:`\mu_k`, shape ``(K, 2)``.
    std : float
        :math:`\sigma`, the standard deviation of every component along each axis.
    weights : np.ndarray
        :math:`w_k > 0`, summing to 1, shape ``(K,)``.
    limits : (float, float)
        A square view :math:`[lo, hi]^2` that holds the target with a margin (plots, heat maps).
    """

    name: str
    means: np.ndarray
    std: float
    weights: np.ndarray
    limits: tuple[float, float]

    def __post_init__(self) -> None:
        means = np.asarray(self.means, dtype=np.float64)
        if means.ndim != 2 or means.shape[1] != 2 or len(means) == 0:
            raise ValueError(f"means must have shape (K, 2), got {means.shape}")
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.shape != (len(means),) or np.any(weights <= 0):
            raise ValueError(f"weights must be {len(means)} positive numbers, got {weights}")
        if abs(weights.sum() - 1.0) > 1e-9:
            raise ValueError(f"weights must sum to 1, got {weights.sum()}")
        check_float("std", self.std, 0.0, None, low_open=True)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "weights", weights)

    @property
    def n_modes(self) -> int:
        """K, the number of components."""
        return len(self.means)

    def smoothed(self, bandwidth: float) -> PlaneMixture:
        r"""The mixture convolved with :math:`\mathcal N(0, b^2 I_2)`: each std becomes
        :math:`\sqrt{\sigma^2+b^2}`.

        A Gaussian kernel density estimate of samples *from this target* has this expectation,
        so it is what a KDE with bandwidth ``b`` should be compared with (the dashboard's D*).
        """
        check_float("bandwidth", bandwidth, 0.0, None)
        std = math.sqrt(self.std**2 + bandwidth**2)
        return PlaneMixture(self.name, self.means, std, self.weights, self.limits)

    def pdf(self, xy: np.ndarray) -> np.ndarray:
        """The exact density at points ``xy`` of shape ``(..., 2)``; float64 of shape ``(...)``."""
        xy = np.asarray(xy, dtype=np.float64)
        if xy.shape[-1] != 2:
            raise ValueError(f"points must have shape (..., 2), got {xy.shape}")
        flat = xy.reshape(-1, 2)
        out = np.zeros(len(flat))
        norm = 1.0 / (2.0 * math.pi * self.std**2)
        for start in range(0, len(flat), 65_536):  # bounded memory: (chunk, K) at a time
            pts = flat[start : start + 65_536]
            d2 = ((pts[:, None, :] - self.means[None, :, :]) ** 2).sum(axis=-1)  # (chunk, K)
            out[start : start + len(pts)] = norm * (np.exp(-0.5 * d2 / self.std**2) @ self.weights)
        return out.reshape(xy.shape[:-1])

    def pdf_on_lattice(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r"""The exact density on the lattice ``x`` ``(nx,)`` × ``y`` ``(ny,)``: shape ``(ny, nx)``.

        Each isotropic component factorises, :math:`\mathcal N(x;\mu,\sigma^2 I_2) =
        \varphi_\sigma(x_1-\mu_1)\,\varphi_\sigma(x_2-\mu_2)`, so the mixture on a lattice is
        one matrix product, :math:`P = \Phi_y^\top \operatorname{diag}(w) \Phi_x`.
        """
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        norm = 1.0 / (math.sqrt(2.0 * math.pi) * self.std)
        fx = norm * np.exp(-0.5 * ((x[None, :] - self.means[:, :1]) / self.std) ** 2)  # (K, nx)
        fy = norm * np.exp(-0.5 * ((y[None, :] - self.means[:, 1:]) / self.std) ** 2)  # (K, ny)
        return (fy * self.weights[:, None]).T @ fx

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws, float32 ``(n, 2)`` on the generator's device: a component, then a point."""
        check_int("n", n, 1)
        dev = generator.device
        w = torch.as_tensor(self.weights, dtype=torch.float32, device=dev)
        idx = torch.multinomial(w, n, replacement=True, generator=generator)
        mu = torch.as_tensor(self.means, dtype=torch.float32, device=dev)[idx]
        return mu + self.std * torch.randn(n, 2, generator=generator, device=dev)


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> PlaneMixture:
    r"""Gaussians at angles :math:`2\pi k / K` on a circle (Metz et al. 2016: 8, radius 2, 0.02)."""
    angles = 2.0 * math.pi * np.arange(n_modes) / n_modes
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    half = 1.5 * radius
    return PlaneMixture("ring", means, std, np.full(n_modes, 1.0 / n_modes), (-half, half))


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> PlaneMixture:
    r"""A ``side`` × ``side`` grid of Gaussians centred on 0 (default: :math:`\{-4,..,4\}^2`)."""
    ticks = spacing * (np.arange(side) - (side - 1) / 2)
    means = np.stack(np.meshgrid(ticks, ticks, indexing="xy"), axis=-1).reshape(-1, 2)
    half = float(ticks[-1]) + spacing / 2
    return PlaneMixture("grid", means, std, np.full(side * side, 1.0 / side**2), (-half, half))


def spiral(
    turns: float = 1.5, std: float = 0.05, spacing: float = 1.2, inner: float = 0.3
) -> PlaneMixture:
    r"""An Archimedean spiral :math:`r = a + b\theta` as a fine mixture of equal Gaussians.

    Components sit ``spacing`` × σ apart along the curve (arc length), from radius ``inner`` to
    about 2.3, so the density along the curve is flat to a fraction of a percent: the sum of
    Gaussians spaced :math:`d` apart ripples by about :math:`2 e^{-2\pi^2\sigma^2/d^2}`.
    """
    theta_max = 2.0 * math.pi * turns
    b = (2.3 - inner) / theta_max
    theta = np.linspace(0.0, theta_max, 20_001)
    r = inner + b * theta
    ds = np.hypot(np.gradient(r * np.cos(theta)), np.gradient(r * np.sin(theta)))
    arc = np.concatenate([[0.0], np.cumsum(0.5 * (ds[1:] + ds[:-1]))])
    stops = np.arange(0.0, arc[-1], spacing * std)
    t = np.interp(stops, arc, theta)
    radius = inner + b * t
    means = np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1)
    return PlaneMixture("spiral", means, std, np.full(len(means), 1.0 / len(means)), (-3.0, 3.0))


TARGETS: dict[str, PlaneMixture] = {"ring": ring(), "grid": grid(), "spiral": spiral()}
"""The targets notebook 03 offers, by name."""


def sample_noise(kind: str, n: int, generator: torch.Generator) -> torch.Tensor:
    r"""The generator's noise :math:`z \sim p_z`, float32 ``(n, 2)``.

    ``"normal"``: :math:`\mathcal N(0, I_2)`; ``"uniform"``: uniform on the square
    :math:`[-1, 1]^2`. The tensor lives on the generator's device.
    """
    check_choice("noise", kind, NOISE_KINDS)
    check_int("n", n, 1)
    dev = generator.device
    if kind == "normal":
        return torch.randn(n, NOISE_DIM, generator=generator, device=dev)
    return 2.0 * torch.rand(n, NOISE_DIM, generator=generator, device=dev) - 1.0


def noise_quantiles(kind: str, n_lines: int) -> np.ndarray:
    r"""Coordinates of ``n_lines`` noise-grid lines per axis, at equal-probability steps.

    The lines sit at the quantiles :math:`(i + \tfrac12)/n` of one coordinate of :math:`p_z`
    (:math:`\Phi^{-1}` for the normal), so every cell of the grid holds the same probability:
    after G warps the grid, a cell's area shows how thinly G spreads that probability.
    """
    check_choice("noise", kind, NOISE_KINDS)
    check_int("n_lines", n_lines, 2, 1000)
    u = (np.arange(n_lines) + 0.5) / n_lines
    if kind == "uniform":
        return 2.0 * u - 1.0
    return ndtri(u)
