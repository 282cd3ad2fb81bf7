r"""Small generator and discriminator networks for 1-D data (notebook 02).

Both networks are plain multilayer perceptrons described by :class:`ToyNetConfig`:

* :class:`ToyGenerator` maps noise :math:`z` of shape ``(N, noise_dim)`` to samples ``(N, 1)``.
* :class:`ToyDiscriminator` maps each sample ``(N, 1)`` to one raw output ``(N, 1)``: for the BCE
  losses a logit, with :math:`D(x) = \sigma(\text{logit})` applied inside ``BCEWithLogitsLoss``;
  for least squares D(x) itself (:func:`ganlib.core.game.discriminator_output`).
* :class:`MinibatchDiscriminator` is the 50-line GAN's variant: it looks at a whole group of
  ``group`` samples at once, as one vector, optionally "decorated" with each sample's squared
  deviation from the group mean, so it can see the spread of a batch and punish a generator that
  collapses.

Why the default generator ends in a *linear* layer
-------------------------------------------------
The 50-line GAN's generator is ``Linear(1,50) ELU, Linear(50,50) Sigmoid, Linear(50,1)``. The
Sigmoid before the last layer squeezes every hidden unit into (0, 1), so the output is confined to
:math:`b \pm \sum_j |w_j|`: to reach the target's tails (4 ± 3·1.25) the last weights must first
grow, and the Sigmoid's flat ends give small gradients while they do. The default here has a
linear output, so the output range is set directly by the last layer's weights and bias.

Standardised data (the default)
-------------------------------
With ``standardise`` (the default; off in :meth:`ToyNetConfig.reference`) the networks work in
the data's own units, as one scales images to [-1, 1] before an image GAN sees them: D sees
:math:`(x - \hat\mu)/\hat\sigma` and G's last layer output :math:`o` becomes
:math:`x = \hat\mu + \hat\sigma o`, where :math:`\hat\mu, \hat\sigma` are the mean and
std of a sample of the data; G's uniform input is scaled to :math:`[-1, 1)`, :math:`2z - 1`,
so that it is centred on 0 where PyTorch's initialisation puts the first layer's kinks (normal
noise is left as it is). :func:`build_toy_nets` takes the four numbers. The problem is
unchanged (the same data, the same noise; G must still bend its uniform input into a bell); what
goes away is the trivial part, moving the output by 4 and stretching it by 1.25, which Adam,
moving each weight by about one learning rate per step, would otherwise spend a thousand steps
on; and D's first-layer kinks, which PyTorch's initialisation puts around 0, start where the
data are.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ganlib.core.validation import check_bool, check_choice, check_int, check_sequence

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
}


@dataclass(frozen=True)
class ToyNetConfig:
    """Architecture of the toy G and D.

    Attributes
    ----------
    noise_dim : int
        Dimension of the noise :math:`z` fed to G.
    g_hidden, d_hidden : tuple of int
        Widths of the hidden layers of G and D.
    g_activations, d_activations : tuple of str
        One activation per hidden layer, names from :data:`ACTIVATIONS`.
    minibatch : bool
        Use :class:`MinibatchDiscriminator` (the 50-line GAN's variant) instead of the per-sample D.
    minibatch_group : int
        Samples the minibatch D sees at once (the 50-line GAN: 100); the batch size must be a
        multiple.
    minibatch_deviations : bool
        Append the squared deviations from the group mean (input size ``2 * minibatch_group``).
    standardise : bool
        Work in standardised units of the data (see the module docstring).
    """

    noise_dim: int = 1
    g_hidden: tuple[int, ...] = (32, 32)
    g_activations: tuple[str, ...] = ("leaky_relu", "leaky_relu")
    d_hidden: tuple[int, ...] = (32, 32)
    d_activations: tuple[str, ...] = ("leaky_relu", "leaky_relu")
    minibatch: bool = False
    minibatch_group: int = 100
    minibatch_deviations: bool = True
    standardise: bool = True

    @classmethod
    def reference(cls, minibatch: bool = True) -> ToyNetConfig:
        """The 50-line GAN's networks: G 1→50 ELU →50 Sigmoid →1, D 200→50 ELU →50 ELU →1.

        Its D is the minibatch D (100 samples and their squared deviations from the batch mean,
        as one vector); ``minibatch=False`` gives the same layers as a per-sample D (1→50→50→1),
        whose D(x) can be drawn. Raw data, not standardised.
        """
        return cls(
            noise_dim=1,
            g_hidden=(50, 50),
            g_activations=("elu", "sigmoid"),
            d_hidden=(50, 50),
            d_activations=("elu", "elu"),
            minibatch=minibatch,
            standardise=False,
        )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid field and its valid range."""
        check_int("net.noise_dim", self.noise_dim, 1, 1024)
        check_int("net.minibatch_group", self.minibatch_group, 1, 100_000)
        check_bool("net.minibatch", self.minibatch)
        check_bool("net.minibatch_deviations", self.minibatch_deviations)
        check_bool("net.standardise", self.standardise)
        for net in ("g", "d"):
            widths = check_sequence(f"net.{net}_hidden", getattr(self, f"{net}_hidden"))
            acts = check_sequence(f"net.{net}_activations", getattr(self, f"{net}_activations"))
            if len(widths) != len(acts):
                raise ValueError(
                    f"net.{net}_hidden has {len(widths)} layers but net.{net}_activations has "
                    f"{len(acts)}; give one activation per hidden layer"
                )
            for w in widths:
                check_int(f"net.{net}_hidden", w, 1, 100_000)
            for act in acts:
                check_choice(f"net.{net}_activations", act, tuple(ACTIVATIONS))


def mlp(n_in: int, hidden: tuple[int, ...], activations: tuple[str, ...]) -> nn.Sequential:
    """``Linear, act, ..., Linear(->1)``: hidden layers with given activations, linear output."""
    layers: list[nn.Module] = []
    width = n_in
    for h, act in zip(hidden, activations, strict=True):
        layers += [nn.Linear(width, h), ACTIVATIONS[act]()]
        width = h
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


class _DataUnits(nn.Module):
    """Holds the data's location and scale (buffers: saved with the weights, never trained)."""

    def __init__(self, shift: float, scale: float) -> None:
        super().__init__()
        if not scale > 0:
            raise ValueError(f"data_std must be > 0, got {scale}")
        self.register_buffer("shift", torch.tensor(float(shift)))
        self.register_buffer("scale", torch.tensor(float(scale)))


class ToyGenerator(_DataUnits):
    r"""G: noise ``(N, noise_dim)`` → samples ``(N, 1)``, :math:`x = \mu + \sigma\,o((z - a)/b)`.

    :math:`o` is the MLP; ``shift`` :math:`\mu` and ``scale`` :math:`\sigma` are the data's
    mean and std, ``noise_units`` :math:`(a, b)` the noise's, when the nets are standardised;
    else 0 and 1.
    """

    def __init__(
        self,
        config: ToyNetConfig,
        shift: float = 0.0,
        scale: float = 1.0,
        noise_units: tuple[float, float] = (0.0, 1.0),
    ) -> None:
        super().__init__(shift, scale)
        self.noise_dim = config.noise_dim
        self.register_buffer("noise_shift", torch.tensor(float(noise_units[0])))
        self.register_buffer("noise_scale", torch.tensor(float(noise_units[1])))
        self.net = mlp(config.noise_dim, config.g_hidden, config.g_activations)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(N, noise_dim)`` → ``(N, 1)``."""
        return self.shift + self.scale * self.net((z - self.noise_shift) / self.noise_scale)


class ToyDiscriminator(_DataUnits):
    r"""Per-sample D: ``(N, 1)`` → raw outputs ``(N, 1)``, :math:`l((x-\mu)/\sigma)`.

    For the BCE losses :math:`D(x) = \sigma(l)`; for least squares :math:`D(x) = l`.
    """

    per_sample = True

    def __init__(self, config: ToyNetConfig, shift: float = 0.0, scale: float = 1.0) -> None:
        super().__init__(shift, scale)
        self.net = mlp(1, config.d_hidden, config.d_activations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1)`` → ``(N, 1)`` logits."""
        return self.net((x - self.shift) / self.scale)


class MinibatchDiscriminator(_DataUnits):
    r"""The 50-line GAN's D that judges a whole group of samples at once.

    The input ``(N, 1)`` is cut into ``N / group`` groups of ``group`` samples (``N`` must be a
    multiple of ``group``). Each group :math:`x_1..x_m` becomes one vector
    :math:`(x_1, .., x_m, (x_1-\bar x)^2, .., (x_m-\bar x)^2)` of length :math:`2m` (or just
    :math:`m` without deviations), and D returns one logit per group, shape ``(N / group, 1)``.
    Because one logit speaks for a whole group, D(x) of a single point is not defined.
    """

    per_sample = False

    def __init__(self, config: ToyNetConfig, shift: float = 0.0, scale: float = 1.0) -> None:
        super().__init__(shift, scale)
        self.group = config.minibatch_group
        self.deviations = config.minibatch_deviations
        n_in = self.group * (2 if self.deviations else 1)
        self.net = mlp(n_in, config.d_hidden, config.d_activations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1)`` → ``(N / group, 1)`` logits."""
        if x.shape[0] % self.group:
            raise ValueError(
                f"MinibatchDiscriminator needs a batch that is a multiple of "
                f"minibatch_group={self.group}, got {x.shape[0]}"
            )
        g = ((x - self.shift) / self.scale).reshape(-1, self.group)  # (N/group, group)
        if self.deviations:
            g = torch.cat([g, (g - g.mean(dim=1, keepdim=True)) ** 2], dim=1)  # (N/group, 2 group)
        return self.net(g)


def build_toy_nets(
    config: ToyNetConfig,
    data_units: tuple[float, float] = (0.0, 1.0),
    noise_units: tuple[float, float] = (0.0, 1.0),
) -> tuple[ToyGenerator, nn.Module]:
    """Return ``(G, D)`` for ``config``; D is per-sample unless ``config.minibatch``.

    ``data_units`` (mean, std of a sample of the data) and ``noise_units`` (centre and
    half-width of the noise, :data:`ganlib.toy.distributions.NOISE_UNITS`) set the units the
    nets work in when ``config.standardise``; otherwise they
    are ignored and the nets see raw numbers.
    """
    d_cls = MinibatchDiscriminator if config.minibatch else ToyDiscriminator
    if not config.standardise:
        data_units = noise_units = (0.0, 1.0)
    shift, scale = data_units
    return ToyGenerator(config, shift, scale, noise_units), d_cls(config, shift, scale)
