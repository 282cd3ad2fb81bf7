r"""The 1-D toy GAN of notebook 02: Algorithm 1 on one number, step by step.

:class:`ToyGAN` is the series' steppable game (:class:`ganlib.core.game.Game`: k D steps, one G
step, settings mid-run, divergence detection, a moving average of G) on 1-D data: real samples
from a target of :mod:`ganlib.toy.distributions`, noise :math:`z \sim p_z`, the small nets of
:mod:`ganlib.toy.models`, and a history of the generated mean, std and the Jensen-Shannon
divergence estimated by :mod:`ganlib.toy.js_estimate`. Its snapshots draw what Figure 1 of the
paper draws, and, for one-dimensional noise, G's map :math:`z \mapsto x` beside the ideal one.
Notebook 02 writes the same loop out in plain PyTorch; ``tests/toy/test_algorithm1.py`` proves
that both give the same weights bit for bit.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ganlib.core.device import make_generator
from ganlib.core.game import (
    LOSS_LIMIT,
    MAX_BATCH,
    MAX_K,
    MAX_LR,
    MID_RUN,
    OPTIMIZERS,
    Divergence,
    Game,
    GameConfig,
    discriminator_output,
)
from ganlib.core.losses import LOSSES
from ganlib.core.validation import check_choice, check_instance
from ganlib.minimax.divergences import integrate_on_grid, optimal_discriminator
from ganlib.toy.distributions import (
    NOISE_KINDS,
    NOISE_UNITS,
    TARGETS,
    Density,
    ideal_map,
    noise_quantile,
    quantile,
    sample_noise,
)
from ganlib.toy.js_estimate import (
    JS_SAMPLES,
    bandwidth_for,
    density_from_samples,
    evaluation_grid,
    js_from_densities,
    js_from_samples,
)
from ganlib.toy.models import ToyNetConfig, build_toy_nets

__all__ = [
    "LOSSES",
    "LOSS_LIMIT",
    "MAX_BATCH",
    "MAX_K",
    "MAX_LR",
    "MID_RUN",
    "OPTIMIZERS",
    "Divergence",
    "ToyGAN",
    "ToyGANConfig",
    "ToyHistory",
]

DATA_UNITS_SAMPLES = 10_000  # data samples behind the standardisation (mean and std)
MAP_POINTS = 200  # points of the G(z) curve in a snapshot
ARROWS = 21  # arrows z -> G(z) of the paper's lower panel


@dataclass(frozen=True)
class ToyGANConfig(GameConfig):
    r"""Settings of the toy GAN; the defaults are notebook 02's dashboard defaults.

    The shared settings (loss, optimizer, learning rates, betas, k, batch size, seed, R1, the
    learning-rate decay, the moving average of G) are those of
    :class:`ganlib.core.game.GameConfig`; the toy adds its target, noise and networks.

    The default problem is the 50-line GAN's: data :math:`\mathcal N(4, 1.25^2)`, **one**
    uniform noise input, so G must learn the inverse CDF :math:`4 + 1.25\,\Phi^{-1}(z)`.
    ``net.noise_dim > 1`` (the dashboard's "noise dimension") is an easier problem: a weighted
    sum of several uniforms is already bell-shaped.

    Attributes
    ----------
    target : str
        Key of :data:`ganlib.toy.distributions.TARGETS` (``"gaussian"`` is N(4, 1.25²)).
    noise : {"uniform", "normal"}
        Noise :math:`p_z`; uniform on [0, 1) as in the 50-line GAN.
    net : ToyNetConfig
        Architecture of G and D (``net.noise_dim``: the noise dimension, 1 by default).
    loss, optimizer, lr_d, lr_g, betas_d, betas_g, k, batch_size, seed, r1_gamma,
    lr_decay_steps, ema_decay
        As in :class:`ganlib.core.game.GameConfig`.

    Notes
    -----
    Why these defaults (notebook 02 section 3; ``python benchmarks/bench_toy.py --ablation``
    removes one at a time; the README has the numbers). The hard part of the problem is the
    tails: G must stretch the ends of its one uniform input, where few samples fall.

    * **Standardised nets** (``net.standardise``, :mod:`ganlib.toy.models`): D and G work in the
      data's units, and G's uniform input is scaled to [-1, 1).
    * **The least-squares loss** (Mao et al. 2017): the same :math:`D^*`, a gradient that does
      not flatten where D is confident; it reached the tails sooner than the non-saturating loss.
    * **Two time scales** (Heusel et al. 2017): lr_D 1e-2 is 3× lr_G 3e-3, so D stays near D*.
    * **Batch 2048**: the tails get enough samples per step, and the noise of the batch mean is
      well below the tolerance; the tiny nets' cost per step grows far less than the batch.
    * **Inverse-time decay**, :math:`\tau = 500`: large steps while p_g travels, then smaller.
    * **A moving average of G** (``ema_decay`` 0.99, Yazıcı et al. 2019) is what is evaluated
      and drawn; the iterates circle the equilibrium and their average sits near its centre.

    :meth:`reference` gives the 50-line GAN's settings for comparison.
    """

    target: str = "gaussian"
    noise: str = "uniform"
    loss: str = "least-squares"
    optimizer: str = "adam"
    lr_d: float = 1e-2
    lr_g: float = 3e-3
    betas_d: tuple[float, float] = (0.5, 0.99)
    betas_g: tuple[float, float] = (0.9, 0.999)
    k: int = 1
    batch_size: int = 2048
    seed: int = 0
    r1_gamma: float = 0.0
    lr_decay_steps: int = 500
    ema_decay: float = 0.99
    net: ToyNetConfig = field(default_factory=ToyNetConfig)

    @property
    def noise_dim(self) -> int:
        """``net.noise_dim``, the noise dimension (``reset(noise_dim=...)`` changes it)."""
        return self.net.noise_dim

    @classmethod
    def reference(cls, minibatch: bool = True, seed: int = 0) -> ToyGANConfig:
        """The 50-line GAN's experiment: its nets (:meth:`ToyNetConfig.reference`, minibatch D
        by default), BCE with G's label 1 (the non-saturating loss), Adam 2e-4 with betas
        (0.9, 0.999) for both, batch 100, k = 1, no decay, no averaging, raw data."""
        return cls(
            loss="non-saturating",
            lr_d=2e-4,
            lr_g=2e-4,
            betas_d=(0.9, 0.999),
            betas_g=(0.9, 0.999),
            batch_size=100,
            seed=seed,
            lr_decay_steps=0,
            ema_decay=0.0,
            net=ToyNetConfig.reference(minibatch=minibatch),
        )

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid setting, its valid range and value."""
        super().validate()
        check_choice("target", self.target, tuple(TARGETS))
        check_choice("noise", self.noise, NOISE_KINDS)
        check_instance("net", self.net, ToyNetConfig)
        if self.net.minibatch and self.batch_size % self.net.minibatch_group:
            raise ValueError(
                f"batch_size must be a multiple of net.minibatch_group={self.net.minibatch_group} "
                f"for the minibatch discriminator, got {self.batch_size}"
            )


