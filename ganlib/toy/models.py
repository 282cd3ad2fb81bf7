r"""Small generator and discriminator networks for 1-D data (notebook 02).

Both networks are plain multilayer perceptrons described by :class:`ToyNetConfig`:

* :class:`ToyGenerator` maps noise :math:`z` of shape ``(N, noise_dim)`` to samples ``(N, 1)``.
* :class:`ToyDiscriminator` maps each sample ``(N, 1)`` to one logit ``(N, 1)``; the probability
  :math:`D(x) = \sigma(\text{logit})` is applied inside ``BCEWithLogitsLoss`` during training.
* :class:`MinibatchDiscriminator` is the 50-line GAN's variant: it looks at a whole group of
  ``group`` samples at once, as one vector, optionally "decorated" with each sample's squared
  deviation from the group mean, so it can see the spread of a batch and punish a generator that
  collapses.

Why the default generator ends in a *linear* layer
-------------------------------------------------
The 50-line GAN's generator is ``Linear(1,50) ELU, Linear(50,50) Sigmoid, Linear(50,1)``. The
Sigmoid before the last layer squeezes every hidden unit into (0, 1), so the output is confined to
:math:`b \pm \sum_j |w_j|`: to reach the target's tails (4 ± 3·1.25) the last weights must first
grow, and the Sigmoid's flat ends give small gradients while they do. The default here uses
LeakyReLU hidden layers and a linear output, so the output range is set directly by the last
layer's weights and bias and no unit saturates. LeakyReLU is also the cheapest activation on a CPU
(tanh and ELU cost 5-8 times more per element), which matters for a live dashboard.

Why the default noise has four dimensions ----------------------------------------- With one
uniform input G has to learn the Gaussian's inverse CDF, whose steep ends take tens of thousands of
steps (the 50-line GAN trains for 30,000). With four independent uniform inputs a weighted sum is
already bell-shaped (the central limit theorem: the sum of four uniforms is within JS 0.002 nats of
a normal), so G mostly has to learn a shift and a scale, as image GANs do with a latent space
larger than needed. :meth:`ToyNetConfig.reference` keeps the 50-line GAN's single input.
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
    """

    noise_dim: int = 4
    g_hidden: tuple[int, ...] = (32, 32)
    g_activations: tuple[str, ...] = ("leaky_relu", "leaky_relu")
    d_hidden: tuple[int, ...] = (32, 32)
    d_activations: tuple[str, ...] = ("leaky_relu", "leaky_relu")
    minibatch: bool = False
    minibatch_group: int = 100
    minibatch_deviations: bool = True

    @classmethod
    def reference(cls, minibatch: bool = False) -> ToyNetConfig:
        """The 50-line GAN's networks: G 1→50 ELU →50 Sigmoid →1, D →50 ELU →50 ELU →1."""
        return cls(
            noise_dim=1,
            g_hidden=(50, 50),
            g_activations=("elu", "sigmoid"),
            d_hidden=(50, 50),
            d_activations=("elu", "elu"),
            minibatch=minibatch,
        )

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid field and its valid range."""
        check_int("net.noise_dim", self.noise_dim, 1, 1024)
        check_int("net.minibatch_group", self.minibatch_group, 1, 100_000)
        check_bool("net.minibatch", self.minibatch)
        check_bool("net.minibatch_deviations", self.minibatch_deviations)
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


class ToyGenerator(nn.Module):
    r"""G: noise ``(N, noise_dim)`` → samples ``(N, 1)``, :math:`x = G(z; \theta_g)`."""

    def __init__(self, config: ToyNetConfig) -> None:
        super().__init__()
        self.noise_dim = config.noise_dim
        self.net = mlp(config.noise_dim, config.g_hidden, config.g_activations)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(N, noise_dim)`` → ``(N, 1)``."""
        return self.net(z)


class ToyDiscriminator(nn.Module):
    r"""Per-sample D: ``(N, 1)`` → logits ``(N, 1)``; :math:`D(x) = \sigma(\text{logit}(x))`."""

    per_sample = True

    def __init__(self, config: ToyNetConfig) -> None:
        super().__init__()
        self.net = mlp(1, config.d_hidden, config.d_activations)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1)`` → ``(N, 1)`` logits."""
        return self.net(x)


class MinibatchDiscriminator(nn.Module):
    r"""The 50-line GAN's D that judges a whole group of samples at once.

    The input ``(N, 1)`` is cut into ``N / group`` groups of ``group`` samples (``N`` must be a
    multiple of ``group``). Each group :math:`x_1..x_m` becomes one vector
    :math:`(x_1, .., x_m, (x_1-\bar x)^2, .., (x_m-\bar x)^2)` of length :math:`2m` (or just
    :math:`m` without deviations), and D returns one logit per group, shape ``(N / group, 1)``.
    Because one logit speaks for a whole group, D(x) of a single point is not defined.
    """

    per_sample = False

    def __init__(self, config: ToyNetConfig) -> None:
        super().__init__()
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
        g = x.reshape(-1, self.group)  # (N/group, group)
        if self.deviations:
            g = torch.cat([g, (g - g.mean(dim=1, keepdim=True)) ** 2], dim=1)  # (N/group, 2 group)
        return self.net(g)


def build_toy_nets(config: ToyNetConfig) -> tuple[ToyGenerator, nn.Module]:
    """Return ``(G, D)`` for ``config``; D is per-sample unless ``config.minibatch``."""
    d_cls = MinibatchDiscriminator if config.minibatch else ToyDiscriminator
    return ToyGenerator(config), d_cls(config)
