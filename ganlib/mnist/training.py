"""Train an MNIST GAN with Algorithm 1 of Goodfellow et al. (2014) (notebook 04).

Shared by notebook 04 and the command line (``python -m ganlib.mnist.train``). One iteration
(k discriminator steps, then one generator step, in the order of ``config.loop``) is
:class:`ganlib.mnist.steps.GANStep`; this module runs many of them: the data order, the noise,
the history, the sample grids, the averaged generator, checkpoints and stops.

The whole data set lives on the device as one tensor; each epoch is a ``torch.randperm`` drawn
on the device from a seeded ``torch.Generator``, the noise comes from a second one, the
dropout masks of ``"keras_gan_dropout"``'s discriminator from a third and DiffAugment's offsets
from a fourth. Nothing in an iteration reads a value back to the host: each iteration's losses
stay on the device and are read every ``log_every`` iterations. The generators' states, the
position in the current permutation, the models (with the averaged generator) and both
optimisers go into every checkpoint, so the state of a run fully determines its future:
resuming from step N gives bit-for-bit the same weights as training straight through (on the
same device).

Ctrl-C and SIGTERM stop a run at the next iteration boundary (:mod:`ganlib.core.interrupts`),
never inside one; the run then saves a checkpoint, unless the state has diverged (non-finite or
exploding losses, non-finite parameters), in which case the last good checkpoint is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ganlib.core.checkpoint import CheckpointError, load_checkpoint
from ganlib.core.device import make_generator, pick_device
from ganlib.core.files import remove_stale_temporaries
from ganlib.core.interrupts import StopRequest
from ganlib.core.losses import LOSSES
from ganlib.mnist.config import LOOPS, MNISTGANConfig
from ganlib.mnist.cuda_graph import GraphedIteration, graph_or_none
from ganlib.mnist.data import to_uint8
from ganlib.mnist.ema import ema_decay_at, make_ema, update_ema
from ganlib.mnist.models import Discriminator, Generator, SeededDropout, build_gan
from ganlib.mnist.progress import tqdm
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
from ganlib.mnist.run_state import RunRecords
from ganlib.mnist.steps import STAT_KEYS, GANStep

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
    "train_gan",
]

HISTORY_KEYS = ("step", "epoch", "seconds", *STAT_KEYS)


@dataclass
class TrainResult:
    """What :func:`train_gan` returns (and what a callback sees while training runs).

    Attributes
    ----------
    history : dict of lists, keys :data:`HISTORY_KEYS`; each record averages ``log_every``
        iterations. ``d_real``/``d_fake`` are the mean of :math:`D(x)` and :math:`D(G(z))`.
    samples : fixed-noise grids, uint8 tensors ``(grid_size, 28, 28)``, one per
        ``sample_epochs`` entry (epoch 0 is the untrained generator), drawn by
        :attr:`final_generator`.
    ema_generator : the moving average of G's weights (``config.ema_decay > 0``), else None.
    status : ``"running"``, ``"completed"``, ``"interrupted"`` or ``"diverged"``;
        ``message`` says why a run stopped early.
    saved_step : the iteration of the last checkpoint written or resumed from (``None``: none).
    data : what the run trains on: ``n_images``, ``sha256`` (:func:`data_fingerprint`, computed
        only when a checkpoint or history file is written) and the ``data_info`` given to
        :func:`train_gan`.
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
    ema_generator: Generator | None = None

    @property
    def final_generator(self) -> Generator:
        """The generator to sample and export: the averaged one when there is one, else G."""
        return self.generator if self.ema_generator is None else self.ema_generator


def check_images(images: torch.Tensor, batch_size: int) -> None:
    """Raise ``ValueError`` unless ``images`` is a float ``(N, 1, 28, 28)`` tensor in [-1, 1]."""
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        raise ValueError("images must be a float tensor; use ganlib.mnist.data.to_signed_unit(...)")
    if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
        raise ValueError(f"images must have shape (N, 1, 28, 28), got {tuple(images.shape)}")
    if images.shape[0] < batch_size:
        raise ValueError(f"batch_size={batch_size} exceeds the {images.shape[0]} images; lower it")
    low, high = torch.aminmax(images)
    low, high = low.item(), high.item()
    if not (low >= -1 - 1e-6 and high <= 1 + 1e-6):  # also catches NaN
        raise ValueError(
            f"images must lie in [-1, 1], got [{low:.3g}, {high:.3g}]; use to_signed_unit"
        )