@dataclass
class ToyHistory:
    r"""Training curves, one entry per record (every ``record_every`` generator steps).

    ``d_loss`` is D's loss as configured (for the BCE losses
    :math:`-\overline{\log D(x)} - \overline{\log(1 - D(G(z)))}`, ln 4 at the equilibrium; for
    least squares 1/4: :data:`ganlib.core.losses.EQUILIBRIUM` has the values); ``g_loss`` is
    the generator's loss as configured; ``d_real``/``d_fake`` are mean
    :math:`D(x)` and :math:`D(G(z))` on the last D batch (before the first step: losses and D's
    outputs on one probe batch, without an update); ``mean``, ``std``, ``js`` describe 10,000
    fresh generator samples (JS in nats, see :mod:`ganlib.toy.js_estimate`); ``d_star_gap`` is
    :math:`\int |D(x) - D^*(x)|\, m(x)\, dx` with :math:`m = (p_\text{data} + p_g)/2` (NaN for
    the minibatch D, whose D(x) is not defined per point).
    """

    step: list[int] = field(default_factory=list)
    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    d_real: list[float] = field(default_factory=list)
    d_fake: list[float] = field(default_factory=list)
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)
    js: list[float] = field(default_factory=list)
    d_star_gap: list[float] = field(default_factory=list)

    def append(self, record: dict[str, float]) -> None:
        """Add one record; ``record`` has one value per field."""
        for f in dataclasses.fields(self):
            getattr(self, f.name).append(record[f.name])

    def as_dict(self) -> dict[str, list[float]]:
        """The curves as a plain dict of lists (copies)."""
        return {f.name: list(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def __len__(self) -> int:
        return len(self.step)


class ToyGAN(Game):
    """G, D, their optimisers and the training history of one toy GAN run.

    Parameters
    ----------
    config : ToyGANConfig
        Validated here; ``ValueError`` on a bad setting.
    device : str or torch.device
        Where the nets and samples live (the toy nets are fastest on the CPU).

    Attributes
    ----------
    step : int
        Generator steps taken so far.
    history : ToyHistory
    diverged : Divergence or None
    """

    config_class = ToyGANConfig

    # ---- the toy's data, noise and nets -------------------------------------------------------
    def _build_nets(self, config: ToyGANConfig) -> tuple[nn.Module, nn.Module]:
        data = data_units(TARGETS[config.target], config.seed)
        return build_toy_nets(config.net, data, NOISE_UNITS[config.noise])

    def _replaced(self, settings: dict[str, object]) -> ToyGANConfig:
        """As the game's; ``noise_dim`` is accepted for ``net.noise_dim``."""
        if "noise_dim" in settings:
            dim = settings.pop("noise_dim")
            settings["net"] = dataclasses.replace(
                settings.get("net", self.config.net),  # type: ignore[arg-type]
                noise_dim=dim,
            )
        return super()._replaced(settings)

    def _on_reset(self) -> None:
        self.target = TARGETS[self.config.target]
        self.history = ToyHistory()
        self._grid = evaluation_grid(self.target)
        self._p_data = self.target.pdf(self._grid)  # constant until the next reset

    def real_batch(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` samples of the target, ``(n, 1)``."""
        return self.target.sample(n, generator)

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` noise draws ``(n, noise_dim)`` from ``generator`` (default: the training one)."""
        gen = self._gen if generator is None else generator
        return sample_noise(self.config.noise, n, self.config.net.noise_dim, gen)

    # ---- measuring ----------------------------------------------------------------------------
    @torch.no_grad()
    def sample(
        self, n: int, generator: torch.Generator | None = None, net: nn.Module | None = None
    ) -> np.ndarray:
        """``n`` samples of ``net`` (default: the evaluated G, :attr:`G_eval`), float64 ``(n,)``.

        They come from ``generator``, by default the evaluation stream (the history's).
        """
        gen = self._eval_gen if generator is None else generator
        net = self.G_eval if net is None else net
        return net(self.noise(n, gen)).reshape(-1).double().cpu().numpy()

    def evaluate(
        self,
        n: int = JS_SAMPLES,
        generator: torch.Generator | None = None,
        net: nn.Module | None = None,
    ) -> dict[str, float]:
        """Mean, std and estimated JS (nats) of ``n`` fresh samples (see :meth:`sample`)."""
        x = self.sample(n, generator, net)
        if not np.isfinite(x).all():
            return {"mean": math.nan, "std": math.nan, "js": math.nan}
        return {
            "mean": float(x.mean()),
            "std": float(x.std()),
            "js": js_from_samples(x, self.target, self._grid),
        }

    @torch.no_grad()
    def discriminator_on(self, grid: np.ndarray) -> np.ndarray:
        """:math:`D(x)` on ``grid`` ``(G,)``; NaN for the minibatch D (no per-point value)."""
        if not getattr(self.D, "per_sample", True):
            return np.full(len(grid), np.nan)
        x = torch.as_tensor(np.asarray(grid), dtype=torch.float32, device=self.device)
        d = discriminator_output(self.D(x.reshape(-1, 1)), self.config.loss)
        return d.reshape(-1).double().cpu().numpy()

    def snapshot(
        self,
        grid: np.ndarray | None = None,
        n: int = JS_SAMPLES,
        generator: nn.Module | None = None,
    ) -> dict[str, np.ndarray]:
        r"""Curves for a Figure-1 style plot on ``grid`` (default: the evaluation grid).

        Returns ``x``, ``p_data`` (exact), ``p_g`` (KDE of ``n`` samples of :attr:`G_eval`,
        bandwidth as in :mod:`ganlib.toy.js_estimate`), ``d`` (D(x)) and ``d_star``
        (:math:`p_\text{data}/(p_\text{data} + p_g)`, 1/2 where both vanish), each ``(G,)``.
        With one-dimensional noise it also holds G's map (:meth:`generator_map`). The samples
        come from the drawing stream, so drawing never changes what the history records.
        ``generator`` draws another G than :attr:`G_eval`, e.g. ``gan.G``, the player D faces
        when the moving average is on.
        """
        grid = self._grid if grid is None else np.asarray(grid, dtype=np.float64)
        net = self.G_eval if generator is None else generator
        with torch.no_grad():
            x = net(self.noise(n, self._draw_gen)).reshape(-1).double().cpu().numpy()
        snap = self._snapshot_from(x, grid)
        if self.config.net.noise_dim == 1:
            snap.update(self.generator_map(net))
        return snap

    @torch.no_grad()
    def generator_map(self, generator: nn.Module | None = None) -> dict[str, np.ndarray]:
        r"""G's map of one-dimensional noise, beside the ideal one (notebook 02's lower panels).

        Returns ``z`` (:data:`MAP_POINTS` noise values across p_z's range), ``g_z``
        (:math:`G(z)`), ``ideal`` (:math:`F_\text{data}^{-1}(F_z(z))`, for uniform noise and
        the Gaussian target :math:`4 + 1.25\,\Phi^{-1}(z)`) and ``mirror`` (the decreasing
        map :math:`F_\text{data}^{-1}(1 - F_z(z))`, an equally good answer), each
        ``(MAP_POINTS,)``; and ``z_arrows`` / ``x_arrows`` ``(ARROWS,)``: noise values at equal
        steps of probability and their images :math:`x = G(z)`, the arrows of the paper's
        Figure 1 (dense arrows mark where p_g is high). ``generator`` defaults to
        :attr:`G_eval`.
        """
        if self.config.net.noise_dim != 1:
            raise ValueError(
                f"generator_map needs one-dimensional noise, got noise_dim="
                f"{self.config.net.noise_dim}"
            )
        kind = self.config.noise
        u = np.linspace(0.002, 0.998, MAP_POINTS)  # probabilities across p_z
        z = u if kind == "uniform" else noise_quantile(kind, u)
        z_arrows = noise_quantile(kind, (np.arange(ARROWS) + 0.5) / ARROWS)
        net = self.G_eval if generator is None else generator
        return {
            "z": z,
            "g_z": self._g_of(net, z),
            "ideal": ideal_map(self.target, kind, z),
            "mirror": quantile(self.target, 1.0 - u),
            "z_arrows": z_arrows,
            "x_arrows": self._g_of(net, z_arrows),
        }

    def _g_of(self, net: nn.Module, z: np.ndarray) -> np.ndarray:
        t = torch.as_tensor(z, dtype=torch.float32, device=self.device).reshape(-1, 1)
        return net(t).reshape(-1).double().cpu().numpy()

    def record(self) -> None:
        """Append one history record for the current state (skipped, diverging, if non-finite)."""
        x = self.sample(JS_SAMPLES)
        if not (self.parameters_finite() and np.isfinite(x).all()):
            self._diverge("G", "non-finite parameters or generator samples")
            return
        snap = self._snapshot_from(x)
        mix = 0.5 * (snap["p_data"] + snap["p_g"])
        gap = float(integrate_on_grid(np.abs(snap["d"] - snap["d_star"]) * mix, self._grid))
        d_real, d_fake = self.last_d_outputs()
        self.history.append(
            {
                "step": self.step,
                "d_loss": self._last["d_loss"],
                "g_loss": self._last["g_loss"],
                "d_real": d_real,
                "d_fake": d_fake,
                "mean": float(x.mean()),
                "std": float(x.std()),
                "js": js_from_densities(snap["p_data"], snap["p_g"], x, self._grid),
                "d_star_gap": gap,
            }
        )

    def _snapshot_from(
        self, x: np.ndarray, grid: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        if grid is None or grid is self._grid:  # the evaluation grid: p_data is cached
            grid, p_data = self._grid, self._p_data.copy()
        else:
            p_data = self.target.pdf(grid)
        p_g = density_from_samples(x, grid, bandwidth_for(self.target))
        d_star = optimal_discriminator(p_data, p_g)
        return {
            "x": grid,
            "p_data": p_data,
            "p_g": p_g,
            "d": self.discriminator_on(grid),
            "d_star": d_star,
        }


def data_units(target: Density, seed: int) -> tuple[float, float]:
    """Mean and std of :data:`DATA_UNITS_SAMPLES` samples of ``target`` (its own seeded stream).

    What the standardised nets of :mod:`ganlib.toy.models` work in: estimated from data, as a
    practitioner would, not taken from the target's exact moments.
    """
    x = target.sample(DATA_UNITS_SAMPLES, make_generator(seed + 3)).double()
    return float(x.mean()), float(x.std())
