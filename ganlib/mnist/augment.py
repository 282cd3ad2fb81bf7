r"""Differentiable augmentation, DiffAugment (Zhao et al. 2020, arXiv 2006.10738), notebook 04.

With 4,000 training digits, a discriminator can learn the training set by heart: it scores
training digits as real and every other image, held-out real digits included, as fake (the
D(x) gap of notebook 04). DiffAugment shows D only randomly transformed images, :math:`T(x)`
and :math:`T(G(z))`, the *same* random family for real and generated batches, and lets the
generator's gradient flow back through :math:`T`:

.. math::
    L_D = -\mathbb{E}_x \log D(T(x)) - \mathbb{E}_z \log\big(1 - D(T(G(z)))\big), \qquad
    L_G = -\mathbb{E}_z \log D(T(G(z))).

Augmenting only the real images would teach G to draw augmented digits (shifted, with holes);
augmenting both with a :math:`T` that is differentiable, rather than a data-loader transform,
keeps the target :math:`p_{data}` while D sees many more distinct images. The two transforms
here are the paper's ``translation`` and ``cutout`` (its ``color`` transform changes brightness,
saturation and contrast; saturation means nothing for grey digits, so it is left out):

translation
    Every image moves by a whole number of pixels :math:`(\delta_r, \delta_c)`, each drawn
    uniformly from :math:`\{-s, \dots, s\}` with :math:`s = \lfloor 28 \cdot 1/8 + 1/2
    \rfloor = 4`; pixels moved in from outside are background:
    :math:`T(x)_{r,c} = x_{r - \delta_r,\, c - \delta_c}`.
cutout
    A square of side :math:`\lfloor 28 \cdot 1/2 + 1/2 \rfloor = 14` pixels, centred at a
    uniformly drawn pixel (it may reach over the border), is set to background:
    :math:`T(x) = x \odot (1 - M) + b\, M`.

Both are gathers and masks, so :math:`\partial T(x) / \partial x` is 0 or 1 per pixel and
autograd passes gradients through them. The paper fills with 0; the digits here are scaled to
:math:`[-1, 1]` with background :math:`b = -1`, so 0 would be grey: ``fill=-1`` keeps the
background black. Each transform is applied to an image with probability ``p`` (1 in the paper;
ADA, Karras et al. 2020, tunes such a ``p`` during training).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganlib.core.validation import check_choice, check_float, check_sequence

#: The transforms :func:`diff_augment` knows, in the order it applies them.
TRANSFORMS: tuple[str, ...] = ("translation", "cutout")


@dataclass(frozen=True)
class DiffAugmentConfig:
    """Settings of :func:`diff_augment`.

    Attributes
    ----------
    policy : tuple of str
        Transforms to apply, a subset of :data:`TRANSFORMS` (applied in that order).
    p : float
        Probability that a transform is applied to an image (each image and transform drawn
        independently); 0 is the identity.
    translation_ratio : float
        Largest shift as a fraction of the image side (the paper's 1/8: 4 pixels of 28).
    cutout_ratio : float
        Side of the cut-out square as a fraction of the image side (the paper's 1/2).
    fill : float
        Value of pixels shifted in or cut out: the background (-1 for digits in [-1, 1]).
    """

    policy: tuple[str, ...] = TRANSFORMS
    p: float = 1.0
    translation_ratio: float = 0.125
    cutout_ratio: float = 0.5
    fill: float = -1.0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first setting outside its valid range."""
        for name in check_sequence("policy", self.policy, min_length=1):
            check_choice("policy", name, TRANSFORMS)
        check_float("p", self.p, 0.0, 1.0)
        check_float("translation_ratio", self.translation_ratio, 0.0, 0.5)
        check_float("cutout_ratio", self.cutout_ratio, 0.0, 1.0)
        check_float("fill", self.fill, -1e6, 1e6)


def translate(x: torch.Tensor, shifts: torch.Tensor, fill: float = -1.0) -> torch.Tensor:
    r"""Move each image by its own whole-pixel offset, filling the uncovered border.

    Parameters
    ----------
    x : torch.Tensor
        Images, shape (N, C, H, W).
    shifts : torch.Tensor
        int64 (N, 2): rows down and columns right, :math:`T(x)_{r,c} = x_{r - \delta_r,\, c -
        \delta_c}`; each offset at most ``max(H, W)`` in size.
    fill : float
        Value of pixels that come from outside the image.

    Returns
    -------
    torch.Tensor
        (N, C, H, W), differentiable with respect to ``x``.
    """
    n, _, h, w = x.shape
    pad = max(h, w)
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad), value=fill).permute(0, 2, 3, 1)
    rows = torch.arange(h, device=x.device) + pad - shifts[:, :1]  # (N, H)
    cols = torch.arange(w, device=x.device) + pad - shifts[:, 1:]  # (N, W)
    batch = torch.arange(n, device=x.device)[:, None, None]
    return padded[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)  # (N, C, H, W)


