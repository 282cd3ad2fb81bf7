"""Train an MNIST GAN with Algorithm 1 of Goodfellow et al. (2014) (notebook 04).

Shared by notebook 04 and the command line (``python -m ganlib.mnist.train``). The whole data set
lives on the device as one tensor; each epoch is a ``torch.randperm`` drawn from a seeded
``torch.Generator``, the noise comes from a second one and the dropout masks of
``"keras_gan_dropout"``'s discriminator from a third. The generators' states, the position in the
current permutation, the models and both optimisers go into every checkpoint, so the state of a run
fully determines its future: resuming from step N gives bit-for-bit the same weights as training
straight through (on the same device).

Each iteration is Algorithm 1 with the discriminator's and generator's losses

.. math::
    L_D = -\\frac{1}{m}\\sum_i \\big[\\log D(x_i) + \\log(1 - D(G(z_i)))\\big],
    \\qquad
    L_G^{\\text{non-sat}} = -\\frac{1}{m}\\sum_i \\log D(G(z_i)),
    \\qquad
    L_G^{\\text{minimax}} = \\frac{1}{m}\\sum_i \\log(1 - D(G(z_i))),

computed from logits with ``binary_cross_entropy_with_logits``. At the equilibrium
:math:`D = 1/2` each term is :math:`\\ln 2`, so :math:`L_D = \\ln 4` (notebook 01).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from ganlib.core.checkpoint import load_checkpoint, save_checkpoint
from ganlib.core.device import make_generator, pick_device
from ganlib.core.losses import LOSSES, discriminator_loss, generator_loss
from ganlib.core.validation import check_choice, check_float, check_int
from ganlib.mnist.data import to_uint8
from ganlib.mnist.models import (
    ARCH_ALIASES,
    ARCHITECTURES,
    DEFAULT_ARCH,
    Discriminator,
    Generator,
    SeededDropout,
    build_gan,
)

#: |loss| above this (nats) means the logits have exploded: treated as divergence (as the toy's).
LOSS_LIMIT = 1e4
#: Settings that may change when a run is resumed (they do not change the maths).
RESUMABLE_CHANGES = ("steps", "log_every", "checkpoint_every", "grid_every")
HISTORY_KEYS = ("step", "epoch", "seconds", "d_loss", "g_loss", "d_real", "d_fake")


@dataclass(frozen=True)
class MNISTGANConfig:
    """Hyperparameters of one MNIST GAN run (defaults: Keras-GAN's recipe, non-saturating loss).

    Attributes
    ----------
    arch, latent_dim : architecture name (see :mod:`ganlib.mnist.models`) and size of z
        (``None``: the architecture's reference value).
    steps : number of iterations, each k discriminator steps then one generator step.
    batch_size : m, the minibatch size of real images and of noise vectors.
    k : discriminator steps per iteration (the paper used 1).
    loss : ``"non-saturating"`` (:math:`-\\log D(G(z))`) or ``"minimax"``
        (:math:`\\log(1 - D(G(z)))`).
    lr_d, lr_g, beta1, beta2 : Adam settings of D and G.
    seed : seeds the initial weights, the data order and the noise.
    log_every : iterations averaged into one history record.
    checkpoint_every : iterations between checkpoints (0: only at the end).
    grid_every, grid_size : a fixed-noise sample grid of ``grid_size`` images every
        ``grid_every`` epochs.
    """

    arch: str = DEFAULT_ARCH
    latent_dim: int | None = None
    steps: int = 30_000
    batch_size: int = 64
    k: int = 1
    loss: str = "non-saturating"
    lr_d: float = 2e-4
    lr_g: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    seed: int = 0
    log_every: int = 50
    checkpoint_every: int = 1000
    grid_every: int = 1
    grid_size: int = 64

    def __post_init__(self) -> None:
        object.__setattr__(self, "arch", ARCH_ALIASES.get(self.arch, self.arch))
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad setting, its valid range and the value."""
        check_choice("arch", self.arch, ARCHITECTURES)
        check_choice("loss", self.loss, LOSSES)
        if self.latent_dim is not None:
            check_int("latent_dim", self.latent_dim, 1, 4096)
        for name, low in (("steps", 1), ("batch_size", 2), ("k", 1), ("seed", 0)):
            check_int(name, getattr(self, name), low)
        for name, low in (("log_every", 1), ("checkpoint_every", 0), ("grid_every", 1)):
            check_int(name, getattr(self, name), low)
        check_int("grid_size", self.grid_size, 1)
        for name in ("lr_d", "lr_g"):
            check_float(name, getattr(self, name), 0.0, 10.0, low_open=True)
        for name in ("beta1", "beta2"):
            check_float(name, getattr(self, name), 0.0, 1.0, high_open=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON- and ``weights_only``-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> MNISTGANConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(
                f"unknown MNISTGANConfig settings {sorted(unknown)}; known: {sorted(known)}"
            )
        return cls(**values)


@dataclass
class TrainResult:
    """What :func:`train_gan` returns (and what a callback sees while training runs).

    Attributes
    ----------
    history : dict of lists, keys :data:`HISTORY_KEYS`; each record averages ``log_every``
        iterations. ``d_real``/``d_fake`` are the mean of :math:`D(x)` and :math:`D(G(z))`.
    samples : fixed-noise grids, uint8 tensors ``(grid_size, 28, 28)``, one per
        ``sample_epochs`` entry (epoch 0 is the untrained generator).
    status : ``"running"``, ``"completed"``, ``"interrupted"`` or ``"diverged"``;
        ``message`` says why a run stopped early.
    """

    config: MNISTGANConfig
    generator: Generator
    discriminator: Discriminator
    history: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in HISTORY_KEYS})
    samples: list[torch.Tensor] = field(default_factory=list)
    sample_epochs: list[int] = field(default_factory=list)
    step: int = 0
    epoch: int = 0
    status: str = "running"
    message: str = ""
    checkpoint_path: Path | None = None


def tile(samples: torch.Tensor, ncols: int | None = None, pad: int = 2) -> torch.Tensor:
    """Arrange ``(n, 28, 28)`` images in a grid of ``ncols`` columns (default: square-ish).

    Returns a ``(rows * (28 + pad) + pad, ncols * (28 + pad) + pad)`` image of the same dtype,
    with background 0.
    """
    n, h, w = samples.shape
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    canvas = samples.new_zeros(nrows * (h + pad) + pad, ncols * (w + pad) + pad)
    for i in range(n):
        r, c = divmod(i, ncols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        canvas[top : top + h, left : left + w] = samples[i]
    return canvas


def check_images(images: torch.Tensor, batch_size: int) -> None:
    """Raise ``ValueError`` unless ``images`` is a float ``(N, 1, 28, 28)`` tensor in [-1, 1]."""
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        raise ValueError("images must be a float tensor; use ganlib.mnist.data.to_signed_unit(...)")
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(f"images must have shape (N, 1, 28, 28), got {tuple(images.shape)}")
    if images.shape[0] < batch_size:
        raise ValueError(f"batch_size={batch_size} exceeds the {images.shape[0]} images; lower it")
    low, high = images.min().item(), images.max().item()
    if not (low >= -1 - 1e-6 and high <= 1 + 1e-6):  # also catches NaN
        raise ValueError(
            f"images must lie in [-1, 1], got [{low:.3g}, {high:.3g}]; use to_signed_unit"
        )


class _Trainer:
    """The state of one run: models, optimisers, RNGs, the data order and the history."""

    def __init__(self, config: MNISTGANConfig, images: torch.Tensor, device: torch.device) -> None:
        self.config, self.device = config, device
        self.images = images.to(device)  # the whole data set, resident on the device
        G, D = build_gan(config.arch, config.latent_dim, generator=make_generator(config.seed))
        self.G, self.D = G.to(device), D.to(device)
        betas = (config.beta1, config.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=config.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr_d, betas=betas)
        self.data_rng = make_generator(config.seed + 1, device)
        self.noise_rng = make_generator(config.seed + 2, device)
        self.dropout_rng = make_generator(config.seed + 4, device)
        for (
            layer
        ) in self.D.modules():  # "keras_gan_dropout": dropout masks from the run's own stream
            if isinstance(layer, SeededDropout):
                layer.generator = self.dropout_rng
        fixed = make_generator(config.seed + 3, device)
        self.fixed_noise = self.noise((config.grid_size,), fixed)
        self.perm = self.new_permutation()
        self.cursor, self.elapsed, self.stats = 0, 0.0, []
        self.result = TrainResult(config, self.G, self.D)

    # -- randomness --------------------------------------------------------------------------
    def noise(self, shape: tuple[int], rng: torch.Generator | None = None) -> torch.Tensor:
        """z ~ N(0, I), shape ``shape + (latent_dim,)``."""
        rng = self.noise_rng if rng is None else rng
        return torch.randn((*shape, self.G.latent_dim), generator=rng, device=self.device)

    def new_permutation(self) -> torch.Tensor:
        return torch.randperm(self.images.shape[0], generator=self.data_rng, device=self.device)

    def real_batch(self) -> torch.Tensor:
        """The next m real images of this epoch's permutation; a new epoch starts when short."""
        m = self.config.batch_size
        self.start_epoch_if_done()
        idx = self.perm[self.cursor : self.cursor + m]
        self.cursor += m
        return self.images[idx]

    def start_epoch_if_done(self) -> None:
        """Draw a new permutation when fewer than m images are left (the rest are skipped)."""
        if self.cursor + self.config.batch_size > self.perm.shape[0]:
            self.perm, self.cursor = self.new_permutation(), 0
            self.result.epoch += 1

    # -- Algorithm 1 -------------------------------------------------------------------------
    def d_step(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Ascend V(D, G) = E log D(x) + E log(1 - D(G(z))), i.e. descend L_D."""
        x = self.real_batch()  # m examples from p_data
        with torch.no_grad():
            fake = self.G(self.noise((self.config.batch_size,)))  # m samples from p_g
        real_logits, fake_logits = self.D(x), self.D(fake)
        # -log D(x) (label 1) plus -log(1 - D(G(z))) (label 0): ln 4 at D = 1/2
        loss = discriminator_loss(real_logits, fake_logits, self.config.loss)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return loss.detach(), real_logits.detach(), fake_logits.detach()

    def g_step(self) -> torch.Tensor:
        """Descend L_G on a fresh noise minibatch; only G's parameters are stepped."""
        fake_logits = self.D(self.G(self.noise((self.config.batch_size,))))
        loss = generator_loss(fake_logits, self.config.loss)  # -log D(G(z)) (non-saturating)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        return loss.detach()

    def iteration(self) -> None:
        """One iteration of Algorithm 1: k discriminator steps, then one generator step."""
        for _ in range(self.config.k):
            d_loss, real_logits, fake_logits = self.d_step()
        g_loss = self.g_step()
        d_real, d_fake = torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()
        self.stats.append(torch.stack([d_loss, g_loss, d_real, d_fake]))
        self.result.step += 1
        self.start_epoch_if_done()

    # -- bookkeeping -------------------------------------------------------------------------
    def flush(self) -> bool:
        """Average the buffered iterations into one history record; False if a loss is NaN/inf."""
        if not self.stats:
            return True
        means = torch.stack(self.stats).mean(0).tolist()  # one device->host copy per record
        self.stats.clear()
        if not all(math.isfinite(v) and abs(v) <= LOSS_LIMIT for v in means):
            return False
        record = [self.result.step, self.result.epoch, round(self.elapsed, 3), *means]
        for key, value in zip(HISTORY_KEYS, record, strict=True):
            self.result.history[key].append(value)
        return True

    def sample_grid(self) -> None:
        """G(fixed noise) in eval mode (BatchNorm uses its running statistics)."""
        self.G.eval()
        with torch.no_grad():
            self.result.samples.append(to_uint8(self.G(self.fixed_noise)))
        self.G.train()
        self.result.sample_epochs.append(self.result.epoch)

    def state_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "config": self.config.to_dict(),
            "rng": {
                "data": self.data_rng.get_state(),
                "noise": self.noise_rng.get_state(),
                "dropout": self.dropout_rng.get_state(),
            },
            "device_type": self.device.type,
            "perm": self.perm.cpu(),
            "cursor": self.cursor,
            "fixed_noise": self.fixed_noise.cpu(),
            "step": r.step,
            "epoch": r.epoch,
            "elapsed": self.elapsed,
            "history": r.history,
            "samples": r.samples,
            "sample_epochs": r.sample_epochs,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["discriminator"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if state["device_type"] == self.device.type:
            # set_state wants a CPU ByteTensor, also for a CUDA generator; map_location may have
            # moved the saved states to the GPU with everything else.
            rng = {name: s.cpu() for name, s in state["rng"].items()}
            self.data_rng.set_state(rng["data"])
            self.noise_rng.set_state(rng["noise"])
            if "dropout" in rng:  # absent in checkpoints from before dropout was seeded
                self.dropout_rng.set_state(rng["dropout"])
        else:  # a CUDA generator state cannot seed a CPU generator: continue, not bit-exact
            print(
                f"ganlib: checkpoint was written on {state['device_type']}, resuming on "
                f"{self.device.type}; random streams are reseeded, so not bit-identical"
            )
            self.data_rng.manual_seed(self.config.seed + 1 + 1000 * state["step"])
            self.noise_rng.manual_seed(self.config.seed + 2 + 1000 * state["step"])
            self.dropout_rng.manual_seed(self.config.seed + 4 + 1000 * state["step"])
        self.perm, self.cursor = state["perm"].to(self.device), state["cursor"]
        self.fixed_noise = state["fixed_noise"].to(self.device)
        self.elapsed = state["elapsed"]
        r = self.result
        r.step, r.epoch, r.history = state["step"], state["epoch"], state["history"]
        r.samples, r.sample_epochs = state["samples"], state["sample_epochs"]

    def save(self) -> None:
        if self.result.checkpoint_path is not None:
            save_checkpoint(self.result.checkpoint_path, self.state_dict())

    def run(self, progress: bool, callback: Callable[[TrainResult], None] | None) -> TrainResult:
        """Iterate to ``config.steps``; checkpoint, sample, stop on NaN or Ctrl-C."""
        c, r = self.config, self.result
        if not r.samples:
            self.sample_grid()  # epoch 0: the untrained generator
        bar = tqdm(total=c.steps, initial=r.step, disable=not progress, desc="GAN iterations")
        try:
            while r.step < c.steps:
                epoch, start = r.epoch, time.perf_counter()
                self.iteration()
                self.elapsed += time.perf_counter() - start
                if r.epoch > epoch and r.epoch % c.grid_every == 0:
                    self.sample_grid()
                if not self.after_iteration(bar):
                    return r
                if callback is not None:
                    callback(r)
            r.status = "completed"
        except KeyboardInterrupt:
            self.flush()
            r.status, r.message = "interrupted", f"interrupted at iteration {r.step}"
            print(f"ganlib: {r.message}; " + ("checkpoint saved" if r.checkpoint_path else ""))
        finally:
            bar.close()
        self.save()
        return r

    def after_iteration(self, bar: tqdm) -> bool:
        """Log, check for NaN and checkpoint on schedule; False when the run diverged."""
        c, r = self.config, self.result
        at_checkpoint = c.checkpoint_every > 0 and r.step % c.checkpoint_every == 0
        if r.step % c.log_every and not at_checkpoint and r.step != c.steps:
            return True
        last = r.history["step"][-1] if r.history["step"] else 0
        if not self.flush():
            r.status = "diverged"
            r.message = (
                f"training diverged: a loss became NaN, inf or larger than {LOSS_LIMIT:g} "
                f"between iterations {last} and {r.step}; the last checkpoint (if any) is kept. "
                f"Lower lr_d/lr_g (now {c.lr_d:g}/{c.lr_g:g}) or change the seed."
            )
            print(f"ganlib: {r.message}")
            return False
        h = r.history
        bar.set_postfix(d_loss=f"{h['d_loss'][-1]:.3f}", g_loss=f"{h['g_loss'][-1]:.3f}")
        bar.update(r.step - bar.n)
        if at_checkpoint and r.step != c.steps:
            self.save()
        return True


def train_gan(
    config: MNISTGANConfig,
    images: torch.Tensor,
    *,
    device: torch.device | str | None = None,
    checkpoint_path: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
    callback: Callable[[TrainResult], None] | None = None,
) -> TrainResult:
    """Train a GAN on ``images`` with Algorithm 1 (k D steps, then one G step, per iteration).

    Parameters
    ----------
    config : MNISTGANConfig
        The hyperparameters (validated here).
    images : torch.Tensor
        Training images, float ``(N, 1, 28, 28)`` in ``[-1, 1]``; copied once to ``device``.
    device : torch.device or str, optional
        ``None`` picks CUDA, then MPS, then the CPU, and prints which.
    checkpoint_path : path-like, optional
        Checkpoint file, written atomically every ``config.checkpoint_every`` iterations, at
        the end and on Ctrl-C.
    resume : bool
        Continue from ``checkpoint_path`` when it exists; only the settings in
        :data:`RESUMABLE_CHANGES` may differ from the checkpoint's.
    progress : bool
        Show a ``tqdm`` progress bar.
    callback : callable, optional
        Called as ``callback(result)`` after every iteration (live plots; raising
        ``KeyboardInterrupt`` there stops the run like Ctrl-C).

    Returns
    -------
    TrainResult
        Models, history, sample grids and why the run stopped (``status``, ``message``).

    Notes
    -----
    Resuming is bit-identical to an uninterrupted run when the checkpoint was written between
    iterations (on schedule, at the end, or by a ``KeyboardInterrupt`` raised from
    ``callback``) and on the same device type. A Ctrl-C that lands in the middle of an
    iteration saves the state as it is, so the resumed run is valid but not bit-identical.
    NaN/inf losses are detected when a history record is written (every ``log_every``
    iterations, so the GPU is not synchronised every step); the run then stops without
    overwriting the last checkpoint.
    """
    check_images(images, config.batch_size)
    device = pick_device() if device is None else torch.device(device)
    trainer = _Trainer(config, images, device)
    if checkpoint_path is not None:
        trainer.result.checkpoint_path = Path(checkpoint_path)
        if resume and Path(checkpoint_path).is_file():
            state = load_checkpoint(checkpoint_path, map_location=device)
            _check_resumable(config, state["config"])
            trainer.load_state_dict(state)
            print(f"ganlib: resumed from {checkpoint_path} at iteration {trainer.result.step}")
    return trainer.run(progress, callback)


def _check_resumable(config: MNISTGANConfig, saved: dict[str, Any]) -> None:
    current = config.to_dict()
    changed = [k for k in current if k not in RESUMABLE_CHANGES and current[k] != saved.get(k)]
    if changed:
        detail = ", ".join(
            f"{k}: checkpoint {saved.get(k)!r} vs now {current[k]!r}" for k in changed
        )
        raise ValueError(
            f"cannot resume: settings differ from the checkpoint ({detail}); only "
            f"{RESUMABLE_CHANGES} may change. Use the checkpoint's settings or a new path."
        )
