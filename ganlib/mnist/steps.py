"""One iteration of Algorithm 1 on images: the networks, their optimisers and the updates.

Notebook 04 writes one iteration out in plain PyTorch and checks that :class:`GANStep` gives the
same weights. Each iteration is Algorithm 1 of Goodfellow et al. (2014) with the
discriminator's and generator's losses

.. math::
    L_D = -\\frac{1}{m}\\sum_i \\big[\\log D(x_i) + \\log(1 - D(G(z_i)))\\big],
    \\qquad
    L_G^{\\text{non-sat}} = -\\frac{1}{m}\\sum_i \\log D(G(z_i)),
    \\qquad
    L_G^{\\text{minimax}} = \\frac{1}{m}\\sum_i \\log(1 - D(G(z_i))),

computed from logits with ``binary_cross_entropy_with_logits`` (:mod:`ganlib.core.losses`). At
the equilibrium :math:`D = 1/2` each term is :math:`\\ln 2`, so :math:`L_D = \\ln 4`.

The reference implementations order the steps of one iteration differently (``config.loop``):

``"keras_gan"`` (Keras-GAN's ``gan/gan.py``)
    the fakes come from G in inference mode (``generator.predict``: BatchNorm uses its running
    statistics and does not update them); D takes **two** Adam steps,
    ``train_on_batch(real, 1)`` then ``train_on_batch(fake, 0)``; then G takes one step on
    **fresh** noise with label 1 through D (D is not updated).
``"tutorial"`` (the PyTorch tutorial MLP GAN)
    the fakes ``G(z)`` with G in training mode; one D step on the summed loss
    ``BCE(D(x), 1) + BCE(D(G(z).detach()), 0)``; then one G step on **the same** fakes.
``"joint"`` (ganlib's own variant, the default)
    one D step on the summed loss as in the tutorial, with the fakes drawn by G in training
    mode without gradients, then one G step on fresh noise.

With ``config.one_d_call`` the ``"joint"`` and ``"tutorial"`` D steps score the real and the
fake batch in one call, ``D(torch.cat([x, G(z)]))``: the same loss and gradients (D has no
BatchNorm, so each image's score depends on that image alone), computed with matrix products of
2m rows instead of two of m, and without adding two weight gradients; the rounding differs.

The generator step differentiates only with respect to G's parameters
(``torch.autograd.grad``), so no gradient of D's weights is computed for it. With
``config.augment_p > 0`` every image D sees, real or generated, in both updates, goes through
DiffAugment first (:mod:`ganlib.mnist.augment`), with its own seeded random stream. With
``config.r1_gamma > 0`` every ``config.r1_every``-th D step adds the R1 penalty on the real batch
(:func:`ganlib.core.losses.r1_penalty`), weighted by ``r1_every``:

.. math::
    L_D + \\frac{\\gamma\\, n_{R1}}{2}\\,\\frac{1}{m}\\sum_i
    \\lVert \\nabla_{x_i} \\ell(x_i) \\rVert^2 .

The reported :math:`L_D` leaves the penalty out, so that it still reads :math:`\\ln 4` at
:math:`D = 1/2`.

:class:`GANStep` draws no random numbers of its own except DiffAugment's and dropout's: the
real batches and the noise are its arguments, so :mod:`ganlib.mnist.training` draws them from
its seeded streams and :mod:`ganlib.mnist.cuda_graph` can replay the same computation on
static buffers.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from ganlib.core.losses import (
    discriminator_loss,
    discriminator_loss_term,
    generator_loss,
    r1_penalty,
)
from ganlib.mnist.augment import DiffAugmentConfig, diff_augment
from ganlib.mnist.config import MNISTGANConfig
from ganlib.mnist.models import Discriminator, Generator

__all__ = ["STAT_KEYS", "GANStep", "make_adam"]

#: What one iteration reports, in this order: L_D, L_G, mean D(x), mean D(G(z)).
STAT_KEYS = ("d_loss", "g_loss", "d_real", "d_fake")


def fused_adam_available(device: torch.device) -> bool:
    """Whether PyTorch has a fused Adam kernel for ``device`` (CPU, CUDA, MPS in torch 2.x)."""
    try:
        from torch.utils._foreach_utils import _get_fused_kernels_supported_devices
    except ImportError:  # a torch without it: the plain implementation
        return False
    return device.type in _get_fused_kernels_supported_devices()


def make_adam(
    params: Iterable[torch.nn.Parameter],
    lr: float,
    betas: tuple[float, float],
    device: torch.device,
    *,
    capturable: bool = False,
) -> torch.optim.Adam:
    """``torch.optim.Adam``, fused where the device has a fused kernel.

    ``fused=True`` does all of Adam's arithmetic for all parameters in one kernel; on a 2-core
    CPU it updates the PyTorch tutorial's 2.3 M parameters about 6 times faster than the default
    implementation, with the same maths (the weights agree to about 1e-9 after 50 steps; a
    loop that wants identical weights uses ``fused=True`` too, as notebook 04 does).
    ``capturable=True`` keeps the step counter on the device, for CUDA graphs.
    """
    fused = fused_adam_available(device)
    return torch.optim.Adam(
        list(params), lr=lr, betas=betas, fused=fused or None, capturable=capturable
    )


class GANStep:
    """G, D, their Adam optimisers and one iteration of Algorithm 1 (see the module docstring).

    Parameters
    ----------
    config : MNISTGANConfig
        ``loop``, ``loss``, ``k``, the Adam settings and ``augment_p``.
    generator, discriminator : the networks, already on ``device``.
    device : where they live.
    augment_rng : the generator DiffAugment draws from (``None`` when ``augment_p == 0``).
    capturable : optimisers safe to capture in a CUDA graph.
    """

    def __init__(
        self,
        config: MNISTGANConfig,
        generator: Generator,
        discriminator: Discriminator,
        device: torch.device,
        augment_rng: torch.Generator | None = None,
        *,
        capturable: bool = False,
    ) -> None:
        self.config, self.G, self.D = config, generator, discriminator
        betas = (config.beta1, config.beta2)
        self.opt_g = make_adam(generator.parameters(), config.lr_g, betas, device,
                               capturable=capturable)  # fmt: skip
        self.opt_d = make_adam(discriminator.parameters(), config.lr_d, betas, device,
                               capturable=capturable)  # fmt: skip
        self.augment = DiffAugmentConfig(p=config.augment_p) if config.augment_p > 0 else None
        self.augment_rng = augment_rng
        self.fake: torch.Tensor | None = None  # the "tutorial" loop's fakes, for its G step
        #: D steps taken so far; the trainer sets it from the iteration count (lazy R1's clock)
        self.d_steps = 0

    def seen(self, images: torch.Tensor) -> torch.Tensor:
        """What D is shown: :math:`T(x)` with DiffAugment on, else the images themselves."""
        if self.augment is None:
            return images
        return diff_augment(images, self.augment, self.augment_rng)

    def r1_due(self) -> bool:
        """Count one D step; whether it adds the R1 penalty (every ``r1_every``-th, if any)."""
        self.d_steps += 1
        c = self.config
        return c.r1_gamma > 0 and self.d_steps % c.r1_every == 0

    def with_r1(self, loss: torch.Tensor, logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """``loss`` plus the lazy R1 penalty :math:`(\\gamma n_{R1} / 2) R_1` of ``logits =
        D(real)``, where ``real`` was marked ``requires_grad`` before D saw it."""
        c = self.config
        return loss + 0.5 * c.r1_gamma * c.r1_every * r1_penalty(logits, real)

    @staticmethod
    def _adam_step(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)  # no stale gradients between steps

    def d_step(
        self, x: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Ascend V(D, G) = E log D(x) + E log(1 - D(G(z))), i.e. descend L_D (per ``loop``).

        ``x``: m real images (N, 1, 28, 28); ``z``: m noise vectors. Returns L_D and the logits
        of the real and the fake batch (detached).
        """
        c = self.config
        r1 = self.r1_due()
        if c.loop == "keras_gan":
            self.G.eval()  # generator.predict: BatchNorm in inference mode
            with torch.no_grad():
                fake = self.G(z)
            self.G.train()
            real = self.real_input(x, r1)
            real_logits = self.D(real)  # D.train_on_batch(real, ones): one Adam step
            real_loss = discriminator_loss_term(real_logits, True, c.loss)
            penalised = self.with_r1(real_loss, real_logits, real) if r1 else real_loss
            self._adam_step(self.opt_d, penalised)
            fake_logits = self.D(self.seen(fake))  # D.train_on_batch(fake, zeros): a second step
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
        real = self.real_input(x, r1)
        if c.one_d_call:  # one pass over both batches: the same sums, larger matrix products
            real_logits, fake_logits = self.D(torch.cat([real, self.seen(fake)])).chunk(2)
        else:
            real_logits, fake_logits = self.D(real), self.D(self.seen(fake))
        # -log D(x) (label 1) plus -log(1 - D(G(z))) (label 0): ln 4 at D = 1/2
        loss = discriminator_loss(real_logits, fake_logits, c.loss)
        self._adam_step(self.opt_d, self.with_r1(loss, real_logits, real) if r1 else loss)
        return loss.detach(), real_logits.detach(), fake_logits.detach()

    def real_input(self, x: torch.Tensor, r1: bool) -> torch.Tensor:
        """What D sees of the real batch; marked for an input gradient when R1 is due."""
        real = self.seen(x)
        return real.detach().requires_grad_(True) if r1 else real

    def g_step(self, z: torch.Tensor | None) -> torch.Tensor:
        """Descend L_G on ``G(z)`` (fresh noise), or on the tutorial's fakes when ``z`` is None.

        Gradients are taken for G's parameters only; D is not updated.
        """
        if z is None:
            if self.fake is None:
                raise ValueError("g_step(None) needs the fakes of a 'tutorial' d_step first")
            fake, self.fake = self.fake, None
        else:
            fake = self.G(z)
        loss = generator_loss(self.D(self.seen(fake)), self.config.loss)  # -log D(G(z))
        params = [p for p in self.G.parameters() if p.requires_grad]
        grads = torch.autograd.grad(loss, params)  # D's weight gradients are never computed
        self.opt_g.zero_grad(set_to_none=True)
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        self.opt_g.step()
        self.opt_g.zero_grad(set_to_none=True)
        return loss.detach()

    def iteration(
        self, xs: torch.Tensor, zs: torch.Tensor, z_g: torch.Tensor | None
    ) -> torch.Tensor:
        """k discriminator steps, then one generator step; returns the (4,) :data:`STAT_KEYS`.

        Parameters
        ----------
        xs : (k, m, 1, 28, 28) real batches, one per D step
        zs : (k, m, latent_dim) noise, one batch per D step
        z_g : (m, latent_dim) fresh noise for the G step (``None`` for the ``"tutorial"`` loop,
            which reuses the fakes of the last D step)
        """
        for x, z in zip(xs, zs, strict=True):
            d_loss, real_logits, fake_logits = self.d_step(x, z)
        g_loss = self.g_step(z_g)
        d_real, d_fake = torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()
        return torch.stack([d_loss, g_loss, d_real, d_fake])
