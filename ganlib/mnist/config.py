"""The settings of one MNIST GAN run, and the reference recipes (notebook 04).

:class:`MNISTGANConfig` is a frozen dataclass: every field is checked when it is built, and a bad
value raises ``ValueError`` naming the setting. Its constructors :meth:`MNISTGANConfig.keras_gan`
and :meth:`MNISTGANConfig.tutorial` are the two reference recipes; the defaults are ganlib's own
``"joint"`` loop with Keras-GAN's networks and Adam settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from ganlib.core.losses import LOSSES
from ganlib.core.validation import check_bool, check_choice, check_float, check_int
from ganlib.mnist.models import ARCH_ALIASES, ARCHITECTURES, DEFAULT_ARCH

__all__ = ["LOOPS", "MNISTGANConfig"]

#: The orders of one iteration (see :mod:`ganlib.mnist.training`).
LOOPS: tuple[str, ...] = ("joint", "keras_gan", "tutorial")


@dataclass(frozen=True)
class MNISTGANConfig:
    """Hyperparameters of one MNIST GAN run (defaults: ganlib's ``"joint"`` loop, Keras-GAN's MLP).

    The reference recipes are :meth:`keras_gan` and :meth:`tutorial`; the defaults are Keras-GAN's
    model and Adam settings, batch 64, the ``"joint"`` loop.

    Attributes
    ----------
    arch, latent_dim : architecture name (see :mod:`ganlib.mnist.models`) and size of z
        (``None``: the architecture's reference value).
    steps : number of iterations, each k discriminator steps then one generator step.
    batch_size : m, the minibatch size of real images and of noise vectors.
    k : discriminator steps per iteration (the paper used 1).
    loop : the order of one iteration, one of :data:`LOOPS` (see :mod:`ganlib.mnist.training`).
    loss : ``"non-saturating"`` (:math:`-\\log D(G(z))`), ``"minimax"``
        (:math:`\\log(1 - D(G(z)))`) or ``"least-squares"``.
    lr_d, lr_g, beta1, beta2 : Adam settings of D and G.
    seed : seeds the initial weights, the data order, the noise, the dropout masks and the
        augmentation.
    log_every : iterations averaged into one history record (also how often the losses are
        read back from the device).
    checkpoint_every : iterations between checkpoints (0: only at the end).
    grid_every, grid_size : a fixed-noise sample grid of ``grid_size`` images every
        ``grid_every`` epochs.
    augment_p : DiffAugment (:mod:`ganlib.mnist.augment`, translation then cutout) applied with
        this probability to every image D sees, real and generated, in both updates; 0 (the
        default) turns it off.
    ema_decay : :math:`\\beta` of an exponential moving average of G's weights
        (:mod:`ganlib.mnist.ema`), the generator that is sampled and exported; 0 (the default)
        turns it off. 0.999 averages over about the last 1,000 iterations.
    one_d_call : score the real and the fake batch in one call of D in the ``"joint"`` and
        ``"tutorial"`` loops (:mod:`ganlib.mnist.steps`): the same maths, faster on a CPU;
        ``False`` (the default) calls D once per batch, as the reference loops do.
    r1_gamma : :math:`\\gamma` of the R1 penalty (Mescheder et al. 2018): D's loss adds
        :math:`\\tfrac{\\gamma}{2}\\,\\mathbb{E}_x \\lVert \\nabla_x \\ell(x) \\rVert^2` on the
        real batch, which flattens D's logit around the real digits so that it cannot grow sharp
        spikes there; 0 (the default) turns it off.
    r1_every : the penalty every ``r1_every``-th D step only, weighted by ``r1_every`` ("lazy"
        regularisation, Karras et al. 2020): the same expected penalty for a fraction of its
        cost (a second backward pass through D). 1: every D step.
    cuda_graph : on a CUDA device, capture one iteration in a CUDA graph and replay it
        (:mod:`ganlib.mnist.cuda_graph`); elsewhere, or for an iteration that draws random
        numbers inside (dropout, augmentation), the plain loop runs and a note says why. The
        results are those of the plain loop up to rounding.
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
    augment_p: float = 0.0
    ema_decay: float = 0.0
    one_d_call: bool = False
    cuda_graph: bool = False
    r1_gamma: float = 0.0
    r1_every: int = 1

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
        check_float("augment_p", self.augment_p, 0.0, 1.0)
        check_float("ema_decay", self.ema_decay, 0.0, 1.0, high_open=True)
        check_float("r1_gamma", self.r1_gamma, 0.0, 1e4)
        check_int("r1_every", self.r1_every, 1, 10**6)
        check_bool("one_d_call", self.one_d_call)
        check_bool("cuda_graph", self.cuda_graph)
        if self.one_d_call and self.loop == "keras_gan":
            raise ValueError(
                "one_d_call=True needs the 'joint' or 'tutorial' loop: Keras-GAN's loop takes "
                "two separate D steps, on the real and on the fake batch"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON- and ``weights_only``-safe)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> MNISTGANConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``. A record without
        ``loop`` (written before the loops had names) was trained with ``"joint"``; one
        without ``augment_p``, ``ema_decay``, ``one_d_call``, ``cuda_graph`` or ``r1_gamma``
        used none of them."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(
                f"unknown MNISTGANConfig settings {sorted(unknown)}; known: {sorted(known)}"
            )
        return cls(**values)
