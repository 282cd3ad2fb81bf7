r"""One-dimensional target distributions and noise samplers for the toy GAN (notebook 02).

Notebook 02 trains a GAN whose data are single numbers. The data distribution
:math:`p_\text{data}` is one of the small frozen dataclasses below; each knows its exact density,
mean and standard deviation, so the notebook can draw :math:`p_\text{data}` exactly and compute
the optimal discriminator :math:`D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))` and
the Jensen-Shannon divergence against it.

Every sampler takes an explicit ``torch.Generator``; nothing here touches global RNG state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import torch
from scipy.special import ndtr, ndtri

from ganlib.core.densities import normal_pdf


@runtime_checkable
class Density(Protocol):
    """What a 1-D target must offer: a name, exact moments, an exact pdf and a sampler."""

    name: str

    @property
    def mean(self) -> float: ...

    @property
    def std(self) -> float: ...

    def pdf(self, x: np.ndarray) -> np.ndarray: ...

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor: ...


def _check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n (number of samples) must be an int >= 1, got {n!r}")


def _normal(n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.randn(n, 1, generator=generator, device=generator.device)


@dataclass(frozen=True)
class Gaussian:
    r"""The normal distribution :math:`\mathcal N(\mu, \sigma^2)`, the 50-line GAN's target.

    .. math:: p(x) = \frac{1}{\sigma\sqrt{2\pi}} \exp\left(-\frac{(x-\mu)^2}{2\sigma^2}\right)
    """

    mean: float = 4.0
    std: float = 1.25
    name: str = "gaussian"

    def __post_init__(self) -> None:
        if not self.std > 0:
            raise ValueError(f"Gaussian std must be > 0, got {self.std}")

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Exact density at ``x`` (any shape, float64 out, same shape)."""
        return normal_pdf(x, self.mean, self.std)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws as a float32 tensor of shape ``(n, 1)`` on the generator's device."""
        _check_n(n)
        return self.mean + self.std * _normal(n, generator)


@dataclass(frozen=True)
class GaussianMixture:
    r"""A finite mixture of normals, :math:`p(x) = \sum_i w_i\,\mathcal N(x; \mu_i, \sigma_i^2)`.

    With two well separated components it is the "bimodal" target of notebook 02, used to show
    mode collapse. Exact moments:

    .. math::
        \mathbb E[x] = \sum_i w_i \mu_i, \qquad
        \operatorname{Var}[x] = \sum_i w_i (\sigma_i^2 + \mu_i^2) - \mathbb E[x]^2 .
    """

    means: tuple[float, ...] = (2.5, 5.5)
    stds: tuple[float, ...] = (0.5, 0.5)
    weights: tuple[float, ...] = (0.5, 0.5)
    name: str = "bimodal"

    def __post_init__(self) -> None:
        k = len(self.means)
        if k == 0 or len(self.stds) != k or len(self.weights) != k:
            raise ValueError("means, stds and weights must be non-empty and of equal length")
        if any(not s > 0 for s in self.stds) or any(not w > 0 for w in self.weights):
            raise ValueError("mixture stds and weights must all be > 0")
        if abs(sum(self.weights) - 1.0) > 1e-9:
            raise ValueError(f"mixture weights must sum to 1, got {sum(self.weights)}")

    @property
    def mean(self) -> float:
        """Exact mean."""
        return float(sum(w * m for w, m in zip(self.weights, self.means, strict=True)))

    @property
    def std(self) -> float:
        """Exact standard deviation."""
        pairs = zip(self.weights, self.means, self.stds, strict=True)
        second = sum(w * (s * s + m * m) for w, m, s in pairs)
        return float(math.sqrt(second - self.mean**2))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Exact density at ``x`` (any shape, float64 out, same shape)."""
        x = np.asarray(x, dtype=np.float64)
        parts = zip(self.weights, self.means, self.stds, strict=True)
        return sum((w * normal_pdf(x, m, s) for w, m, s in parts), np.zeros_like(x))

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws, float32 ``(n, 1)``: pick a component by weight, then draw from it."""
        _check_n(n)
        dev = generator.device
        w = torch.tensor(self.weights, dtype=torch.float32, device=dev)
        idx = torch.multinomial(w, n, replacement=True, generator=generator)
        mu = torch.tensor(self.means, dtype=torch.float32, device=dev)[idx]
        sd = torch.tensor(self.stds, dtype=torch.float32, device=dev)[idx]
        return (mu + sd * torch.randn(n, generator=generator, device=dev)).unsqueeze(1)


