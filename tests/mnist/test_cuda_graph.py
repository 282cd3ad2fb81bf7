"""Tests for ganlib.mnist.cuda_graph: the buffered iteration is the plain one, the warm-up leaves
no trace, and every run that cannot be captured falls back to the plain loop, saying why.

The capture itself needs CUDA (the last test runs only where there is a GPU); everything around
it runs here on the CPU, on the same code path without the graph.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ganlib.mnist.config import MNISTGANConfig
from ganlib.mnist.cuda_graph import (
    WARMUP_ITERATIONS,
    GraphedIteration,
    _restore,
    _snapshot,
    graph_or_none,
    why_not,
)
from ganlib.mnist.training import HISTORY_KEYS, _Trainer, train_gan

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.rand(48, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1


def config(**changes) -> MNISTGANConfig:
    base = MNISTGANConfig(arch="keras_gan", steps=7, batch_size=8, log_every=2,
                          checkpoint_every=0, grid_size=2)  # fmt: skip
    return dataclasses.replace(base, **changes)


def _same_run(a, b) -> None:
    for net_a, net_b in ((a.G, b.G), (a.D, b.D)):
        for (key, x), y in zip(
            net_a.state_dict().items(), net_b.state_dict().values(), strict=True
        ):
            assert torch.equal(x, y), key
    timing_free = [k for k in HISTORY_KEYS if k != "seconds"]
    assert {k: a.result.history[k] for k in timing_free} == {
        k: b.result.history[k] for k in timing_free
    }


@pytest.mark.parametrize("loop", ["joint", "keras_gan", "tutorial"])
def test_the_buffered_iteration_is_the_plain_one(images: torch.Tensor, loop: str) -> None:
    """Inputs drawn by the trainer, copied into static buffers, the step run on the buffers:
    bit for bit the plain loop (over an epoch boundary), with BatchNorm in G (keras_gan)."""
    runs = []
    for buffered in (False, True):
        trainer = _Trainer(config(loop=loop), images, CPU)
        if buffered:
            trainer.graphed = GraphedIteration(trainer.step, trainer_inputs(trainer), capture=False)
        trainer.run(progress=False, callback=None)
        runs.append(trainer)
    _same_run(*runs)
    assert runs[1].result.epoch >= 1


def trainer_inputs(trainer: _Trainer):
    """Inputs of the right shapes, drawn from a copy of the noise stream (the run's own streams
    stay untouched)."""
    twin = torch.Generator().set_state(trainer.noise_rng.get_state())
    c = trainer.config
    xs = torch.zeros(c.k, c.batch_size, 1, 28, 28)
    zs = torch.randn(c.k, c.batch_size, trainer.G.latent_dim, generator=twin)
    z_g = None if c.loop == "tutorial" else torch.randn(c.batch_size, trainer.G.latent_dim)
    return xs, zs, z_g


@pytest.mark.parametrize("resumed", [False, True])
def test_the_warm_up_is_undone_in_place(images: torch.Tensor, resumed: bool) -> None:
    """Warm-up iterations train the networks; restoring puts every parameter, buffer and Adam
    moment back in the same tensors (a graph holds their addresses), and a fresh optimiser's
    state becomes zeros, which Adam treats like no state: the run continues as if untouched."""
    plain = _Trainer(config(), images, CPU)
    warmed = _Trainer(config(), images, CPU)
    if resumed:  # optimisers that already have state
        for t in (plain, warmed):
            t.iteration()
    addresses = [p.data_ptr() for p in warmed.G.parameters()]
    saved = _snapshot(warmed.step)
    inputs = warmed.draw_inputs()
    warmed.noise_rng.set_state(plain.noise_rng.get_state())  # undo the draws above
    warmed.data_rng.set_state(plain.data_rng.get_state())
    warmed.perm, warmed.cursor = plain.perm.clone(), plain.cursor
    for _ in range(WARMUP_ITERATIONS):
        warmed.step.iteration(*inputs)
    pairs = zip(plain.G.parameters(), warmed.G.parameters(), strict=True)
    changed = any(not torch.equal(p, q) for p, q in pairs)
    assert changed
    _restore(warmed.step, saved)
    assert [p.data_ptr() for p in warmed.G.parameters()] == addresses
    for t in (plain, warmed):
        t.run(progress=False, callback=None)
    _same_run(plain, warmed)


@pytest.mark.parametrize(
    ("changes", "device", "reason"),
    [
        ({}, "cpu", "need a CUDA device"),
        ({"augment_p": 0.5, "arch": "dcgan"}, "cuda", "DiffAugment"),
        ({"arch": "keras_gan_dropout"}, "cuda", "dropout"),
        ({"r1_gamma": 1.0, "r1_every": 4}, "cuda", "lazy R1"),
        ({"r1_gamma": 1.0, "r1_every": 1}, "cuda", None),
        ({}, "cuda", None),
    ],
)
def test_why_an_iteration_cannot_be_captured(images, changes, device, reason) -> None:
    trainer = _Trainer(config(**changes), images, CPU)  # the networks' device does not matter
    answer = why_not(trainer.step, torch.device(device))
    assert answer is None if reason is None else reason in answer


def test_cuda_graph_on_a_cpu_runs_the_plain_loop_and_says_so(images, capsys) -> None:
    with_graph = train_gan(config(cuda_graph=True), images, device=CPU, progress=False)
    assert "cuda_graph=True, but CUDA graphs need a CUDA device" in capsys.readouterr().out
    without = train_gan(config(), images, device=CPU, progress=False)
    for x, y in zip(with_graph.generator.state_dict().values(),
                    without.generator.state_dict().values(), strict=True):  # fmt: skip
        assert torch.equal(x, y)
    notes = []
    trainer = _Trainer(config(), images, CPU)
    assert graph_or_none(trainer.step, trainer.draw_inputs(), CPU, notes.append) is None
    assert len(notes) == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="a CUDA graph needs a CUDA GPU")
@pytest.mark.parametrize("loop", ["joint", "tutorial"])
def test_the_captured_graph_trains_like_the_plain_loop_on_a_gpu(images, loop) -> None:
    cuda = torch.device("cuda")
    runs = [
        train_gan(
            config(loop=loop, steps=40, cuda_graph=g, arch="tutorial_mlp"),
            images,
            device=cuda,
            progress=False,
        )
        for g in (False, True)
    ]
    for key in ("d_loss", "g_loss"):
        torch.testing.assert_close(
            torch.tensor(runs[0].history[key]), torch.tensor(runs[1].history[key]),
            rtol=1e-3, atol=1e-4,
        )  # fmt: skip