def cutout(
    x: torch.Tensor, centres: torch.Tensor, size: torch.Tensor | int, fill: float = -1.0
) -> torch.Tensor:
    r"""Set a square of each image to ``fill``: :math:`x \odot (1 - M) + \text{fill} \cdot M`.

    Parameters
    ----------
    x : torch.Tensor
        Images, shape (N, C, H, W).
    centres : torch.Tensor
        int64 (N, 2): row and column of each square's centre; its top-left corner is
        ``centre - size // 2`` and the part outside the image is ignored.
    size : int or torch.Tensor
        Side of the square in pixels, one for all or int64 (N,) (0: leave the image alone).
    """
    _, _, h, w = x.shape
    size = torch.as_tensor(size, device=x.device).expand(len(x))[:, None]  # (N, 1)
    top_left = centres - size // 2  # (N, 2)
    r = torch.arange(h, device=x.device) - top_left[:, :1]  # (N, H): row inside the square?
    c = torch.arange(w, device=x.device) - top_left[:, 1:]  # (N, W)
    inside = ((r >= 0) & (r < size))[:, :, None] & ((c >= 0) & (c < size))[:, None, :]
    return torch.where(inside[:, None], torch.full_like(x, fill), x)


def diff_augment(
    x: torch.Tensor, config: DiffAugmentConfig, generator: torch.Generator
) -> torch.Tensor:
    """Apply ``config.policy`` to a batch, drawing every random number from ``generator``.

    Call it on the real batch and on the generated batch alike (each call draws new offsets
    from the same distribution), before D: ``D(diff_augment(x, ...))`` and
    ``D(diff_augment(G(z), ...))``, also in the generator's update.

    Parameters
    ----------
    x : torch.Tensor
        Images (N, C, H, W), e.g. digits in [-1, 1].
    config : DiffAugmentConfig
        Which transforms, their sizes, probability and fill value.
    generator : torch.Generator
        On ``x``'s device; per transform it draws the N apply-or-not coins first, then the
        offsets (translation) or centres (cutout).

    Returns
    -------
    torch.Tensor
        (N, C, H, W), same dtype and device; gradients flow back to ``x``.
    """
    n, _, h, w = x.shape
    dev = x.device

    def coins() -> torch.Tensor:  # (N, 1) int: 1 where the transform is applied
        return (torch.rand(n, 1, generator=generator, device=dev) < config.p).long()

    for name in config.policy:
        if name == "translation":
            apply = coins()
            s = int(max(h, w) * config.translation_ratio + 0.5)
            shifts = torch.randint(-s, s + 1, (n, 2), generator=generator, device=dev)
            x = translate(x, shifts * apply, config.fill)
        else:  # "cutout", the paper's offsets: centres in 0..H (0..H - 1 for even sides)
            apply = coins()
            side = int(h * config.cutout_ratio + 0.5)
            centres = [
                torch.randint(0, size + 1 - side % 2, (n, 1), generator=generator, device=dev)
                for size in (h, w)
            ]
            x = cutout(x, torch.cat(centres, 1), side * apply[:, 0], config.fill)
    return x
