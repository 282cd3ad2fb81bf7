from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from matplotlib.image import imread

from ganlib.mnist.data import to_uint8
from ganlib.mnist.grids import save_png, tile


def test_to_uint8_and_tile() -> None:
    x = torch.tensor([-1.0, 0.0, 1.0]).view(3, 1, 1, 1).expand(3, 1, 28, 28)
    pixels = to_uint8(x)
    assert pixels.shape == (3, 28, 28)
    assert pixels[:, 0, 0].tolist() == [0, 128, 255]
    grid = tile(pixels, ncols=2, pad=2)
    assert grid.shape == (2 * 30 + 2, 2 * 30 + 2)
    assert grid[2, 2] == 0
    assert grid[2, 32] == 128
    assert grid[32, 2] == 255
    assert grid[32, 32] == 0  # the empty fourth cell


def test_a_png_holds_the_tiled_grid(tmp_path: Path) -> None:
    pixels = torch.arange(4 * 28 * 28).reshape(4, 28, 28).remainder(256).to(torch.uint8)
    save_png(tmp_path / "grid.png", pixels)
    grey = imread(tmp_path / "grid.png")[..., 0]  # RGBA floats in [0, 1]
    np.testing.assert_allclose(
        grey * 255, tile(pixels).numpy(), atol=1.01
    )  # the gray colormap rounds
    assert (tmp_path / "grid.png").stat().st_mode & 0o777 == 0o644