@dataclass(frozen=True)
class SkewNormal:
    r"""Azzalini's skew-normal distribution, the "skewed" target of notebook 02.

    With :math:`t = (x - \xi)/\omega` and shape :math:`\alpha`,

    .. math::
        p(x) = \frac{2}{\omega}\,\varphi(t)\,\Phi(\alpha t), \qquad
        \delta = \frac{\alpha}{\sqrt{1+\alpha^2}}, \quad
        \mathbb E[x] = \xi + \omega\delta\sqrt{2/\pi}, \quad
        \operatorname{Var}[x] = \omega^2 (1 - 2\delta^2/\pi).

    Sampling uses :math:`x = \xi + \omega(\delta |u_0| + \sqrt{1-\delta^2}\,u_1)` with
    :math:`u_0, u_1 \sim \mathcal N(0, 1)` independent. :meth:`with_moments` picks
    :math:`\xi, \omega` so mean and std match the Gaussian target's: only the shape differs.
    """

    loc: float = 0.0
    scale: float = 1.0
    alpha: float = 5.0
    name: str = "skewed"

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ValueError(f"SkewNormal scale must be > 0, got {self.scale}")

    @classmethod
    def with_moments(cls, mean: float, std: float, alpha: float = 5.0) -> SkewNormal:
        """The skew-normal with shape ``alpha`` and the given exact mean and std."""
        delta = alpha / math.sqrt(1.0 + alpha * alpha)
        scale = std / math.sqrt(1.0 - 2.0 * delta * delta / math.pi)
        return cls(loc=mean - scale * delta * math.sqrt(2.0 / math.pi), scale=scale, alpha=alpha)

    @property
    def _delta(self) -> float:
        return self.alpha / math.sqrt(1.0 + self.alpha**2)

    @property
    def mean(self) -> float:
        """Exact mean."""
        return float(self.loc + self.scale * self._delta * math.sqrt(2.0 / math.pi))

    @property
    def std(self) -> float:
        """Exact standard deviation."""
        return float(self.scale * math.sqrt(1.0 - 2.0 * self._delta**2 / math.pi))

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Exact density at ``x`` (any shape, float64 out, same shape)."""
        t = (np.asarray(x, dtype=np.float64) - self.loc) / self.scale
        return 2.0 / self.scale * normal_pdf(t, 0.0, 1.0) * ndtr(self.alpha * t)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` draws, float32 ``(n, 1)``."""
        _check_n(n)
        u = torch.randn(n, 2, generator=generator, device=generator.device)
        d = self._delta
        z = d * u[:, :1].abs() + math.sqrt(1.0 - d * d) * u[:, 1:]
        return self.loc + self.scale * z


TARGETS: dict[str, Gaussian | GaussianMixture | SkewNormal] = {
    "gaussian": Gaussian(4.0, 1.25),
    "bimodal": GaussianMixture(means=(2.5, 5.5), stds=(0.5, 0.5), weights=(0.5, 0.5)),
    "skewed": SkewNormal.with_moments(4.0, 1.25, alpha=5.0),
}
"""The targets notebook 02 offers, by name: N(4, 1.25²), a two-bump mixture, a skew-normal."""

NOISE_KINDS: tuple[str, ...] = ("uniform", "normal")

#: (a, b) per noise kind: a standardised G sees (z - a) / b, uniform noise scaled to [-1, 1).
NOISE_UNITS: dict[str, tuple[float, float]] = {
    "uniform": (0.5, 0.5),
    "normal": (0.0, 1.0),
}


def sample_noise(kind: str, n: int, dim: int, generator: torch.Generator) -> torch.Tensor:
    r"""Draw the generator's input noise :math:`z \sim p_z`, shape ``(n, dim)``, float32.

    Parameters
    ----------
    kind : {"uniform", "normal"}
        ``"uniform"``: :math:`U[0, 1)` as ``torch.rand`` in the 50-line GAN, so G must bend its
        input non-linearly into a bell shape. ``"normal"``: :math:`\mathcal N(0, 1)`.
    n, dim : int
        Number of draws and noise dimension, both >= 1.
    generator : torch.Generator
        Source of randomness; the tensor lives on its device.
    """
    _check_n(n)
    if not isinstance(dim, int) or dim < 1:
        raise ValueError(f"noise dim must be an int >= 1, got {dim!r}")
    if kind == "uniform":
        return torch.rand(n, dim, generator=generator, device=generator.device)
    if kind == "normal":
        return torch.randn(n, dim, generator=generator, device=generator.device)
    raise ValueError(f"noise={kind!r} is not known; valid: {NOISE_KINDS}")


def noise_cdf(kind: str, z: np.ndarray) -> np.ndarray:
    r"""The CDF :math:`F_z` of one coordinate of the noise, at ``z`` (any shape, float64 out)."""
    z = np.asarray(z, dtype=np.float64)
    if kind == "uniform":
        return np.clip(z, 0.0, 1.0)
    if kind == "normal":
        return ndtr(z)
    raise ValueError(f"noise={kind!r} is not known; valid: {NOISE_KINDS}")


def noise_quantile(kind: str, u: np.ndarray) -> np.ndarray:
    r"""The noise's quantile function :math:`F_z^{-1}(u)` (uniform: ``u``; normal: Φ⁻¹(u))."""
    u = np.asarray(u, dtype=np.float64)
    if kind == "uniform":
        return u.copy()
    if kind == "normal":
        return ndtri(u)
    raise ValueError(f"noise={kind!r} is not known; valid: {NOISE_KINDS}")


def quantile(target: Density, u: np.ndarray, n_grid: int = 20_001) -> np.ndarray:
    r"""The target's quantile function :math:`F^{-1}(u)` for ``u`` in (0, 1) (any shape).

    Exact for the Gaussian (:math:`\mu + \sigma\,\Phi^{-1}(u)`); for the other targets the
    CDF is integrated from the exact pdf on ``n_grid`` points over mean ± 10 std (trapezoid)
    and inverted by linear interpolation (error below 1e-4 of the std for u in [1e-4, 1 - 1e-4]).
    """
    u = np.asarray(u, dtype=np.float64)
    if isinstance(target, Gaussian):
        return target.mean + target.std * ndtri(u)
    x = np.linspace(target.mean - 10 * target.std, target.mean + 10 * target.std, n_grid)
    p = target.pdf(x)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(x))])
    cdf /= cdf[-1]
    return np.interp(u, cdf, x)


def ideal_map(target: Density, noise: str, z: np.ndarray) -> np.ndarray:
    r"""The increasing map that turns 1-D noise into the target: :math:`F^{-1}(F_z(z))`.

    For uniform noise and the Gaussian target this is :math:`4 + 1.25\,\Phi^{-1}(z)`, the
    inverse CDF the 50-line GAN's G must learn. Its mirror :math:`F^{-1}(1 - F_z(z))` solves
    the problem as well (a G may learn either); notebook 02 draws both.
    """
    return quantile(target, noise_cdf(noise, z))
