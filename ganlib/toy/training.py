r"""The 1-D toy GAN of notebook 02: Algorithm 1 on one number, step by step.

:class:`ToyGAN` is the series' steppable game (:class:`ganlib.core.game.Game`: k D steps, one G
step, settings mid-run, divergence detection) on 1-D data: real samples from a target of
:mod:`ganlib.toy.distributions`, noise :math:`z \sim p_z`, the small nets of
:mod:`ganlib.toy.models`, and a history of the generated mean, std and the Jensen-Shannon
divergence estimated by :mod:`ganlib.toy.js_estimate`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

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
)
from ganlib.core.losses import LOSSES
from ganlib.core.validation import check_choice, check_instance
from ganlib.minimax.divergences import integrate_on_grid, optimal_discriminator
from ganlib.toy.distributions import NOISE_KINDS, TARGETS, sample_noise
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


@dataclass(frozen=True)
class ToyGANConfig(GameConfig):
    r"""Settings of the toy GAN; the defaults are notebook 02's dashboard defaults.

    The shared settings (loss, optimizer, learning rates, betas, k, batch size, seed, R1, the
    learning-rate decay) are those of :class:`ganlib.core.game.GameConfig`; the toy adds its
    target, noise and networks.

    Attributes
    ----------
    target : str
        Key of :data:`ganlib.toy.distributions.TARGETS` (``"gaussian"`` is N(4, 1.25²)).
    noise : {"uniform", "normal"}
        Noise :math:`p_z`; uniform on [0, 1) as in the 50-line GAN.
    loss : {"non-saturating", "minimax"}
        Generator loss: :math:`-\log D(G(z))` or the saturating :math:`\log(1 - D(G(z)))`.
    optimizer : {"adam", "sgd"}
        Adam with ``betas_*``, or plain SGD (betas ignored).
    lr_d, lr_g : float
        Learning rates of D and G, > 0.
    betas_d, betas_g : tuple of float
        Adam's :math:`(\beta_1, \beta_2)`, each in [0, 1).
    k : int
        Discriminator steps per generator step (Algorithm 1), 1 ≤ k ≤ 1000.
    batch_size : int
        m, the number of real and of fake samples per step, 1 ≤ m ≤ 100,000.
    seed : int
        Seeds the initial weights and every sample drawn in training.
    r1_gamma : float
        Weight :math:`\gamma \ge 0` of the optional R1 penalty
        :math:`\frac\gamma2 \mathbb E_{x\sim p_\text{data}} |\nabla_x \text{logit}(x)|^2`
        added to D's loss (Mescheder et al. 2018); 0 (off) by default.
    lr_decay_steps : int
        :math:`\tau \ge 0`: both learning rates are multiplied by :math:`\tau/(\tau + t)` at
        generator step t (inverse-time decay); 0 keeps them constant.
    net : ToyNetConfig
        Architecture of G and D.

    Notes
    -----
    Why these defaults (measured with ``benchmarks/bench_toy.py``; the 50-line GAN needs ~100 s):

    * **Two time scales** (Heusel et al. 2017): D learns ~3x faster than G (5e-3 vs 1.5e-3), so
      D stays close to :math:`D^*` and G follows a useful gradient, the assumption behind
      Proposition 2. With equal rates the mean swings around 4 for thousands of steps; raising
      lr_g to 1.5e-3 alone (D at 3e-3) left 5 of 10 seeds unconverged after 8 s.
    * **Batch 512**: within ±0.1 of the target the signal D sees is smaller than the noise of a
      100-sample batch mean (1.25/√100 = 0.125); 512 samples halve that noise. The per-step cost
      grows far less than 5x because these nets are dominated by fixed per-operation overhead.
    * **G's Adam** :math:`\beta_1 = 0.9` averages the noisy generator gradient over ~10 steps;
      D keeps :math:`\beta_1 = 0.5` (momentum in the faster player feeds oscillations).
    * **Inverse-time decay**, :math:`\tau` = 500 steps: large steps while p_g travels to
      p_data, then smaller ones (a third of the initial rates at step 1,000), so Adam's
      normalised noise steps do not keep p_g wandering. Measured on 10 seeds, 1 thread: with
      (3e-3, 1e-3, τ = 1000) 7 of 10 converged within 3 s, with (5e-3, 1.5e-3, τ = 500) 10 of 10.
    * **Four uniform noise inputs** and LeakyReLU nets, see :mod:`ganlib.toy.models`.

    :meth:`reference` gives the 50-line GAN's settings for comparison.
    """

    target: str = "gaussian"
    noise: str = "uniform"
    loss: str = "non-saturating"
    optimizer: str = "adam"
    lr_d: float = 5e-3
    lr_g: float = 1.5e-3
    betas_d: tuple[float, float] = (0.5, 0.99)
    betas_g: tuple[float, float] = (0.9, 0.999)
    k: int = 1
    batch_size: int = 512
    seed: int = 0
    r1_gamma: float = 0.0
    lr_decay_steps: int = 500
    net: ToyNetConfig = field(default_factory=ToyNetConfig)

    @classmethod
    def reference(cls, minibatch: bool = True, seed: int = 0) -> ToyGANConfig:
        """The 50-line GAN's experiment: Adam 2e-4, betas (0.9, 0.999), batch 100, k = 1."""
        return cls(
            lr_d=2e-4,
            lr_g=2e-4,
            betas_d=(0.9, 0.999),
            betas_g=(0.9, 0.999),
            batch_size=100,
            seed=seed,
            lr_decay_steps=0,
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

    ``d_loss`` is :math:`-\overline{\log D(x)} - \overline{\log(1 - D(G(z)))}` (ln 4 at the
    equilibrium); ``g_loss`` is the generator's loss as configured; ``d_real``/``d_fake`` are mean
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
        return build_toy_nets(config.net)

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
    def sample(self, n: int) -> np.ndarray:
        """``n`` generator samples as a float64 array ``(n,)`` (evaluation RNG stream)."""
        return self.G(self.noise(n, self._eval_gen)).reshape(-1).double().cpu().numpy()

    def evaluate(self, n: int = JS_SAMPLES) -> dict[str, float]:
        """Mean, std and estimated JS (nats) of ``n`` fresh generator samples."""
        x = self.sample(n)
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
        return torch.sigmoid(self.D(x.reshape(-1, 1))).reshape(-1).double().cpu().numpy()

    def snapshot(
        self, grid: np.ndarray | None = None, n: int = JS_SAMPLES
    ) -> dict[str, np.ndarray]:
        r"""Curves for a Figure-1 style plot on ``grid`` (default: the evaluation grid).

        Returns ``x``, ``p_data`` (exact), ``p_g`` (KDE of ``n`` samples, bandwidth as in
        :mod:`ganlib.toy.js_estimate`), ``d`` (D(x)) and ``d_star``
        (:math:`p_\text{data}/(p_\text{data} + p_g)`, 1/2 where both vanish), each ``(G,)``.
        """
        grid = self._grid if grid is None else np.asarray(grid, dtype=np.float64)
        return self._snapshot_from(self.sample(n), grid)

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
