r"""Small generator and discriminator networks for points in the plane (notebook 03).

Both are multilayer perceptrons described by :class:`PlaneNetConfig`:

* :class:`PlaneGenerator` maps noise :math:`z` of shape ``(N, 2)`` to points ``(N, 2)``;
* :class:`PlaneDiscriminator` maps each point ``(N, 2)`` to one logit ``(N, 1)``, so
  :math:`D(x) = \sigma(\text{logit}(x))` is defined at every point of the plane: the heat map.

A discriminator that sees batch statistics
-----------------------------------------
A per-sample D judges every point alone, so nothing in its verdict says "all these fakes are
the same point". The 50-line GAN's minibatch D (notebook 02) shows it a whole batch with each
sample's squared deviation from the batch mean. :class:`MinibatchStdDiscriminator` is the
modern form of that idea, the *minibatch standard deviation* of Karras et al. (2018,
"Progressive Growing of GANs"): the batch is cut into groups of ``group`` samples; for each
group the standard deviation of every hidden feature over the group is averaged into one
number,

.. math::
    s = \frac1H \sum_{j=1}^H \sqrt{\frac1g \sum_{i=1}^g (h_{ij} - \bar h_j)^2 + \epsilon},

and :math:`s` is appended to every sample's features before D's last layers. A collapsed batch
has :math:`s \approx 0` where a real batch does not, so D can reject it, and G's gradient
through :math:`s` pushes its samples apart. Each sample still gets its own logit, so the
heat map stays defined: :meth:`MinibatchStdDiscriminator.score` evaluates D at points with
:math:`s` held at a given value (the dashboard uses a real batch's).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ganlib.core.validation import check_choice, check_int, check_sequence
from ganlib.plane.targets import NOISE_DIM

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}
#: What D sees: each point alone, or each point with its group's minibatch std.
D_KINDS: tuple[str, ...] = ("per-sample", "minibatch-std")
MBSTD_EPS = 1e-8
#: How G's hidden layers are initialised (:class:`PlaneNetConfig`, :func:`he_init`).
G_INITS: tuple[str, ...] = ("pytorch", "he")


@dataclass(frozen=True)
class PlaneNetConfig:
    """Architecture of the plane's G and D.

    Attributes
    ----------
    g_hidden, d_hidden : tuple of int
        Widths of the hidden layers of G and D (at least one each).
    activation : str
        The hidden layers' activation, a key of :data:`ACTIVATIONS`.
    d_kind : {"per-sample", "minibatch-std"}
        :class:`PlaneDiscriminator` or :class:`MinibatchStdDiscriminator`.
    group : int
        Samples per minibatch-std group; the batch size must be a multiple of it.
    g_init : {"pytorch", "he"}
        How G's hidden layers start: PyTorch's ``nn.Linear`` default, or He et al.'s (2015)
        variance-preserving :math:`w \\sim \\mathcal{N}(0, 2 / ((1 + a^2)\\,n_{in}))` (see
        :func:`he_init`).
    """

    g_hidden: tuple[int, ...] = (128, 128, 128)
    d_hidden: tuple[int, ...] = (128, 128)
    activation: str = "leaky_relu"
    d_kind: str = "per-sample"
    group: int = 8
    g_init: str = "pytorch"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first invalid field and its valid range."""
        for name in ("g_hidden", "d_hidden"):
            for width in check_sequence(f"net.{name}", getattr(self, name), min_length=1):
                check_int(f"net.{name}", width, 1, 100_000)
        check_choice("net.activation", self.activation, tuple(ACTIVATIONS))
        check_choice("net.d_kind", self.d_kind, D_KINDS)
        check_int("net.group", self.group, 2, 100_000)
        check_choice("net.g_init", self.g_init, G_INITS)


def mlp(n_in: int, hidden: tuple[int, ...], activation: str, n_out: int) -> nn.Sequential:
    """``Linear, act, ..., Linear(-> n_out)``: hidden layers with one activation, linear output."""
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        layers += [nn.Linear(width, h), ACTIVATIONS[activation]()]
        width = h
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def he_init(net: nn.Sequential, activation: str) -> None:
    r"""Redraw the weights of every hidden ``Linear`` of ``net`` from He et al. (2015).

    :math:`w \sim \mathcal{N}(0, \mathrm{gain}^2 / n_{in})` with the gain of ``activation``
    (:math:`\sqrt{2 / (1 + a^2)}` for a leaky ReLU of slope :math:`a`; ReLU's for ELU), which
    keeps the variance of the activations about the same from layer to layer. PyTorch's default
    draws :math:`w \sim U(\pm 1/\sqrt{n_{in}})`, a variance of :math:`1 / (3 n_{in})`: each
    leaky-ReLU layer then divides the variance by about 6, and a fresh G maps the whole noise
    plane into a blob a few hundredths wide. With He's weights in the hidden layers (biases and
    the output layer keep PyTorch's default), a fresh G already spreads its samples over a few
    tenths, so every mode of the ring has a part of the noise plane near it from the first step.
    Draws from the global RNG (the game seeds it).
    """
    linears = [m for m in net if isinstance(m, nn.Linear)]
    slope = 0.01 if activation == "leaky_relu" else 0.0
    kind = activation if activation in ("leaky_relu", "relu", "tanh") else "relu"
    for layer in linears[:-1]:
        nn.init.kaiming_normal_(layer.weight, a=slope, nonlinearity=kind)


