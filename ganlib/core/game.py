r"""A GAN as a game played one move at a time: Algorithm 1 of Goodfellow et al. (2014).

The game is

.. math::
    \min_G \max_D V(D, G) = \mathbb E_{x \sim p_\text{data}}[\log D(x)]
        + \mathbb E_{z \sim p_z}[\log(1 - D(G(z)))].

:class:`Game` holds G, D, their optimisers and the run's random streams, and advances the game one
discriminator step (:meth:`Game.step_d`) or one generator step (:meth:`Game.step_g`) at a time;
:meth:`Game.train` runs whole iterations (k D steps, then one G step) and can be called again to
resume, which is how the dashboards play, pause and step. Settings that make sense mid-run
(learning rates, betas, k, loss, batch size, optimiser) are changed with :meth:`Game.update` and
act at the next step; the rest need :meth:`Game.reset`.

A lesson subclasses it with its data, noise, networks and measurements: the 1-D toy of notebook
02 (:class:`ganlib.toy.training.ToyGAN`) and the 2-D game of notebook 03. The losses are the
shared ones of :mod:`ganlib.core.losses`.

A NaN, infinite or exploding loss (beyond :data:`LOSS_LIMIT`) stops training: ``.diverged`` is set
to a :class:`Divergence` with the step and a likely cause, and nothing is recorded for that step.

Two additions to Algorithm 1, both off by default here (a lesson's config may switch them on):

* **an exponential moving average of G's weights** (``ema_decay`` :math:`\beta > 0`; Yazıcı et
  al. 2019): after every G step :math:`\bar\theta \leftarrow \beta \bar\theta +
  (1 - \beta) \theta`. Training never uses it; it is the generator that is *evaluated*
  (:attr:`Game.G_eval`). Simultaneous gradient play tends to orbit the equilibrium, and the
  average of an orbit sits near its centre.
* **R1 and an inverse-time learning-rate decay** (``r1_gamma``, ``lr_decay_steps``).

Random streams: ``_gen`` draws every training sample, ``_eval_gen`` the samples behind the
history's records, ``_draw_gen`` those behind the pictures (a dashboard redraws as often as the
machine allows, so the records must not share its stream: they would then depend on the redraw
rate).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ganlib.core.device import make_generator
from ganlib.core.losses import LOSSES, discriminator_loss, generator_loss, r1_penalty
from ganlib.core.validation import check_choice, check_float, check_int, check_sequence

OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
MAX_K = 1000
MAX_BATCH = 100_000
MAX_LR = 10.0  # far above any rate that trains; larger values are typos
LOSS_LIMIT = 1e4  # |loss| above this (nats) means the logits have exploded: treated as divergence
#: Settings :meth:`Game.update` may change mid-run (the others need :meth:`Game.reset`).
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
    "ema_decay",
)


@dataclass(frozen=True)
class GameConfig:
    r"""The settings every game shares; a lesson's config adds its data, noise and networks.

    Attributes
    ----------
    loss : str
        The game, one of :data:`ganlib.core.losses.LOSSES` (``"non-saturating"``: G minimises
        :math:`-\log D(G(z))`; ``"minimax"``: the saturating :math:`\log(1 - D(G(z)))`).
    optimizer : {"adam", "sgd"}
        Adam with ``betas_*``, or plain SGD (betas ignored).
    lr_d, lr_g : float
        Learning rates of D and G, in (0, 10].
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
    ema_decay : float
        :math:`\beta \in [0, 1)` of the exponential moving average of G's weights that is
        evaluated (:attr:`Game.G_eval`); 0 (off) by default: G itself is evaluated.
    """

    loss: str = "non-saturating"
    optimizer: str = "adam"
    lr_d: float = 2e-4
    lr_g: float = 2e-4
    betas_d: tuple[float, float] = (0.5, 0.999)
    betas_g: tuple[float, float] = (0.5, 0.999)
    k: int = 1
    batch_size: int = 128
    seed: int = 0
    r1_gamma: float = 0.0
    lr_decay_steps: int = 0
    ema_decay: float = 0.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid setting, its valid range and value."""
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
        check_float("ema_decay", self.ema_decay, 0.0, 1.0, high_open=True)


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


def discriminator_output(logits: torch.Tensor, loss: str) -> torch.Tensor:
    r"""D's output as the quantity the game's :math:`D^*` describes, from its raw outputs.

    For the log losses D's raw output is a logit and :math:`D = \sigma(l)`; for the
    least-squares game (targets 0 and 1) the raw output *is* D, and its optimum is the same
    :math:`D^* = p_\text{data} / (p_\text{data} + p_g)` (Mao et al. 2017), 1/2 at the
    equilibrium. (Its values may leave [0, 1].)
    """
    return logits if loss == "least-squares" else torch.sigmoid(logits)


