r"""Training the 1-D toy GAN step by step, as Algorithm 1 of Goodfellow et al. 2014 (notebook 02).

The game is

.. math::
    \min_G \max_D V(D, G) = \mathbb E_{x \sim p_\text{data}}[\log D(x)]
        + \mathbb E_{z \sim p_z}[\log(1 - D(G(z)))].

:class:`ToyGAN` holds G, D, their optimisers and a history, and advances the game one
discriminator step (:meth:`ToyGAN.step_d`) or one generator step (:meth:`ToyGAN.step_g`) at a time;
:meth:`ToyGAN.train` runs whole iterations (k D steps, then one G step) and can be called again to
resume, which is how notebook 02's dashboard plays, pauses and steps. Settings that make sense
mid-run (learning rates, betas, k, loss, batch size, optimiser) are changed with
:meth:`ToyGAN.update` and act at the next step; the rest need :meth:`ToyGAN.reset`.

A NaN or infinite loss (or non-finite parameters or samples) stops training: ``.diverged`` is set
to a :class:`Divergence` with the step and a likely cause, and nothing is recorded for that step.

Losses use ``binary_cross_entropy_with_logits`` on D's logits: it is exactly
:math:`-[y \log \sigma(l) + (1-y) \log(1-\sigma(l))]`, the same loss as Sigmoid + BCELoss, but
computed without forming :math:`\sigma(l)`, so it cannot return ``log(0)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ganlib.core.device import make_generator
from ganlib.core.losses import LOSSES, discriminator_loss, generator_loss, r1_penalty
from ganlib.core.validation import (
    check_choice,
    check_float,
    check_instance,
    check_int,
    check_sequence,
)
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

OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
MAX_K = 1000
MAX_LR = 10.0  # far above any rate that trains; larger values are typos
MAX_BATCH = 100_000
LOSS_LIMIT = 1e4  # |loss| above this (nats) means the logits have exploded: treated as divergence
MID_RUN = (
    "lr_d",
    "lr_g",
    "betas_d",
    "betas_g",
    "k",
    "loss",
    "batch_size",
    "optimizer",
    "r1_gamma",
    "lr_decay_steps",
)


@dataclass(frozen=True)
class ToyGANConfig:
    r"""Settings of the toy GAN; the defaults are notebook 02's dashboard defaults.

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

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid setting, its valid range and value."""
        check_choice("target", self.target, tuple(TARGETS))
        check_choice("noise", self.noise, NOISE_KINDS)
        check_choice("loss", self.loss, LOSSES)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        for name in ("lr_d", "lr_g"):
            check_float(name, getattr(self, name), 0.0, MAX_LR, low_open=True)
        for name in ("betas_d", "betas_g"):
            for beta in check_sequence(name, getattr(self, name), 2):
                check_float(name, beta, 0.0, 1.0, high_open=True)
        check_int("k", self.k, 1, MAX_K)
        check_int("batch_size", self.batch_size, 1, MAX_BATCH)
        check_int("seed", self.seed, 0, 2**62)
        check_int("lr_decay_steps", self.lr_decay_steps, 0, 10**9)
        check_float("r1_gamma", self.r1_gamma, 0.0, 1e6)
        check_instance("net", self.net, ToyNetConfig)
        if self.net.minibatch and self.batch_size % self.net.minibatch_group:
            raise ValueError(
                f"batch_size must be a multiple of net.minibatch_group={self.net.minibatch_group} "
                f"for the minibatch discriminator, got {self.batch_size}"
            )


@dataclass(frozen=True)
class Divergence:
    """Where and (probably) why training blew up."""

    step: int
    cause: str

    @property
    def message(self) -> str:
        """One line for a status bar: ``diverged at step N: <cause>; press Reset``."""
        return f"diverged at step {self.step}: {self.cause}; press Reset"

    def __str__(self) -> str:
        return self.message


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


def _make_optimizer(
    params: list[nn.Parameter], kind: str, lr: float, betas: tuple[float, float]
) -> torch.optim.Optimizer:
    # fused=True updates all tensors in one kernel: for these tiny nets the per-tensor Python
    # loop of the default implementation would cost more than the arithmetic.
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas), fused=True)
    return torch.optim.SGD(params, lr=lr, fused=True)


class ToyGAN:
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

    def __init__(self, config: ToyGANConfig | None = None, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.reset_to(config if config is not None else ToyGANConfig())

    # ---- set-up -------------------------------------------------------------------------------
    def reset_to(self, config: ToyGANConfig) -> None:
        """Start afresh from ``config``: new nets, optimisers, RNG streams and history."""
        config.validate()
        self.config = config
        self.target = TARGETS[config.target]
        torch_gen = make_generator(config.seed, "cpu")
        with torch.random.fork_rng(devices=[]):  # weights from the seed, global RNG untouched
            torch.manual_seed(int(torch.randint(2**62, (1,), generator=torch_gen)))
            self.G, self.D = build_toy_nets(config.net)
        self.G.to(self.device)
        self.D.to(self.device)
        self._gen = make_generator(config.seed, self.device)  # training samples
        self._eval_gen = make_generator(config.seed + 1, self.device)  # evaluation samples
        self.step = 0
        self._build_optimizers()
        self.history = ToyHistory()
        self.diverged: Divergence | None = None
        self._last: dict[str, float] = {}
        self._last_logits: torch.Tensor | None = None
        self._grid = evaluation_grid(self.target)
        self._p_data = self.target.pdf(self._grid)  # constant until the next reset

    def lr_factor(self) -> float:
        """Inverse-time decay :math:`\\tau / (\\tau + t)` at generator step t (1 when tau = 0)."""
        tau = self.config.lr_decay_steps
        return tau / (tau + self.step) if tau else 1.0

    def _apply_lr(self) -> None:
        f = self.lr_factor()
        for opt, lr in ((self.opt_d, self.config.lr_d), (self.opt_g, self.config.lr_g)):
            for group in opt.param_groups:
                group["lr"] = lr * f

    def _build_optimizers(self) -> None:
        c = self.config
        self.opt_d = _make_optimizer(list(self.D.parameters()), c.optimizer, c.lr_d, c.betas_d)
        self.opt_g = _make_optimizer(list(self.G.parameters()), c.optimizer, c.lr_g, c.betas_g)
        self._apply_lr()

    def reset(self, seed: int | None = None, **settings: object) -> None:
        """New nets, optimisers and history; ``settings`` may change any config field."""
        if seed is not None:
            settings["seed"] = seed
        self.reset_to(self._replaced(settings))

    def update(self, **settings: object) -> None:
        """Change mid-run settings; they act at the next step.

        Allowed: ``lr_d``, ``lr_g``, ``betas_d``, ``betas_g``, ``betas`` (both), ``k``, ``loss``,
        ``batch_size``, ``optimizer``.

        Learning rates and betas are written into the optimisers' ``param_groups`` in place, so
        Adam keeps its moment estimates; changing ``optimizer`` builds fresh optimisers.
        """
        if "betas" in settings:
            betas = settings.pop("betas")
            settings.setdefault("betas_d", betas)
            settings.setdefault("betas_g", betas)
        for name in settings:
            if name not in MID_RUN:
                raise ValueError(
                    f"{name!r} cannot change mid-run; mid-run settings are {MID_RUN} "
                    f"(use reset({name}=...) for the others)"
                )
        new = self._replaced(settings)
        old, self.config = self.config, new
        if new.optimizer != old.optimizer:
            self._build_optimizers()
        for opt, betas in ((self.opt_d, new.betas_d), (self.opt_g, new.betas_g)):
            for group in opt.param_groups:
                if "betas" in group:
                    group["betas"] = tuple(betas)
        self._apply_lr()

    def _replaced(self, settings: dict[str, object]) -> ToyGANConfig:
        names = {f.name for f in dataclasses.fields(ToyGANConfig)}
        unknown = set(settings) - names
        if unknown:
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; valid: {sorted(names)}")
        if "betas_d" in settings:
            settings["betas_d"] = tuple(settings["betas_d"])  # type: ignore[arg-type]
        if "betas_g" in settings:
            settings["betas_g"] = tuple(settings["betas_g"])  # type: ignore[arg-type]
        new = dataclasses.replace(self.config, **settings)  # type: ignore[arg-type]
        new.validate()
        return new

    # ---- one step of each player --------------------------------------------------------------
    def _noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` noise draws ``(n, noise_dim)`` from ``generator`` (default: the training one)."""
        gen = self._gen if generator is None else generator
        return sample_noise(self.config.noise, n, self.config.net.noise_dim, gen)

    def step_d(self) -> float:
        r"""One discriminator step; returns the D loss (NaN, and no step, once diverged).

        Ascend :math:`\frac1m \sum_i [\log D(x_i) + \log(1 - D(G(z_i)))]`, that is, descend
        the binary cross-entropy with label 1 for real and 0 for generated samples.
        """
        if self.diverged is not None:
            return math.nan
        m = self.config.batch_size
        x = self.target.sample(m, self._gen)  # (m, 1) real samples x ~ p_data
        with torch.no_grad():
            fake = self.G(self._noise(m))  # (m, 1) fake samples G(z), z ~ p_z; G is fixed here
        gamma = self.config.r1_gamma
        if gamma > 0:
            x.requires_grad_(True)
        both = torch.cat([x, fake])  # (2m, 1): real first, then fake
        logits = self.D(both)  # (2m, 1), or (2m / group, 1) for the minibatch D
        half = logits.shape[0] // 2
        # L_D = -mean log D(x) - mean log(1 - D(G(z)))  (= ln 4 when D = 1/2 everywhere)
        loss = discriminator_loss(logits[:half], logits[half:], self.config.loss)
        if gamma > 0:  # R1: + gamma/2 E_x |d logit / dx|^2 on real samples
            loss = loss + 0.5 * gamma * r1_penalty(logits[:half], x)
        value = float(loss.detach())
        if not self._finite(value, "D"):
            return value
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        self._last_logits = logits.detach()
        self._last["d_loss"] = value
        return value

    def step_g(self) -> float:
        r"""One generator step; returns the G loss (NaN, and no step, once diverged).

        Non-saturating: descend :math:`-\frac1m \sum_i \log D(G(z_i))`. Minimax: descend
        :math:`\frac1m \sum_i \log(1 - D(G(z_i)))`, whose gradient vanishes when D confidently
        rejects the fakes. Only G's parameters move; ``.step`` counts these steps.
        """
        if self.diverged is not None:
            return math.nan
        logits = self.D(self.G(self._noise(self.config.batch_size)))  # D(G(z)) as logits
        loss = generator_loss(logits, self.config.loss)
        value = float(loss.detach())
        if not self._finite(value, "G"):
            return value
        params = list(self.G.parameters())
        grads = torch.autograd.grad(loss, params)  # gradients for G only; D is left alone
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        self.opt_g.step()
        self.step += 1
        if self.config.lr_decay_steps:
            self._apply_lr()
        self._last["g_loss"] = value
        return value

    # ---- divergence ---------------------------------------------------------------------------
    def _finite(self, value: float, player: str) -> bool:
        """False (and ``.diverged`` set) when a loss is NaN, infinite or beyond LOSS_LIMIT."""
        if math.isfinite(value) and abs(value) <= LOSS_LIMIT:
            return True
        what = "NaN/inf" if not math.isfinite(value) else f"exploding (|loss| > {LOSS_LIMIT:g})"
        self._diverge(player, f"{what} {player} loss")
        return False

    def _diverge(self, player: str, what: str) -> None:
        """Set ``.diverged``, blaming the likeliest setting (the largest too-high lr first)."""
        c = self.config
        high = 0.05 if c.optimizer == "adam" else 0.5  # far above any lr that trains these nets
        lr, culprit = max((c.lr_d, "D"), (c.lr_g, "G"))
        if lr >= high:
            cause = f"learning rate too high for {culprit} (lr_{culprit.lower()}={lr:g})"
        elif c.batch_size <= 4:
            cause = f"batch size {c.batch_size} makes the gradients too noisy"
        else:
            cause = f"numerical overflow in the {player} step; try smaller learning rates"
        self.diverged = Divergence(self.step, f"{what}, {cause}")

    # ---- Algorithm 1 --------------------------------------------------------------------------
    def train(
        self,
        n_iterations: int,
        record_every: int | None = 100,
        should_stop: Callable[[], bool] | None = None,
    ) -> ToyHistory:
        """Run ``n_iterations`` iterations of Algorithm 1 and return the history.

        Each iteration takes ``k`` discriminator steps, then one generator step. Call it again to
        resume. Records are taken every ``record_every`` generator steps (and at step 0); ``None``
        or 0 records nothing. ``should_stop()`` is checked before every iteration; returning True
        pauses. Training stops early, with ``.diverged`` set, on a non-finite loss.
        """
        check_int("n_iterations", n_iterations, 0, 10**9)
        if record_every is not None and record_every < 0:
            raise ValueError(f"record_every must be >= 0 or None, got {record_every}")
        if record_every and self.step == 0 and len(self.history) == 0:
            self.record()
        for _ in range(n_iterations):
            if self.diverged is not None or (should_stop is not None and should_stop()):
                break
            for _ in range(self.config.k):  # k steps of D: ascend V(D, G) in D
                self.step_d()
            self.step_g()  # one step of G: descend the generator loss
            if record_every and self.step % record_every == 0 and self.diverged is None:
                self.record()
        return self.history

    # ---- measuring ----------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int) -> np.ndarray:
        """``n`` generator samples as a float64 array ``(n,)`` (evaluation RNG stream)."""
        return self.G(self._noise(n, self._eval_gen)).reshape(-1).double().cpu().numpy()

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
        params_ok = all(
            torch.isfinite(p).all() for p in (*self.G.parameters(), *self.D.parameters())
        )
        if not (params_ok and np.isfinite(x).all()):
            self._diverge("G", "non-finite parameters or generator samples")
            return
        snap = self._snapshot_from(x)
        mix = 0.5 * (snap["p_data"] + snap["p_g"])
        gap = float(integrate_on_grid(np.abs(snap["d"] - snap["d_star"]) * mix, self._grid))
        if self._last_logits is None or "g_loss" not in self._last:
            self._probe_losses()  # before any step: measure the losses without stepping
        probs = torch.sigmoid(self._last_logits).reshape(-1)
        half = probs.shape[0] // 2
        d_real, d_fake = float(probs[:half].mean()), float(probs[half:].mean())
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

    @torch.no_grad()
    def _probe_losses(self) -> None:
        """D and G losses and D's outputs on one evaluation batch, without any update."""
        m = self.config.batch_size
        x = self.target.sample(m, self._eval_gen)
        logits = self.D(torch.cat([x, self.G(self._noise(m, self._eval_gen))]))
        half = logits.shape[0] // 2
        d_loss = discriminator_loss(logits[:half], logits[half:], self.config.loss)
        g_loss = generator_loss(logits[half:], self.config.loss)
        self._last_logits = logits
        self._last.setdefault("d_loss", float(d_loss))
        self._last.setdefault("g_loss", float(g_loss))

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
