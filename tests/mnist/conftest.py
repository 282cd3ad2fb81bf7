"""Shared fakes and fixtures of the MNIST metric tests (judges, memorisation, metrics)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlib.mnist.data import load_offline_mnist, to_signed_unit
from ganlib.mnist.pretrained import load_pretrained_classifier


class ReplayGenerator(nn.Module):
    """A fake generator returning stored real digits, picked by the noise (or always one)."""

    def __init__(self, images: torch.Tensor, collapse: bool = False) -> None:
        super().__init__()
        self.register_buffer("images", images)
        self.scale = nn.Parameter(torch.ones(()))  # gives the module a device
        self.latent_dim, self.collapse = 4, collapse

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.collapse:
            return self.images[:1].expand(len(z), -1, -1, -1) * self.scale
        idx = (z[:, 0].abs() * 1e4).long() % len(self.images)
        return self.images[idx] * self.scale


@pytest.fixture(scope="module")
def digits() -> dict[str, torch.Tensor]:
    train, test = load_offline_mnist("train"), load_offline_mnist("test")
    return {"train": to_signed_unit(train.images), "test": to_signed_unit(test.images)}


@pytest.fixture(scope="module")
def classifier() -> nn.Module:
    return load_pretrained_classifier()
