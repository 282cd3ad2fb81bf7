"""The MNIST GANs of notebook 04, as PyTorch modules: the reference MLPs and a small DCGAN.

Two architectures of the reference material are reproduced layer for layer:

``"tutorial_mlp"``
    The PyTorch tutorial MLP GAN. G: Linear(128, 256) Tanh, Linear(256, 512) ReLU,
    Linear(512, 784) Tanh; D: Linear(784, 512) Tanh, Linear(512, 256) Tanh, Linear(256, 128) Tanh,
    Linear(128, 1). PyTorch's default initialisation.
``"keras_gan"``
    The Keras-GAN ``gan/gan.py`` MLP of Keras-GAN's MLP GAN. G: latent 100; three blocks of
    Dense, LeakyReLU(0.2), BatchNormalization(momentum=0.8) of widths 256, 512, 1024; Dense 784
    tanh. D: Flatten; Dense 512, LeakyReLU(0.2); Dense 256, LeakyReLU(0.2); Dense 1. Keras's
    default initialisation (Glorot-uniform weights, zero biases) and BatchNorm ``epsilon=1e-3``.
``"keras_gan_dropout"``
    A measured variant: ``keras_gan`` with ``Dropout(0.3)`` after each hidden layer of the
    discriminator, meant to stop the discriminator memorising the 4,000 offline digits. After
    6,000 iterations (one seed each) it kept every digit class within 5-15 % of samples, which
    ``keras_gan`` missed narrowly, so it is notebook 04's choice and the shipped ``default``
    generator (see :mod:`ganlib.mnist.pretrained`); its Fréchet distance and Parzen score were worse
    than ``keras_gan``'s, though, so ``build_gan``'s default stays the reference ``keras_gan``.
    Its dropout masks come from a seeded generator (:class:`SeededDropout`), so runs repeat and
    resume exactly.

One convolutional GAN answers "how do real image GANs do it?":

``"dcgan"``
    A small DCGAN (Radford et al. 2016, arXiv 1511.06434) for 28x28 digits, latent 100. G:
    ``ConvTranspose2d(100, 128, 7)`` (1x1 -> 7x7), BatchNorm, ReLU; ``ConvTranspose2d(128, 64,
    4, stride 2, padding 1)`` (-> 14x14), BatchNorm, ReLU; ``ConvTranspose2d(64, 1, 4, 2, 1)``
    (-> 28x28), tanh. D: ``Conv2d(1, 64, 4, 2, 1)`` (-> 14x14), LeakyReLU(0.2);
    ``Conv2d(64, 128, 4, 2, 1)`` (-> 7x7), LeakyReLU(0.2); ``Conv2d(128, 1, 7)`` (-> one logit).
    The paper's recipe: fractional-strided convolutions in G and strided ones in D instead of
    pooling, no fully connected hidden layers, BatchNorm in G (not on its output), ReLU in G
    with tanh out, LeakyReLU(0.2) in D, weights drawn from :math:`\\mathcal{N}(0, 0.02^2)`
    (BatchNorm scales from :math:`\\mathcal{N}(1, 0.02^2)`), Adam(2e-4, beta1 = 0.5). D has no
    BatchNorm, so each image's score depends on that image alone (the D(x) gap of notebook 04
    compares single images). 759,681 parameters in G, 138,561 in D; 7.25 M multiply-adds per
    sample through G and 6.63 M through D (:func:`forward_macs`). On the 4,000 offline digits
    (one seed, batch 64, Adam 2e-4, beta1 0.5), half these widths reached a Fréchet distance
    of 55 after 6,000 iterations and this size 38 after 7,500, still falling.

Keras's ``BatchNormalization(momentum=0.8)`` keeps 80 % of the old running statistic at each
update; PyTorch's ``momentum`` is the weight of the *new* batch, so the same layer is
``BatchNorm1d(n, momentum=0.2, eps=1e-3)``. The popular port ``BatchNorm1d(n, 0.8)`` passes 0.8 as
the second positional argument, which is ``eps``, not ``momentum``.

Every discriminator returns *logits* of shape ``(N,)``: the reference models end in a Sigmoid
that is trained with binary cross-entropy, and

.. math::
    \\mathrm{BCE}(\\sigma(\\ell), y) = \\mathrm{BCEWithLogits}(\\ell, y)
    = -y \\log \\sigma(\\ell) - (1 - y) \\log(1 - \\sigma(\\ell)),

so dropping the Sigmoid and using ``BCEWithLogitsLoss`` is the same loss, computed without
overflow when :math:`\\sigma(\\ell)` rounds to 0 or 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

IMAGE_SHAPE = (1, 28, 28)
IMAGE_SIZE = 28 * 28
ARCHITECTURES: tuple[str, ...] = ("keras_gan", "tutorial_mlp", "keras_gan_dropout", "dcgan")
DEFAULT_ARCH = "keras_gan"
#: Names used before the public names (old checkpoints and records still load).
ARCH_ALIASES = {"mlp": "keras_gan_dropout"}
DEFAULT_LATENT_DIM = {
    "tutorial_mlp": 128,
    "keras_gan": 100,
    "keras_gan_dropout": 100,
    "dcgan": 100,
}
#: Channels of the DCGAN's G at 7x7 and 14x14 (then 1 at 28x28).
DCGAN_G_CHANNELS = (128, 64)
#: Channels of the DCGAN's D at 14x14 and 7x7 (then one logit).
DCGAN_D_CHANNELS = (64, 128)
#: DCGAN's initialisation: weights from N(0, 0.02^2) (Radford et al. 2016, section 4).
DCGAN_INIT_STD = 0.02

#: Keras ``BatchNormalization(momentum=0.8)`` in PyTorch's convention (weight of the new batch).
KERAS_BN_MOMENTUM = 1.0 - 0.8
#: Keras's default ``BatchNormalization`` epsilon (PyTorch's default is 1e-5).
KERAS_BN_EPS = 1e-3


class Generator(nn.Module):
    """Map latent vectors to images: ``z (N, latent_dim) -> x (N, 1, 28, 28)`` in ``[-1, 1]``.

    Parameters
    ----------
    body : nn.Module
        Maps ``(N, latent_dim)`` to ``(N, 784)`` (the MLPs) or ``(N, 1, 28, 28)`` (the DCGAN)
        and ends in ``tanh``.
    latent_dim : int
        Size of the noise vector :math:`z \\sim \\mathcal{N}(0, I)`.
    """

    def __init__(self, body: nn.Module, latent_dim: int) -> None:
        super().__init__()
        self.body = body
        self.latent_dim = latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Return ``G(z)`` of shape ``(N, 1, 28, 28)``."""
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(
                f"z must have shape (N, {self.latent_dim}), got {tuple(z.shape)}; "
                f"draw it with torch.randn(n, generator.latent_dim)"
            )
        return self.body(z).view(z.shape[0], *IMAGE_SHAPE)