class PlaneGenerator(nn.Module):
    r"""G: noise ``(N, 2)`` → points ``(N, 2)``, :math:`x = G(z; \theta_g)`."""

    def __init__(self, config: PlaneNetConfig) -> None:
        super().__init__()
        self.net = mlp(NOISE_DIM, config.g_hidden, config.activation, 2)
        if config.g_init == "he":
            he_init(self.net, config.activation)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(N, 2)`` → ``(N, 2)``."""
        return self.net(z)


class PlaneDiscriminator(nn.Module):
    r"""Per-sample D: points ``(N, 2)`` → logits ``(N, 1)``, :math:`D(x) = \sigma(\text{logit})`."""

    def __init__(self, config: PlaneNetConfig) -> None:
        super().__init__()
        self.net = mlp(2, config.d_hidden, config.activation, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 2)`` → ``(N, 1)`` logits."""
        return self.net(x)

    def score(self, x: torch.Tensor, stat: torch.Tensor | None = None) -> torch.Tensor:
        """Logits of single points (``stat`` is ignored: this D sees no batch statistics)."""
        return self.net(x)


class MinibatchStdDiscriminator(nn.Module):
    r"""D with Karras et al.'s minibatch standard deviation before its last hidden layer.

    ``body`` (all hidden layers but the last) gives features ``(N, H)``; each group of ``group``
    consecutive samples gets one statistic :math:`s` (module docstring), appended to its members'
    features; ``head`` (the last hidden layer and the output) maps ``(N, H + 1)`` to logits
    ``(N, 1)``. With one hidden layer the statistic is taken of the input points themselves.
    """

    def __init__(self, config: PlaneNetConfig) -> None:
        super().__init__()
        *first, last = config.d_hidden
        act = ACTIVATIONS[config.activation]
        body: list[nn.Module] = []
        width = 2
        for h in first:
            body += [nn.Linear(width, h), act()]
            width = h
        self.body = nn.Sequential(*body)
        self.head = nn.Sequential(nn.Linear(width + 1, last), act(), nn.Linear(last, 1))
        self.group = config.group

    def _group_std(self, h: torch.Tensor) -> torch.Tensor:
        """Features ``(N, H)`` → one :math:`s` per group of ``group`` rows, shape ``(N / g,)``."""
        n = h.shape[0]
        if n % self.group:
            raise ValueError(
                f"the minibatch-std discriminator needs a batch that is a multiple of "
                f"net.group={self.group}, got {n}; change batch_size or net.group"
            )
        grouped = h.reshape(n // self.group, self.group, -1)  # (groups, g, H)
        dev = grouped - grouped.mean(dim=1, keepdim=True)
        return (dev.pow(2).mean(dim=1) + MBSTD_EPS).sqrt().mean(dim=1)

    def statistic(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`s` for each group of ``group`` points of ``x`` ``(N, 2)``: ``(N/g,)``."""
        return self._group_std(self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 2)`` → ``(N, 1)`` logits, every sample judged with its group's statistic."""
        h = self.body(x)  # (N, H)
        stat = self._group_std(h)  # (N / g,): one per group, the same for its g members
        per_sample = stat[:, None, None].expand(-1, self.group, 1).reshape(-1, 1)  # (N, 1)
        return self.head(torch.cat([h, per_sample], dim=1))

    def score(self, x: torch.Tensor, stat: torch.Tensor | float) -> torch.Tensor:
        """Logits of single points ``(N, 2)`` with the statistic held at ``stat`` (a scalar)."""
        s = torch.as_tensor(stat, dtype=x.dtype, device=x.device).reshape(1, 1)
        return self.head(torch.cat([self.body(x), s.expand(x.shape[0], 1)], dim=1))


def build_plane_nets(config: PlaneNetConfig) -> tuple[PlaneGenerator, nn.Module]:
    """``(G, D)`` for ``config``; D is per-sample unless ``config.d_kind == "minibatch-std"``."""
    d_cls = MinibatchStdDiscriminator if config.d_kind == "minibatch-std" else PlaneDiscriminator
    return PlaneGenerator(config), d_cls(config)
