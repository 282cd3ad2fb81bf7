"""Sample grids: many digits tiled into one picture, on screen or as a PNG (notebook 04)."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ganlib.core.files import atomic_open

__all__ = ["save_png", "tile"]


def tile(samples: torch.Tensor, ncols: int | None = None, pad: int = 2) -> torch.Tensor:
    """Arrange ``(n, 28, 28)`` images in a grid of ``ncols`` columns (default: square-ish).

    Returns a ``(rows * (28 + pad) + pad, ncols * (28 + pad) + pad)`` image of the same dtype,
    with background 0.
    """
    n, h, w = samples.shape
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    canvas = samples.new_zeros(nrows * (h + pad) + pad, ncols * (w + pad) + pad)
    for i in range(n):
        r, c = divmod(i, ncols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        canvas[top : top + h, left : left + w] = samples[i]
    return canvas


def save_png(path: Path, samples: torch.Tensor) -> None:
    """Write a uint8 sample grid ``(n, 28, 28)`` as a PNG, atomically."""
    from matplotlib.image import imsave

    with atomic_open(path, "wb") as f:
        imsave(f, tile(samples).numpy(), cmap="gray", vmin=0, vmax=255, format="png")