class Discriminator(nn.Module):
    """Score images: ``x (N, 1, 28, 28) -> logits (N,)``; :math:`D(x) = \\sigma(\\text{logit})`."""

    def __init__(self, body: nn.Module) -> None:
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the logits of ``D(x)``, shape ``(N,)``."""
        if x.dim() != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
            raise ValueError(f"x must have shape (N, 1, 28, 28), got {tuple(x.shape)}")
        return self.body(x).view(x.shape[0])


class SeededDropout(nn.Dropout):
    """``nn.Dropout`` that draws its masks from its own ``torch.Generator``.

    In training mode each activation is kept with probability :math:`1 - p` and scaled by
    :math:`1 / (1 - p)`, so that :math:`\\mathbb{E}[\\text{output}] = \\text{input}`:

    .. math:: y = \\frac{m \\odot x}{1 - p}, \\qquad m_i \\sim \\mathrm{Bernoulli}(1 - p).

    ``nn.Dropout`` draws :math:`m` from the global RNG, which any other code may advance, so a
    run could neither be repeated nor resumed bit for bit. Set :attr:`generator` (a generator on
    the input's device) to make the masks part of the run's own, checkpointed random state;
    with ``generator=None`` it behaves exactly like ``nn.Dropout``. It has no parameters or
    buffers, so state_dicts are the same as with ``nn.Dropout``.
    """

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply dropout (training mode) or the identity (eval mode)."""
        if self.generator is None or not self.training or self.p == 0.0:
            return super().forward(x)
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p, generator=self.generator)
        return x * keep / (1.0 - self.p)