class _Trainer(RunRecords):
    """The state of one run: the step, RNGs, the data order, the averaged G and the history.

    The history, checkpoints and stops are :class:`ganlib.mnist.run_state.RunRecords`'s.
    """

    def __init__(self, config: MNISTGANConfig, images: torch.Tensor, device: torch.device) -> None:
        self.config, self.device = config, device
        self.images = images.to(device)  # the whole data set, resident on the device
        G, D = build_gan(config.arch, config.latent_dim, generator=make_generator(config.seed))
        G, D = G.to(device), D.to(device)
        self.data_rng = make_generator(config.seed + 1, device)
        self.noise_rng = make_generator(config.seed + 2, device)
        self.dropout_rng = make_generator(config.seed + 4, device)
        self.augment_rng = make_generator(config.seed + 5, device)
        for layer in D.modules():  # dropout masks from the run's own stream
            if isinstance(layer, SeededDropout):
                layer.generator = self.dropout_rng
        graphs = config.cuda_graph and device.type == "cuda"
        self.step = GANStep(config, G, D, device, self.augment_rng, capturable=graphs)
        self.G_ema = make_ema(G) if config.ema_decay > 0 else None
        self.graphed: GraphedIteration | None = None
        self._graph_pending = config.cuda_graph
        fixed = make_generator(config.seed + 3, device)
        self.fixed_noise = self.noise((config.grid_size,), fixed)
        self.perm = self.new_permutation()
        self.cursor, self.elapsed, self.stats = 0, 0.0, []
        self.result = TrainResult(config, G, D, data={"n_images": int(images.shape[0])})
        self.result.ema_generator = self.G_ema
        self.data = self.result.data
        self.history_path: Path | None = None
        self.written_step: int | None = None  # the last checkpoint this process wrote
        self.stop = StopRequest()

    # the networks and optimisers, for the records and the tests
    G = property(lambda self: self.step.G)
    D = property(lambda self: self.step.D)
    opt_g = property(lambda self: self.step.opt_g)
    opt_d = property(lambda self: self.step.opt_d)

    # -- randomness --------------------------------------------------------------------------
    def noise(self, shape: tuple[int, ...], rng: torch.Generator | None = None) -> torch.Tensor:
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

    def draw_inputs(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One iteration's real batches and noise, in the order the plain loop draws them.

        Returns ``xs`` (k, m, 1, 28, 28) and ``zs`` (k, m, latent_dim), a real batch then its
        noise for each D step, and ``z_g`` (m, latent_dim), fresh noise for the G step
        (``None`` for the ``"tutorial"`` loop, whose G step reuses the last D step's fakes).
        """
        xs, zs = [], []
        for _ in range(self.config.k):
            xs.append(self.real_batch())  # m examples from p_data
            zs.append(self.noise((self.config.batch_size,)))  # m noise vectors
        fresh = self.config.loop != "tutorial"
        z_g = self.noise((self.config.batch_size,)) if fresh else None
        return torch.stack(xs), torch.stack(zs), z_g

    # -- Algorithm 1 -------------------------------------------------------------------------
    def iteration(self) -> None:
        """One iteration of Algorithm 1 (k D steps, one G step), then the averaged G moves."""
        inputs = self.draw_inputs()
        self.step.d_steps = self.result.step * self.config.k  # lazy R1's clock, from the step
        if self._graph_pending:  # capture at the first iteration (after a resume, too)
            self._graph_pending = False
            self.graphed = graph_or_none(self.step, inputs, self.device, tqdm.write)
        run = self.step.iteration if self.graphed is None else self.graphed
        self.stats.append(run(*inputs))
        self.result.step += 1
        if self.G_ema is not None:
            decay = ema_decay_at(self.config.ema_decay, self.result.step)
            update_ema(self.G_ema, self.G, decay)
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
        nets = (self.G, self.D) if self.G_ema is None else (self.G, self.D, self.G_ema)
        bad = nonfinite_parameter(*nets)
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
        """The final generator on the fixed noise, in eval mode (BatchNorm's running stats)."""
        G = self.result.final_generator
        was_training = G.training
        G.eval()
        with torch.no_grad():
            self.result.samples.append(to_uint8(G(self.fixed_noise)))
        G.train(was_training)
        self.result.sample_epochs.append(self.result.epoch)

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
        if not bar.disable:
            bar.set_postfix(d_loss=f"{h['d_loss'][-1]:.3f}", g_loss=f"{h['g_loss'][-1]:.3f}")
            bar.update(r.step - bar.n)
        saving = at_checkpoint and r.step != c.steps and r.checkpoint_path is not None
        if saving and self.save():
            tqdm.write(f"ganlib: checkpoint saved at step {r.step} ({r.checkpoint_path})")
        return r.status == "running"


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
    if checkpoint_path is not None or history_path is not None:
        trainer.data.update(data_fingerprint(images))  # hashing 60,000 images takes ~0.3 s
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
