"""Tests for ganlib.mnist.ema: the average against a recursion written out by hand."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ganlib.mnist.config import MNISTGANConfig
from ganlib.mnist.ema import ema_decay_at, make_ema, update_ema
from ganlib.mnist.models import build_gan
from ganlib.mnist.training import train_gan


def test_the_warm_up_decay_by_hand() -> None:
    assert ema_decay_at(0.999, 1) == pytest.approx(2 / 11)
    assert ema_decay_at(0.999, 10) == pytest.approx(11 / 20)
    assert ema_decay_at(0.999, 8991) == pytest.approx(0.999)  # (1 + t) / (10 + t) = 0.999
    assert ema_decay_at(0.999, 100_000) == 0.999
    assert ema_decay_at(0.5, 3) == pytest.approx(4 / 13)  # still warming up
    assert ema_decay_at(0.5, 20) == 0.5


def test_one_update_is_the_weighted_mean_and_counters_are_copied() -> None:
    G, _ = build_gan("keras_gan", generator=torch.Generator().manual_seed(0))
    average = make_ema(G)
    assert not any(p.requires_grad for p in average.parameters())
    before = {k: v.clone() for k, v in average.state_dict().items()}
    with torch.no_grad():
        for p in G.parameters():
            p.add_(1.0)
        G.body[2].running_mean.fill_(3.0)
        G.body[2].num_batches_tracked.fill_(7)
    update_ema(average, G, 0.75)
    for key, value in average.state_dict().items():
        theirs = G.state_dict()[key]
        if value.is_floating_point():
            torch.testing.assert_close(value, 0.75 * before[key] + 0.25 * theirs)
        else:
            assert torch.equal(value, theirs), key
    assert average.body[2].num_batches_tracked.item() == 7


def test_a_run_averages_g_over_its_iterations() -> None:
    """The trainer's averaged G equals the recursion applied to G's weights after each step."""
    images = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    config = MNISTGANConfig(
        arch="tutorial_mlp", steps=5, batch_size=16, log_every=5, checkpoint_every=0,
        grid_size=2, ema_decay=0.6,
    )  # fmt: skip
    snapshots = []

    def keep(result) -> None:
        snapshots.append({k: v.clone() for k, v in result.generator.state_dict().items()})

    G0, _ = build_gan("tutorial_mlp", generator=torch.Generator().manual_seed(0))
    initial = {k: v.clone() for k, v in G0.state_dict().items()}
    run = train_gan(config, images, device="cpu", progress=False, callback=keep)
    expected = initial
    for t, theta in enumerate(snapshots, start=1):
        beta = min(0.6, (1 + t) / (10 + t))
        expected = {k: beta * expected[k] + (1 - beta) * theta[k] for k in theta}
    for key, value in run.ema_generator.state_dict().items():
        torch.testing.assert_close(value, expected[key], rtol=1e-6, atol=1e-7)
    assert run.final_generator is run.ema_generator
    plain = train_gan(dataclasses.replace(config, ema_decay=0.0), images, device="cpu",
                      progress=False)  # fmt: skip
    assert plain.ema_generator is None
    assert plain.final_generator is plain.generator
    for key, value in plain.generator.state_dict().items():  # averaging never touches G
        assert torch.equal(value, run.generator.state_dict()[key]), key
