r"""An exponential moving average of the generator's weights (notebook 04).

A GAN's generator never settles: each step answers the discriminator's latest move, so its
weights orbit around a good solution rather than sitting on it, and the samples of any one
iteration carry that iteration's quirks. Averaging the weights over the last few hundred
iterations (Yazıcı et al. 2019, arXiv 1806.04498; used by ProGAN, StyleGAN and BigGAN) gives a
generator that is not trained itself, only sampled and exported:

.. math::
    \bar\theta_t = \beta_t\, \bar\theta_{t-1} + (1 - \beta_t)\, \theta_t, \qquad
    \beta_t = \min\Big(\beta, \frac{1 + t}{10 + t}\Big),

with :math:`\theta_t` G's weights after its :math:`t`-th update. The warm-up :math:`\beta_t`
keeps the average from remembering the random initialisation in a short run; after
:math:`t \approx 10 / (1 - \beta)` iterations it is :math:`\beta` (0.999: an average over about
the last 1,000 iterations). BatchNorm's running means and variances are averaged the same way,
its batch counter is copied, so the averaged generator samples in eval mode like G itself.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

__all__ = ["ema_decay_at", "make_ema", "update_ema"]


def ema_decay_at(decay: float, updates: int) -> float:
    """:math:`\\beta_t = \\min(\\beta, (1 + t) / (10 + t))` for the ``t``-th update (t >= 1)."""
    return min(decay, (1.0 + updates) / (10.0 + updates))


def make_ema(module: nn.Module) -> nn.Module:
    """A copy of ``module`` that is only averaged, never trained (no gradients, eval mode)."""
    average = copy.deepcopy(module).eval()
    for p in average.parameters():
        p.requires_grad_(False)
    return average


@torch.no_grad()
def update_ema(average: nn.Module, module: nn.Module, decay: float) -> None:
    """Move every floating-point tensor of ``average`` towards ``module``'s, in place.

    :math:`\\bar\\theta \\leftarrow \\bar\\theta + (1 - \\beta)(\\theta - \\bar\\theta)`,
    which is :math:`\\beta \\bar\\theta + (1 - \\beta)\\theta`, for parameters and floating
    buffers alike (one ``torch._foreach_lerp_``, no host synchronisation, so it can be captured
    in a CUDA graph); integer buffers (BatchNorm's batch counter) are copied.

    Parameters
    ----------
    average : nn.Module
        The averaged copy (:func:`make_ema`), same architecture as ``module``.
    module : nn.Module
        The trained network.
    decay : float
        :math:`\\beta_t` in [0, 1) (:func:`ema_decay_at`).
    """
    mine = list(average.state_dict().values())
    theirs = list(module.state_dict().values())
    floats = [(a, b) for a, b in zip(mine, theirs, strict=True) if a.is_floating_point()]
    if floats:
        averaged, current = zip(*floats, strict=True)
        torch._foreach_lerp_(list(averaged), list(current), 1.0 - decay)
    for a, b in zip(mine, theirs, strict=True):
        if not a.is_floating_point():
            a.copy_(b)
