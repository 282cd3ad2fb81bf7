r"""The generator's and the discriminator's losses: written once, used by every trainer.

Notebook 01 derives them, notebooks 02-04 train with them. D returns *logits* :math:`l`
(its probability is :math:`D = \sigma(l)`), and every log-loss is a binary cross-entropy on
logits, ``binary_cross_entropy_with_logits``:

.. math::
    \mathrm{BCE}(l, 1) = -\log \sigma(l) = -\log D, \qquad
    \mathrm{BCE}(l, 0) = -\log(1 - \sigma(l)) = -\log(1 - D),

the same numbers as ``Sigmoid`` followed by ``BCELoss``, computed without forming
:math:`\sigma(l)`, so they never take ``log(0)``.

The games (``kind``), each a pair of losses that both players *minimise*:

``"non-saturating"`` (Goodfellow et al. 2014, section 3; the default)
    :math:`L_D = -\overline{\log D(x)} - \overline{\log(1 - D(G(z)))}`,
    :math:`L_G = -\overline{\log D(G(z))}`.
``"minimax"`` (the paper's V itself)
    the same :math:`L_D`, and :math:`L_G = \overline{\log(1 - D(G(z)))} = -L_D^{fake}`:
    G descends exactly the V that D ascends. Its gradient vanishes when D confidently rejects
    the fakes (notebook 01).
``"least-squares"`` (Mao et al. 2017, LSGAN with targets 0 and 1; D's raw output, no sigmoid)
    :math:`L_D = \tfrac12 \overline{(l(x) - 1)^2} + \tfrac12 \overline{l(G(z))^2}`,
    :math:`L_G = \tfrac12 \overline{(l(G(z)) - 1)^2}`.

Bars are means over the minibatch. At the equilibrium :math:`p_g = p_{data}` the best D is
:math:`D^* = 1/2` (log losses: :math:`l = 0`, :math:`L_D = \ln 4`, non-saturating
:math:`L_G = \ln 2`, minimax :math:`L_G = -\ln 2`) or :math:`l^* = 1/2` (least squares:
:math:`L_D = 1/4`, :math:`L_G = 1/8`); :data:`EQUILIBRIUM` lists these values.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ganlib.core.validation import check_choice

#: The games every trainer offers (dashboards list them in this order).
LOSSES: tuple[str, ...] = ("non-saturating", "minimax", "least-squares")

#: (L_D, L_G) at the equilibrium p_g = p_data with the optimal D, per game.
EQUILIBRIUM: dict[str, tuple[float, float]] = {
    "non-saturating": (math.log(4.0), math.log(2.0)),
    "minimax": (math.log(4.0), -math.log(2.0)),
    "least-squares": (0.25, 0.125),
}


def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    """Mean BCE of ``logits`` against a constant label (1: real, 0: fake)."""
    target = torch.ones_like(logits) if label == 1.0 else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: str = "non-saturating"
) -> torch.Tensor:
    r"""D's loss, to be minimised, from its outputs on real and on generated samples.

    For the log games it is minus the minibatch value of the game,

    .. math:: L_D = \mathrm{BCE}(l_{real}, 1) + \mathrm{BCE}(l_{fake}, 0)
              = -\overline{\log D(x)} - \overline{\log(1 - D(G(z)))} = -\hat V,

    :math:`\ln 4` when D = 1/2 everywhere. For ``"least-squares"`` see the module docstring.

    Parameters
    ----------
    real_logits, fake_logits : torch.Tensor
        D's outputs on real samples and on fakes, any shapes (``(m, 1)`` or ``(m,)``).
    kind : str
        One of :data:`LOSSES`.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    return discriminator_loss_term(real_logits, True, kind) + discriminator_loss_term(
        fake_logits, False, kind
    )


def discriminator_loss_term(
    logits: torch.Tensor, real: bool, kind: str = "non-saturating"
) -> torch.Tensor:
    r"""One of the two terms of :func:`discriminator_loss`: on real samples or on fakes.

    For the log games :math:`\mathrm{BCE}(l, 1)` on real samples and :math:`\mathrm{BCE}(l, 0)`
    on fakes (each :math:`\ln 2` when D = 1/2); for ``"least-squares"``
    :math:`\tfrac12 \overline{(l - 1)^2}` and :math:`\tfrac12 \overline{l^2}`. Keras-GAN's
    loop takes one Adam step of D on each term (notebook 04); their sum is
    :func:`discriminator_loss`.

    Parameters
    ----------
    logits : torch.Tensor
        D's outputs on one minibatch, any shape.
    real : bool
        True for real samples (target 1), False for generated ones (target 0).
    kind : str
        One of :data:`LOSSES`.
    """
    check_choice("loss", kind, LOSSES)
    if kind == "least-squares":
        return 0.5 * (logits - 1.0).pow(2).mean() if real else 0.5 * logits.pow(2).mean()
    return _bce(logits, 1.0 if real else 0.0)


def generator_loss(fake_logits: torch.Tensor, kind: str = "non-saturating") -> torch.Tensor:
    r"""G's loss, to be minimised, from D's outputs on generated samples.

    .. math::
        \text{non-saturating: } \mathrm{BCE}(l, 1) = -\overline{\log D(G(z))}, \qquad
        \text{minimax: } -\mathrm{BCE}(l, 0) = \overline{\log(1 - D(G(z)))},

    and :math:`\tfrac12 \overline{(l - 1)^2}` for ``"least-squares"``.

    Parameters
    ----------
    fake_logits : torch.Tensor
        D's outputs on generated samples, any shape.
    kind : str
        One of :data:`LOSSES`.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    check_choice("loss", kind, LOSSES)
    if kind == "non-saturating":
        return _bce(fake_logits, 1.0)
    if kind == "minimax":
        return -_bce(fake_logits, 0.0)
    return 0.5 * (fake_logits - 1.0).pow(2).mean()


def r1_penalty(real_logits: torch.Tensor, real_inputs: torch.Tensor) -> torch.Tensor:
    r"""The R1 gradient penalty of Mescheder et al. (2018) without its weight.

    .. math:: R_1 = \mathbb E_{x \sim p_{data}} \lVert \nabla_x l(x) \rVert^2

    D's loss adds :math:`\tfrac{\gamma}{2} R_1`. ``real_inputs`` must have been marked
    ``requires_grad_(True)`` before ``real_logits`` were computed from them; the graph is kept
    (``create_graph=True``) so the penalty can be back-propagated into D's weights.

    Parameters
    ----------
    real_logits : torch.Tensor
        D's outputs on ``real_inputs`` (one per sample, or per group for a minibatch D).
    real_inputs : torch.Tensor
        The real samples, shape ``(m, ...)``.

    Returns
    -------
    torch.Tensor
        A scalar: the squared gradient norm per sample, averaged over the m samples.
    """
    if not real_inputs.requires_grad:
        raise ValueError(
            "real_inputs must require gradients: call real_inputs.requires_grad_(True) before "
            "computing real_logits = D(real_inputs)"
        )
    (grad,) = torch.autograd.grad(real_logits.sum(), real_inputs, create_graph=True)
    return grad.pow(2).reshape(grad.shape[0], -1).sum(dim=1).mean()
