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

The reference implementations order the steps of one iteration differently (``loop``):

``"keras_gan"`` (Keras-GAN's ``gan/gan.py``; :meth:`MNISTGANConfig.keras_gan`)
    m real images and m noise vectors; the fakes come from G in inference mode
    (``generator.predict``: BatchNorm uses its running statistics and does not update them);
    D takes **two** Adam steps, ``train_on_batch(real, 1)`` then ``train_on_batch(fake, 0)``;
    then G takes one step on **fresh** noise with label 1 through D (D is not updated).
``"tutorial"`` (the PyTorch tutorial MLP GAN; :meth:`MNISTGANConfig.tutorial`)
    m real images, m fakes ``G(z)`` (G in training mode); one D step on the summed loss
    ``BCE(D(x), 1) + BCE(D(G(z).detach()), 0)``; then one G step on **the same** fakes.
``"joint"`` (ganlib's own variant, the default; the shipped generators were trained with it)
    one D step on the summed loss as in the tutorial, with the fakes drawn by G in training mode
    without gradients, then one G step on fresh noise.

The generator step differentiates only with respect to G's parameters
(``torch.autograd.grad``), so no gradient of D's weights is computed for it.

Ctrl-C and SIGTERM stop a run at the next iteration boundary (:mod:`ganlib.core.interrupts`),
never inside one; the run then saves a checkpoint, unless the state has diverged (non-finite or
exploding losses, non-finite parameters), in which case the last good checkpoint is kept.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from ganlib.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ganlib.core.device import make_generator, pick_device
from ganlib.core.files import atomic_write_text, remove_stale_temporaries
from ganlib.core.interrupts import StopRequest
from ganlib.core.losses import LOSSES, discriminator_loss, discriminator_loss_term, generator_loss
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
from ganlib.mnist.run_checks import (
    CHECKPOINT_KIND,
    LOSS_LIMIT,
    RESUMABLE_CHANGES,
    DataMismatchError,
    ResumeError,
    SaveError,
    check_resumable,
    check_run_folder,
    check_same_data,
    check_training_state,
    data_fingerprint,
    divergence_cause,
    nonfinite_parameter,
)

__all__ = [
    "CHECKPOINT_KIND",
    "HISTORY_KEYS",
    "LOOPS",
    "LOSSES",
    "LOSS_LIMIT",
    "RESUMABLE_CHANGES",
    "CheckpointError",
    "DataMismatchError",
    "MNISTGANConfig",
    "ResumeError",
    "SaveError",
    "TrainResult",
    "check_images",
    "check_run_folder",
    "data_fingerprint",
    "divergence_cause",
    "nonfinite_parameter",
    "prepare_training",
    "tile",
    "to_uint8",
    "train_gan",
]

HISTORY_KEYS = ("step", "epoch", "seconds", "d_loss", "g_loss", "d_real", "d_fake")
STAT_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")
#: The orders of one iteration (see the module docstring).
LOOPS: tuple[str, ...] = ("joint", "keras_gan", "tutorial")


@dataclass(frozen=True)
class MNISTGANConfig:
    """Hyperparameters of one MNIST GAN run (defaults: ganlib's ``"joint"`` loop, Keras-GAN's MLP).

    The reference recipes are :meth:`keras_gan` and :meth:`tutorial`; the defaults are the
    recipe of the shipped generators (Keras-GAN's model and Adam settings, batch 64, the
    ``"joint"`` loop).

    Attributes
    ----------
    arch, latent_dim : architecture name (see :mod:`ganlib.mnist.models`) and size of z
        (``None``: the architecture's reference value).
    steps : number of iterations, each k discriminator steps then one generator step.
    batch_size : m, the minibatch size of real images and of noise vectors.
    k : discriminator steps per iteration (the paper used 1).
    loop : the order of one iteration, one of :data:`LOOPS` (see the module docstring).
    loss : ``"non-saturating"`` (:math:`-\\log D(G(z))`), ``"minimax"``
        (:math:`\\log(1 - D(G(z)))`) or ``"least-squares"``.
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
    loop: str = "joint"

    def __post_init__(self) -> None:
        if isinstance(self.arch, str):
            object.__setattr__(self, "arch", ARCH_ALIASES.get(self.arch, self.arch))
        self.validate()

    @classmethod
    def keras_gan(cls, **changes: Any) -> MNISTGANConfig:
        """Keras-GAN's MLP GAN as its ``gan/gan.py`` trains it: batch 32, Adam(2e-4, 0.5),
        30,000 iterations of Keras-GAN's loop (two D steps, fakes from G in inference mode, G on
        fresh noise). ``changes`` override single settings (e.g. ``steps=2000``)."""
        recipe = {"arch": "keras_gan", "loop": "keras_gan", "batch_size": 32, "steps": 30_000}
        recipe |= {"lr_d": 2e-4, "lr_g": 2e-4, "beta1": 0.5, "beta2": 0.999, "k": 1}
        return cls(**(recipe | {"loss": "non-saturating"} | changes))

    @classmethod
    def tutorial(cls, **changes: Any) -> MNISTGANConfig:
        """The PyTorch tutorial MLP GAN: batch 64, Adam(1e-4) with PyTorch's default betas
        (0.9, 0.999), the ``"tutorial"`` loop (G steps on the fakes D just saw), 100 epochs of
        the 60,000 MNIST digits (937 full batches each; ganlib skips the short last batch)."""
        recipe = {"arch": "tutorial_mlp", "loop": "tutorial", "batch_size": 64, "k": 1}
        recipe |= {"lr_d": 1e-4, "lr_g": 1e-4, "beta1": 0.9, "beta2": 0.999}
        recipe |= {"steps": 100 * (60_000 // 64), "loss": "non-saturating"}
        return cls(**(recipe | changes))

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first bad setting, its valid range and the value."""
        check_choice("arch", self.arch, ARCHITECTURES)
        check_choice("loss", self.loss, LOSSES)
        check_choice("loop", self.loop, LOOPS)
        if self.latent_dim is not None:
            check_int("latent_dim", self.latent_dim, 1, 4096)
        check_int("steps", self.steps, 1, 10**9)
        check_int("batch_size", self.batch_size, 2, 1_000_000)
        check_int("k", self.k, 1, 100)
        check_int("seed", self.seed, 0, 2**63 - 1 - 1000 * 10**9)  # seed + offsets fit int64
        for name, low in (("log_every", 1), ("checkpoint_every", 0), ("grid_every", 1)):
            check_int(name, getattr(self, name), low, 10**9)
        check_int("grid_size", self.grid_size, 1, 10_000)
        for name in ("lr_d", "lr_g"):
            check_float(name, getattr(self, name), 0.0, 10.0, low_open=True)
        for name in ("beta1", "beta2"):
            check_float(name, getattr(self, name), 0.0, 1.0, high_open=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON- and ``weights_only``-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> MNISTGANConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``. A record without
        ``loop`` (written before the loops had names) was trained with ``"joint"``."""
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
    saved_step : the iteration of the last checkpoint written or resumed from (``None``: none).
    data : what the run trains on: ``n_images``, ``sha256`` (:func:`data_fingerprint`) and the
        ``data_info`` given to :func:`train_gan`.
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
    saved_step: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


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
        for layer in self.D.modules():  # dropout masks from the run's own stream
            if isinstance(layer, SeededDropout):
                layer.generator = self.dropout_rng
        fixed = make_generator(config.seed + 3, device)
        self.fixed_noise = self.noise((config.grid_size,), fixed)
        self.perm = self.new_permutation()
        self.cursor, self.elapsed, self.stats = 0, 0.0, []
        self.fake: torch.Tensor | None = None  # the "tutorial" loop's fakes, for its G step
        self.result = TrainResult(config, self.G, self.D, data=data_fingerprint(images))
        self.data = self.result.data
        self.history_path: Path | None = None
        self.written_step: int | None = None  # the last checkpoint this process wrote
        self.stop = StopRequest()

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
    def _adam_step(self, opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)  # no stale gradients between steps

    def d_step(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Ascend V(D, G) = E log D(x) + E log(1 - D(G(z))), i.e. descend L_D (per ``loop``)."""
        c = self.config
        x = self.real_batch()  # m examples from p_data
        z = self.noise((c.batch_size,))  # m noise vectors
        if c.loop == "keras_gan":
            self.G.eval()  # generator.predict: BatchNorm in inference mode
            with torch.no_grad():
                fake = self.G(z)
            self.G.train()
            real_logits = self.D(x)  # D.train_on_batch(real, ones): one Adam step
            real_loss = discriminator_loss_term(real_logits, True, c.loss)
            self._adam_step(self.opt_d, real_loss)
            fake_logits = self.D(fake)  # D.train_on_batch(fake, zeros): a second Adam step
            fake_loss = discriminator_loss_term(fake_logits, False, c.loss)
            self._adam_step(self.opt_d, fake_loss)
            loss = real_loss.detach() + fake_loss.detach()
            return loss, real_logits.detach(), fake_logits.detach()
        if c.loop == "tutorial":
            self.fake = self.G(z)  # kept, with its graph, for the G step
            fake = self.fake.detach()
        else:  # "joint"
            with torch.no_grad():
                fake = self.G(z)  # m samples from p_g (G in training mode)
        real_logits, fake_logits = self.D(x), self.D(fake)
        # -log D(x) (label 1) plus -log(1 - D(G(z))) (label 0): ln 4 at D = 1/2
        loss = discriminator_loss(real_logits, fake_logits, c.loss)
        self._adam_step(self.opt_d, loss)
        return loss.detach(), real_logits.detach(), fake_logits.detach()

    def g_step(self) -> torch.Tensor:
        """Descend L_G (fresh noise, or the tutorial's fakes); gradients for G's parameters only."""
        c = self.config
        if c.loop == "tutorial" and self.fake is not None:
            fake, self.fake = self.fake, None
        else:
            fake = self.G(self.noise((c.batch_size,)))
        loss = generator_loss(self.D(fake), c.loss)  # -log D(G(z)) (non-saturating)
        params = [p for p in self.G.parameters() if p.requires_grad]
        grads = torch.autograd.grad(loss, params)  # D's weight gradients are never computed
        self.opt_g.zero_grad(set_to_none=True)
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        self.opt_g.step()
        self.opt_g.zero_grad(set_to_none=True)
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

    # -- health ------------------------------------------------------------------------------
    def unhealthy(self) -> str | None:
        """Why the current state must not be saved or logged (see :func:`divergence_cause`)."""
        if self.stats:
            pending = torch.stack(self.stats)  # every buffered iteration, not only their mean
            worst = pending.abs().amax(0).where(pending.isfinite().all(0), torch.nan)
            cause = divergence_cause(dict(zip(STAT_KEYS, worst.tolist(), strict=True)))
            if cause is not None:
                return cause
        bad = nonfinite_parameter(self.G, self.D)
        return None if bad is None else f"{bad} holds NaN or inf"

    def flush(self) -> str | None:
        """Average the buffered iterations into one history record; return a divergence cause."""
        cause = self.unhealthy()
        if cause is not None or not self.stats:
            return cause
        means = torch.stack(self.stats).mean(0).tolist()  # one device->host copy per record
        self.stats.clear()
        record = [self.result.step, self.result.epoch, round(self.elapsed, 3), *means]
        for key, value in zip(HISTORY_KEYS, record, strict=True):
            self.result.history[key].append(value)
        return None

    def sample_grid(self) -> None:
        """G(fixed noise) in eval mode (BatchNorm uses its running statistics)."""
        self.G.eval()
        with torch.no_grad():
            self.result.samples.append(to_uint8(self.G(self.fixed_noise)))
        self.G.train()
        self.result.sample_epochs.append(self.result.epoch)

    # -- checkpoints -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "generator": self.G.state_dict(),
            "discriminator": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "config": self.config.to_dict(),
            "data": self.data,
            "rng": {
                "data": self.data_rng.get_state(),
                "noise": self.noise_rng.get_state(),
                "dropout": self.dropout_rng.get_state(),
            },
            "device_type": self.device.type,
            "perm": self.perm.cpu(),
            "cursor": self.cursor,
            "fixed_noise": self.fixed_noise.cpu(),
            "pending_stats": [s.cpu() for s in self.stats],
            "step": r.step,
            "epoch": r.epoch,
            "elapsed": self.elapsed,
            "history": r.history,
            "samples": r.samples,
            "sample_epochs": r.sample_epochs,
        }

    def load_state_dict(self, state: dict[str, Any], path: Path | str = "the checkpoint") -> None:
        try:
            self.G.load_state_dict(state["generator"])
            self.D.load_state_dict(state["discriminator"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
        except (RuntimeError, ValueError, KeyError) as err:
            first = str(err).strip().splitlines()[0]
            raise CheckpointError(
                f"{path}: its weights do not fit arch {self.config.arch!r} ({first}); it was not "
                "written by this version of ganlib for this architecture. Start a new run."
            ) from None
        self._load_rng(state)
        self.perm, self.cursor = state["perm"].to(self.device), state["cursor"]
        self.fixed_noise = state["fixed_noise"].to(self.device)
        self.stats = [s.to(self.device) for s in state.get("pending_stats", [])]
        self.elapsed = state["elapsed"]
        r = self.result
        r.step, r.epoch, r.history = state["step"], state["epoch"], state["history"]
        r.samples, r.sample_epochs = state["samples"], state["sample_epochs"]
        r.saved_step = r.step

    def _load_rng(self, state: dict[str, Any]) -> None:
        if state["device_type"] == self.device.type:
            # set_state wants a CPU ByteTensor, also for a CUDA generator; map_location may have
            # moved the saved states to the GPU with everything else.
            rng = {name: s.cpu() for name, s in state["rng"].items()}
            self.data_rng.set_state(rng["data"])
            self.noise_rng.set_state(rng["noise"])
            if "dropout" in rng:  # absent in checkpoints from before dropout was seeded
                self.dropout_rng.set_state(rng["dropout"])
            return
        # a CUDA generator state cannot seed a CPU generator: continue, not bit-exact
        print(
            f"ganlib: checkpoint was written on {state['device_type']}, resuming on "
            f"{self.device.type}; random streams are reseeded, so not bit-identical"
        )
        for offset, rng in ((1, self.data_rng), (2, self.noise_rng), (4, self.dropout_rng)):
            rng.manual_seed(self.config.seed + offset + 1000 * state["step"])

    def write_history(self) -> None:
        """``history.json``: config, data, status, the history and the last checkpoint's step."""
        if self.history_path is None:
            return
        r = self.result
        record = {
            "config": self.config.to_dict(),
            "data": self.data,
            "status": r.status,
            "message": r.message,
            "step": r.step,
            "checkpoint_step": r.saved_step,
            "history": r.history,
        }
        atomic_write_text(self.history_path, json.dumps(record, indent=1) + "\n")

    def save(self, where: str = "at a scheduled save") -> bool:
        """Checkpoint and history, unless the state has diverged (then status is "diverged")."""
        r = self.result
        cause = self.unhealthy()
        if cause is not None:
            self.diverged(cause, where)
            return False
        path = r.checkpoint_path
        try:
            if path is not None and r.saved_step != r.step:
                save_checkpoint(path, self.state_dict(), kind=CHECKPOINT_KIND)
                r.saved_step = self.written_step = r.step
            self.write_history()
        except OSError as err:
            raise SaveError(
                f"could not write {err.filename or path}: {err.strerror or err}; the last "
                f"checkpoint ({self.describe_saved()}) is kept. Free some space or fix the "
                "permissions, then resume."
            ) from err
        return True

    def describe_saved(self) -> str:
        s = self.result.saved_step
        return "none yet" if s is None else f"step {s} in {self.result.checkpoint_path}"

    def diverged(self, cause: str, where: str) -> None:
        """Mark the run diverged, say why and what is kept; write the history (no checkpoint)."""
        c, r = self.config, self.result
        last = r.history["step"][-1] if r.history["step"] else 0
        kept = (
            f"the last good checkpoint ({self.describe_saved()}) is kept"
            if r.saved_step is not None
            else "no checkpoint was written before"
        )
        r.status = "diverged"
        r.message = (
            f"training diverged: {cause} ({where}, between iterations {last} and {r.step}); no "
            f"checkpoint is written from this state and {kept}. Lower lr_d/lr_g (now "
            f"{c.lr_d:g}/{c.lr_g:g}) or change the seed."
        )
        tqdm.write(f"ganlib: {r.message}")
        try:
            self.write_history()
        except OSError as err:  # the run has stopped anyway; say so rather than hide it
            tqdm.write(f"ganlib: could not write {self.history_path}: {err}")

    # -- the loop ----------------------------------------------------------------------------
    def run(self, progress: bool, callback: Callable[[TrainResult], None] | None) -> TrainResult:
        """Iterate to ``config.steps``; checkpoint, sample; stop on divergence, Ctrl-C, SIGTERM."""
        c, r = self.config, self.result
        if not r.samples:
            self.sample_grid()  # epoch 0: the untrained generator
        bar = tqdm(total=c.steps, initial=r.step, disable=not progress, desc="GAN iterations")
        with self.stop as stop:
            try:
                while r.step < c.steps and stop.reason is None and r.status == "running":
                    self.one_iteration(bar, callback)
            except KeyboardInterrupt:  # raised inside an iteration by code, not by a signal
                r.status = "interrupted"
                r.message = (
                    f"interrupted inside iteration {r.step + 1}: that state is not saved, the "
                    f"last checkpoint ({self.describe_saved()}) is kept"
                )
                tqdm.write(f"ganlib: {r.message}")
                self.write_history()
                return r
            finally:
                bar.close()
            self.finish()  # still inside StopRequest: a Ctrl-C now cannot cut the save short
        return r

    def one_iteration(self, bar: tqdm, callback: Callable[[TrainResult], None] | None) -> None:
        c, r = self.config, self.result
        epoch, start = r.epoch, time.perf_counter()
        self.iteration()
        self.elapsed += time.perf_counter() - start
        if r.epoch > epoch and r.epoch % c.grid_every == 0:
            self.sample_grid()
        if not self.after_iteration(bar) or callback is None:
            return
        try:
            callback(r)
        except KeyboardInterrupt:  # a callback (live plot, test) asking to stop: a clean boundary
            self.stop.request("KeyboardInterrupt")

    def after_iteration(self, bar: tqdm) -> bool:
        """Log, check for divergence and checkpoint on schedule; False when the run diverged."""
        c, r = self.config, self.result
        at_checkpoint = c.checkpoint_every > 0 and r.step % c.checkpoint_every == 0
        if r.step % c.log_every and not at_checkpoint and r.step != c.steps:
            return True
        cause = self.flush()
        if cause is not None:
            self.diverged(cause, "at a history record")
            return False
        h = r.history
        bar.set_postfix(d_loss=f"{h['d_loss'][-1]:.3f}", g_loss=f"{h['g_loss'][-1]:.3f}")
        bar.update(r.step - bar.n)
        saving = at_checkpoint and r.step != c.steps and r.checkpoint_path is not None
        if saving and self.save():
            tqdm.write(f"ganlib: checkpoint saved at step {r.step} ({r.checkpoint_path})")
        return r.status == "running"

    def finish(self) -> None:
        """The last save, at a boundary: after the last iteration or a stop request."""
        r = self.result
        if r.status != "running":  # diverged: history written, last good checkpoint kept
            return
        reason = self.stop.reason
        r.status = "interrupted" if reason is not None else "completed"
        if reason is not None:
            r.message = f"stopped by {reason} after iteration {r.step}"
        if not self.save(f"when {reason} stopped the run" if reason else "at the end"):
            return
        where = ""
        if r.checkpoint_path is not None:
            done = "saved" if self.written_step == r.step else "up to date (resumed at the end)"
            where = f"checkpoint {done} at step {r.step}"
        if reason is not None:
            r.message += f"; {where or 'nothing saved (no checkpoint path)'}"
            tqdm.write(f"ganlib: {r.message} ({r.checkpoint_path})" if where else r.message)
        elif where:
            tqdm.write(f"ganlib: {where} ({r.checkpoint_path})")
        if self.stop.count > 1:
            tqdm.write(f"ganlib: {self.stop.count - 1} further interrupt(s) waited for the save")


def prepare_training(
    config: MNISTGANConfig,
    images: torch.Tensor,
    *,
    device: torch.device | str | None = None,
    checkpoint_path: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    history_path: str | Path | None = None,
    data_info: Mapping[str, Any] | None = None,
) -> _Trainer:
    """Every check of :func:`train_gan` and the resume, before any iteration; returns the run.

    Raises :class:`ResumeError`, :class:`DataMismatchError`,
    :class:`~ganlib.core.checkpoint.CheckpointError` or ``ValueError`` (see :func:`train_gan`).
    """
    if not isinstance(config, MNISTGANConfig):
        raise ValueError(f"config must be an MNISTGANConfig, got {type(config).__name__}")
    check_images(images, config.batch_size)
    device = pick_device() if device is None else torch.device(device)
    trainer = _Trainer(config, images, device)
    described = ("dataset", "split", "limit", "source")
    trainer.data.update({k: v for k, v in (data_info or {}).items() if k in described})
    if history_path is not None:
        trainer.history_path = Path(history_path)
        remove_stale_temporaries(history_path)
    if checkpoint_path is None:
        if resume:
            raise ResumeError("resume=True needs a checkpoint_path to resume from")
        return trainer
    path = trainer.result.checkpoint_path = Path(checkpoint_path)
    remove_stale_temporaries(path)  # leftovers of a save that was killed
    check_run_folder(path, resume, overwrite)
    if resume:
        state = load_checkpoint(path, map_location=device, kind=CHECKPOINT_KIND)
        check_training_state(path, state)
        try:
            saved = MNISTGANConfig.from_dict(state["config"]).to_dict()
        except (ValueError, TypeError) as err:
            raise CheckpointError(f"{path} holds an invalid config: {err}") from None
        check_resumable(path, config.to_dict(), saved)
        check_same_data(path, trainer.data, state)
        trainer.load_state_dict(state, path)
        print(f"ganlib: resumed from {path} at iteration {trainer.result.step}")
    return trainer


def train_gan(
    config: MNISTGANConfig,
    images: torch.Tensor,
    *,
    device: torch.device | str | None = None,
    checkpoint_path: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
    callback: Callable[[TrainResult], None] | None = None,
    overwrite: bool = False,
    history_path: str | Path | None = None,
    data_info: Mapping[str, Any] | None = None,
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
        the end and on Ctrl-C / SIGTERM. It records the config and the images' number and
        SHA-256 (:func:`data_fingerprint`, plus ``data_info``).
    resume : bool
        Continue from ``checkpoint_path`` (which must exist); only the settings in
        :data:`RESUMABLE_CHANGES` may differ from the checkpoint's, and the images must be the
        same.
    progress : bool
        Show a ``tqdm`` progress bar.
    callback : callable, optional
        Called as ``callback(result)`` after every iteration (live plots; raising
        ``KeyboardInterrupt`` there stops the run like Ctrl-C).
    overwrite : bool
        Without ``resume``, replace an existing checkpoint; otherwise that is refused.
    history_path : path-like, optional
        Where to write ``history.json`` (config, data, status, history) with every checkpoint
        and at the end.
    data_info : mapping, optional
        What the images are (``dataset``, ``split``, ``limit``, ``source``), for the record.

    Returns
    -------
    TrainResult
        Models, history, sample grids and why the run stopped (``status``, ``message``).

    Raises
    ------
    ResumeError, DataMismatchError, CheckpointError, ValueError
        Before any iteration: what cannot start as asked, and why.
    SaveError
        A checkpoint could not be written (the previous one is intact).

    Notes
    -----
    Ctrl-C and SIGTERM stop the run at the next iteration boundary, then it saves; resuming is
    then bit-identical to an uninterrupted run (on the same device type), as it is from every
    scheduled checkpoint. Divergence (a loss that is NaN, inf or beyond :data:`LOSS_LIMIT` in
    any iteration, or a parameter that is NaN or inf) is checked at every history record and
    before every save; the run then stops without overwriting the last good checkpoint.
    """
    trainer = prepare_training(
        config, images, device=device, checkpoint_path=checkpoint_path, resume=resume,
        overwrite=overwrite, history_path=history_path, data_info=data_info,
    )  # fmt: skip
    return trainer.run(progress, callback)