def make_optimizer(
    params: list[nn.Parameter], kind: str, lr: float, betas: tuple[float, float]
) -> torch.optim.Optimizer:
    """Adam (with ``betas``) or SGD over ``params``, one fused kernel for all tensors."""
    # fused=True updates all tensors in one kernel: for tiny nets the per-tensor Python loop of
    # the default implementation would cost more than the arithmetic.
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas), fused=True)
    return torch.optim.SGD(params, lr=lr, fused=True)


class Game:
    """G, D, their optimisers and random streams: one run of Algorithm 1, a move at a time.

    Subclasses provide :meth:`_build_nets`, :meth:`real_batch`, :meth:`noise` and
    :meth:`record`, and set ``self.history`` (any object with ``len``) in :meth:`_on_reset`,
    where the per-run state of the lesson is made fresh at every reset.

    Parameters
    ----------
    config : GameConfig
        Validated here; ``ValueError`` on a bad setting.
    device : str or torch.device
        Where the nets and samples live.

    Attributes
    ----------
    step : int
        Generator steps taken so far.
    diverged : Divergence or None
    G_ema : nn.Module or None
        The moving average of G's weights (``None`` when ``config.ema_decay`` is 0).
    """

    config_class: type[GameConfig] = GameConfig

    def __init__(self, config: GameConfig | None = None, device: str | torch.device = "cpu"):
        self.device = torch.device(device)
        self.reset_to(config if config is not None else self.config_class())

    # ---- what a lesson provides -----------------------------------------------------------------
    def _build_nets(self, config: Any) -> tuple[nn.Module, nn.Module]:
        """Fresh ``(G, D)`` for ``config`` (their initial weights come from the seeded RNG)."""
        raise NotImplementedError

    def real_batch(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` samples of :math:`p_\\text{data}`, shape ``(n, ...)``."""
        raise NotImplementedError

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` draws of :math:`p_z` (default stream: the training one)."""
        raise NotImplementedError

    def record(self) -> None:
        """Append one history record for the current state."""
        raise NotImplementedError

    def _on_reset(self) -> None:
        """Per-run state of the lesson (history, evaluation grids), made fresh at every reset."""

    # ---- set-up ---------------------------------------------------------------------------------
    def reset_to(self, config: GameConfig) -> None:
        """Start afresh from ``config``: new nets, optimisers, RNG streams and state."""
        config.validate()
        self.config = config
        torch_gen = make_generator(config.seed, "cpu")
        with torch.random.fork_rng(devices=[]):  # weights from the seed, global RNG untouched
            torch.manual_seed(int(torch.randint(2**62, (1,), generator=torch_gen)))
            self.G, self.D = self._build_nets(config)
        self.G.to(self.device)
        self.D.to(self.device)
        self._gen = make_generator(config.seed, self.device)  # training samples
        self._eval_gen = make_generator(config.seed + 1, self.device)  # the history's records
        self._draw_gen = make_generator(config.seed + 2, self.device)  # the pictures
        self.G_ema = self._average_of(self.G) if config.ema_decay > 0 else None
        self.step = 0
        self._build_optimizers()
        self.diverged: Divergence | None = None
        self._last: dict[str, float] = {}
        self._last_logits: torch.Tensor | None = None
        self._on_reset()

    @staticmethod
    def _average_of(net: nn.Module) -> nn.Module:
        """A frozen copy of ``net`` to hold the moving average of its weights."""
        average = copy.deepcopy(net)
        average.requires_grad_(False)
        return average

    @property
    def G_eval(self) -> nn.Module:
        """The generator that is evaluated and drawn: the moving average if on, else G."""
        return self.G_ema if self.G_ema is not None else self.G

    @torch.no_grad()
    def _update_average(self) -> None:
        r""":math:`\bar\theta \leftarrow \beta \bar\theta + (1 - \beta)\theta` (buffers copied)."""
        if self.G_ema is None:
            return
        weight = 1.0 - self.config.ema_decay
        for mine, theirs in zip(self.G_ema.parameters(), self.G.parameters(), strict=True):
            mine.lerp_(theirs, weight)
        for mine, theirs in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            mine.copy_(theirs)

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
        self.opt_d = make_optimizer(list(self.D.parameters()), c.optimizer, c.lr_d, c.betas_d)
        self.opt_g = make_optimizer(list(self.G.parameters()), c.optimizer, c.lr_g, c.betas_g)
        self._apply_lr()

    def reset(self, seed: int | None = None, **settings: object) -> None:
        """New nets, optimisers and state; ``settings`` may change any config field."""
        if seed is not None:
            settings["seed"] = seed
        self.reset_to(self._replaced(settings))

    def update(self, **settings: object) -> None:
        """Change mid-run settings (:data:`MID_RUN`, or ``betas`` for both); they act next step.

        Learning rates and betas are written into the optimisers' ``param_groups`` in place, so
        Adam keeps its moment estimates; changing ``optimizer`` builds fresh optimisers. Turning
        ``ema_decay`` on mid-run starts the average at the current G; 0 turns it off.
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
        if new.ema_decay == 0:
            self.G_ema = None
        elif self.G_ema is None:
            self.G_ema = self._average_of(self.G)
        for opt, betas in ((self.opt_d, new.betas_d), (self.opt_g, new.betas_g)):
            for group in opt.param_groups:
                if "betas" in group:
                    group["betas"] = tuple(betas)
        self._apply_lr()

    def _replaced(self, settings: dict[str, object]) -> Any:
        names = {f.name for f in dataclasses.fields(self.config)}
        unknown = set(settings) - names
        if unknown:
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; valid: {sorted(names)}")
        for name in ("betas_d", "betas_g"):
            if name in settings and isinstance(settings[name], list):
                settings[name] = tuple(settings[name])  # type: ignore[arg-type]
        return dataclasses.replace(self.config, **settings)  # type: ignore[arg-type]

    # ---- one move of each player ----------------------------------------------------------------
    def step_d(self) -> float:
        r"""One discriminator step; returns the D loss (NaN, and no step, once diverged).

        Ascend :math:`\frac1m \sum_i [\log D(x_i) + \log(1 - D(G(z_i)))]`, that is, descend
        the binary cross-entropy with label 1 for real and 0 for generated samples.
        """
        if self.diverged is not None:
            return math.nan
        m = self.config.batch_size
        x = self.real_batch(m, self._gen)  # (m, ...) real samples x ~ p_data
        with torch.no_grad():
            fake = self.G(self.noise(m))  # (m, ...) fake samples G(z), z ~ p_z; G is fixed here
        gamma = self.config.r1_gamma
        if gamma > 0:
            x.requires_grad_(True)
        logits = self.D(torch.cat([x, fake]))  # one pass over both halves: real, then fake
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
        logits = self.D(self.G(self.noise(self.config.batch_size)))  # D(G(z)) as logits
        loss = generator_loss(logits, self.config.loss)
        value = float(loss.detach())
        if not self._finite(value, "G"):
            return value
        params = list(self.G.parameters())
        grads = torch.autograd.grad(loss, params)  # gradients for G only; D is left alone
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        self.opt_g.step()
        self._update_average()
        self.step += 1
        if self.config.lr_decay_steps:
            self._apply_lr()
        self._last["g_loss"] = value
        return value

    # ---- divergence -----------------------------------------------------------------------------
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
        if min(c.lr_d, c.lr_g) >= high:
            cause = f"learning rates too high for both (lr_d={c.lr_d:g}, lr_g={c.lr_g:g})"
        elif lr >= high:
            cause = f"learning rate too high for {culprit} (lr_{culprit.lower()}={lr:g})"
        elif c.batch_size <= 4:
            cause = f"batch size {c.batch_size} makes the gradients too noisy"
        else:
            cause = f"numerical overflow in the {player} step; try smaller learning rates"
        self.diverged = Divergence(self.step, f"{what}, {cause}")

    def last_d_outputs(self) -> tuple[float, float]:
        """Mean :math:`D(x)` and :math:`D(G(z))` on the last D batch (:func:`discriminator_output`).

        Before the first D step they are measured on one evaluation batch, without an update
        (the losses of that probe fill in the missing last losses, so a record at step 0 has
        them).
        """
        if self._last_logits is None or "g_loss" not in self._last:
            self._probe_losses()
        probs = discriminator_output(self._last_logits, self.config.loss).reshape(-1)
        half = probs.shape[0] // 2
        return float(probs[:half].mean()), float(probs[half:].mean())

    @torch.no_grad()
    def _probe_losses(self) -> None:
        """D and G losses and D's outputs on one evaluation batch, without any update."""
        m = self.config.batch_size
        x = self.real_batch(m, self._eval_gen)
        logits = self.D(torch.cat([x, self.G(self.noise(m, self._eval_gen))]))
        half = logits.shape[0] // 2
        d_loss = discriminator_loss(logits[:half], logits[half:], self.config.loss)
        g_loss = generator_loss(logits[half:], self.config.loss)
        self._last_logits = logits
        self._last.setdefault("d_loss", float(d_loss))
        self._last.setdefault("g_loss", float(g_loss))

    def parameters_finite(self) -> bool:
        """True when every weight of G and D is finite."""
        return all(torch.isfinite(p).all() for p in (*self.G.parameters(), *self.D.parameters()))

    # ---- Algorithm 1 ----------------------------------------------------------------------------
    def train(
        self,
        n_iterations: int,
        record_every: int | None = 100,
        should_stop: Callable[[], bool] | None = None,
    ) -> Any:
        """Run ``n_iterations`` iterations of Algorithm 1 and return the history.

        Each iteration takes ``k`` discriminator steps, then one generator step. Call it again to
        resume. Records are taken every ``record_every`` generator steps (and at step 0); ``None``
        or 0 records nothing. ``should_stop()`` is checked before every iteration; returning True
        pauses. Training stops early, with ``.diverged`` set, on a non-finite loss.
        """
        check_int("n_iterations", n_iterations, 0, 10**9)
        if record_every is not None:
            check_int("record_every", record_every, 0)
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