def torch_default_init(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default ``nn.Conv2d``/``nn.Linear`` initialisation, drawn from ``generator``.

    Draws in the order of ``module.modules()`` from ``generator``, never from the global RNG.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(layer.weight[0].numel())  # 1 / sqrt(fan_in)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


def _keras_default_init(module: nn.Module, generator: torch.Generator) -> None:
    """Keras's ``Dense`` initialisation (Glorot-uniform kernel, zero bias), from ``generator``."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight, generator=generator)
            nn.init.zeros_(layer.bias)


def _tutorial_mlp(latent_dim: int) -> tuple[nn.Sequential, nn.Sequential]:
    g = nn.Sequential(
        nn.Linear(latent_dim, 256), nn.Tanh(),
        nn.Linear(256, 512), nn.ReLU(),
        nn.Linear(512, IMAGE_SIZE), nn.Tanh(),
    )  # fmt: skip
    d = nn.Sequential(
        nn.Flatten(),
        nn.Linear(IMAGE_SIZE, 512), nn.Tanh(),
        nn.Linear(512, 256), nn.Tanh(),
        nn.Linear(256, 128), nn.Tanh(),
        nn.Linear(128, 1),  # the reference's Sigmoid lives in BCEWithLogitsLoss
    )  # fmt: skip
    return g, d


def _keras_generator(latent_dim: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = latent_dim
    for out in (256, 512, 1024):  # Dense, LeakyReLU(0.2), BatchNormalization(momentum=0.8)
        layers += [
            nn.Linear(width, out),
            nn.LeakyReLU(0.2),
            nn.BatchNorm1d(out, momentum=KERAS_BN_MOMENTUM, eps=KERAS_BN_EPS),
        ]
        width = out
    layers += [nn.Linear(width, IMAGE_SIZE), nn.Tanh()]
    return nn.Sequential(*layers)


def _keras_discriminator(dropout: float) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Flatten()]
    width = IMAGE_SIZE
    for out in (512, 256):  # Dense, LeakyReLU(0.2) [, Dropout]
        layers += [nn.Linear(width, out), nn.LeakyReLU(0.2)]
        if dropout > 0:
            layers.append(SeededDropout(dropout))
        width = out
    layers.append(nn.Linear(width, 1))  # the reference's sigmoid lives in BCEWithLogitsLoss
    return nn.Sequential(*layers)


def _keras_gan(latent_dim: int) -> tuple[nn.Sequential, nn.Sequential]:
    return _keras_generator(latent_dim), _keras_discriminator(dropout=0.0)


def _keras_gan_dropout(latent_dim: int) -> tuple[nn.Sequential, nn.Sequential]:
    return _keras_generator(latent_dim), _keras_discriminator(dropout=0.3)


def _dcgan(latent_dim: int) -> tuple[nn.Sequential, nn.Sequential]:
    g7, g14 = DCGAN_G_CHANNELS
    d14, d7 = DCGAN_D_CHANNELS
    g = nn.Sequential(
        nn.Unflatten(1, (latent_dim, 1, 1)),  # (N, latent_dim, 1, 1)
        nn.ConvTranspose2d(latent_dim, g7, 7, bias=False),  # (N, 128, 7, 7)
        nn.BatchNorm2d(g7), nn.ReLU(),
        nn.ConvTranspose2d(g7, g14, 4, stride=2, padding=1, bias=False),  # (N, 64, 14, 14)
        nn.BatchNorm2d(g14), nn.ReLU(),
        nn.ConvTranspose2d(g14, 1, 4, stride=2, padding=1),  # (N, 1, 28, 28)
        nn.Tanh(),
    )  # fmt: skip
    d = nn.Sequential(
        nn.Conv2d(1, d14, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # (N, 64, 14, 14)
        nn.Conv2d(d14, d7, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # (N, 128, 7, 7)
        nn.Conv2d(d7, 1, 7),  # (N, 1, 1, 1): one logit, the sigmoid lives in the loss
    )  # fmt: skip
    return g, d


def dcgan_init(module: nn.Module, generator: torch.Generator) -> None:
    r"""DCGAN's initialisation, drawn from ``generator`` in the order of ``module.modules()``.

    Convolution weights :math:`w \sim \mathcal{N}(0, 0.02^2)` and biases 0; BatchNorm scales
    :math:`\gamma \sim \mathcal{N}(1, 0.02^2)` and shifts 0 (as in pytorch/examples'
    ``dcgan``).
    """
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(layer.weight, 0.0, DCGAN_INIT_STD, generator=generator)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, DCGAN_INIT_STD, generator=generator)
            nn.init.zeros_(layer.bias)


_BUILDERS: dict[str, tuple[Callable[[int], tuple[nn.Sequential, nn.Sequential]], Callable]] = {
    "tutorial_mlp": (_tutorial_mlp, torch_default_init),
    "keras_gan": (_keras_gan, _keras_default_init),
    "keras_gan_dropout": (_keras_gan_dropout, _keras_default_init),
    "dcgan": (_dcgan, dcgan_init),
}


def build_gan(
    arch: str = DEFAULT_ARCH,
    latent_dim: int | None = None,
    *,
    generator: torch.Generator | None = None,
) -> tuple[Generator, Discriminator]:
    """Build a fresh ``(G, D)`` pair.

    Parameters
    ----------
    arch : str
        One of :data:`ARCHITECTURES`: ``"keras_gan"`` (Keras-GAN's MLP GAN, the default),
        ``"tutorial_mlp"``, ``"keras_gan_dropout"`` (``keras_gan`` with dropout in D) or
        ``"dcgan"`` (the small convolutional GAN).
    latent_dim : int, optional
        Size of :math:`z`; ``None`` uses the reference value (128 for tutorial_mlp, 100 otherwise).
    generator : torch.Generator, optional
        CPU generator for the initial weights, so that a seed fixes them without touching the
        global RNG. ``None`` draws them from a generator seeded with 0.

    Returns
    -------
    (Generator, Discriminator)
        ``G: (N, latent_dim) -> (N, 1, 28, 28)`` and ``D: (N, 1, 28, 28) -> logits (N,)``.
    """
    arch = ARCH_ALIASES.get(arch, arch)
    if arch not in _BUILDERS:
        raise ValueError(f"arch={arch!r} is unknown; use one of {ARCHITECTURES}")
    if latent_dim is None:
        latent_dim = DEFAULT_LATENT_DIM[arch]
    if not isinstance(latent_dim, int) or isinstance(latent_dim, bool) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive int (e.g. 100), got {latent_dim!r}")
    make_bodies, init = _BUILDERS[arch]
    with torch.random.fork_rng(devices=[]):  # nn.Linear's own init draws from the global RNG
        g_body, d_body = make_bodies(latent_dim)
    if generator is None:
        generator = torch.Generator().manual_seed(0)
    init(g_body, generator)
    init(d_body, generator)
    return Generator(g_body, latent_dim), Discriminator(d_body)


def count_parameters(module: nn.Module) -> dict[str, int]:
    """Count parameters the way Keras's ``model.summary()`` does.

    Returns
    -------
    dict
        ``trainable`` (parameters with gradients), ``non_trainable`` (BatchNorm running means
        and variances; PyTorch's ``num_batches_tracked`` counter has no Keras counterpart and is
        left out) and ``total``.
    """
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    stats = sum(b.numel() for name, b in module.named_buffers() if "running_" in name)
    return {
        "trainable": trainable,
        "non_trainable": frozen + stats,
        "total": trainable + frozen + stats,
    }


def layer_macs(module: nn.Module, input_shape: tuple[int, ...]) -> list[tuple[str, int]]:
    """Multiply-adds per sample of every ``Linear``/``Conv2d``/``ConvTranspose2d``, forward.

    A Linear layer ``in -> out`` costs :math:`c_{in} c_{out}` multiply-adds (MAC); a convolution
    with a :math:`k_h \\times k_w` kernel computes each of its :math:`c_{out} H_{out} W_{out}`
    outputs from :math:`(c_{in} / g)\\, k_h k_w` inputs; a transposed convolution scatters each
    of its :math:`c_{in} H_{in} W_{in}` inputs into :math:`(c_{out} / g)\\, k_h k_w` outputs:

    .. math::
        \\mathrm{MAC}_{conv} = c_{out} H_{out} W_{out} \\frac{c_{in}}{g} k_h k_w, \\qquad
        \\mathrm{MAC}_{conv^T} = c_{in} H_{in} W_{in} \\frac{c_{out}}{g} k_h k_w.

    Biases, BatchNorm and activations (a few per cent) are not counted; one MAC is 2 FLOP.

    Parameters
    ----------
    module : nn.Module
        Run once, in eval mode and without gradients, on zeros of shape ``(1, *input_shape)``
        to read the layers' spatial sizes (its train/eval mode is restored).
    input_shape : tuple of int
        One sample's shape, e.g. ``(100,)`` for a generator, ``(1, 28, 28)`` for a discriminator.

    Returns
    -------
    list of (str, int)
        ``(layer name, MACs)`` in the order the layers run.
    """
    counts: list[tuple[str, int]] = []

    def hook(name: str) -> Callable:
        def record(layer: nn.Module, inputs: tuple[torch.Tensor], output: torch.Tensor) -> None:
            if isinstance(layer, nn.Linear):
                macs = layer.in_features * layer.out_features
            else:
                kernel = math.prod(layer.kernel_size)
                c_in, c_out, g = layer.in_channels, layer.out_channels, layer.groups
                spatial = output if isinstance(layer, nn.Conv2d) else inputs[0]
                channels = c_out * c_in // g
                macs = channels * kernel * math.prod(spatial.shape[2:])
            counts.append((name, macs))

        return record

    kinds = nn.Linear | nn.Conv2d | nn.ConvTranspose2d
    handles = [
        m.register_forward_hook(hook(n)) for n, m in module.named_modules() if isinstance(m, kinds)
    ]
    was_training = module.training
    try:
        with torch.no_grad():
            module.eval()(torch.zeros(1, *input_shape))
    finally:
        module.train(was_training)
        for h in handles:
            h.remove()
    return counts


def forward_macs(module: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Total multiply-adds per sample of one forward pass (see :func:`layer_macs`)."""
    return sum(macs for _, macs in layer_macs(module, input_shape))
