"""The pieces of benchmarks/bench_mnist.py: FLOP count, the PyTorch tutorial's data pipeline, both
loops.

Speed itself is not tested (it belongs to the benchmark); these check that what the benchmark
times is what it says it times.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ganlib.mnist.data import to_signed_unit
from ganlib.mnist.models import build_gan


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_mnist")


def test_forward_macs_by_hand(bench) -> None:
    G, D = build_gan("tutorial_mlp")
    g = bench.linear_shapes(G)
    d = bench.linear_shapes(D)
    assert g == [(128, 256), (256, 512), (512, 784)]
    assert d == [(784, 512), (512, 256), (256, 128), (128, 1)]
    assert bench.pass_macs(g, backward=False, input_grad=False) == 128 * 256 + 256 * 512 + 512 * 784
    assert bench.pass_macs(d, backward=False, input_grad=False) == 565_376


def test_tutorial_step_is_11_9_mflop_by_hand(bench) -> None:
    G, D = build_gan("tutorial_mlp")
    g, d = bench.linear_shapes(G), bench.linear_shapes(D)
    g_fwd, d_fwd = 565_248, 565_376
    # G: fwd + weight grads + input grads except the first layer's (z needs none)
    g_macs = 3 * g_fwd - 128 * 256
    # D on real and on detached fakes: no input grad for the first layer; D in the G update: all
    d_macs = 2 * (3 * d_fwd - 784 * 512) + 3 * d_fwd
    by_hand = 2 * (g_macs + d_macs)
    assert by_hand == 11_897_088
    assert bench.step_flops_per_sample(g, d, bench.TUTORIAL_STEP) == by_hand
    # ganlib's Algorithm 1 runs G forward once more (fresh noise for the G update)
    assert bench.step_flops_per_sample(g, d, bench.GANLIB_STEP) == by_hand + 2 * g_fwd


def _tutorial_step(G: nn.Module, D: nn.Module, x: torch.Tensor, z: torch.Tensor) -> None:
    loss_fn = nn.BCELoss()
    dis_true = D(x)
    fake = G(z)
    dis_fake = D(fake.detach())
    real_loss = loss_fn(dis_true, torch.ones_like(dis_true))
    (real_loss + loss_fn(dis_fake, torch.zeros_like(dis_fake))).backward()
    dis_g = D(fake)
    loss_fn(dis_g, torch.ones_like(dis_g)).backward()


def test_flop_count_matches_pytorchs_counter(bench) -> None:
    """PyTorch's FlopCounterMode counts the matmuls autograd actually runs (fwd and bwd)."""
    G, D = bench.tutorial_models()
    gen = torch.Generator().manual_seed(0)
    m = 8
    x = torch.rand(m, 784, generator=gen) * 2 - 1
    z = torch.randn(m, 128, generator=gen)
    with FlopCounterMode(display=False) as counter:
        _tutorial_step(G, D, x, z)
    expected = bench.step_flops_per_sample(
        bench.linear_shapes(G), bench.linear_shapes(D), bench.TUTORIAL_STEP
    )
    assert counter.get_total_flops() == m * expected


def test_tutorial_dataset_is_to_tensor_then_normalize(bench) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.arange(5)
    data = bench.TutorialDigits(images, labels, length=12)
    assert len(data) == 12
    x, label = data[7]  # repeated: index 7 is image 2
    assert label == 2
    assert x.shape == (1, 28, 28)
    assert x.dtype == torch.float32
    expected = (images[2].astype(np.float32) / 255 - 0.5) / 0.5
    np.testing.assert_allclose(x[0].numpy(), expected, rtol=0, atol=1e-6)
    assert x.min() >= -1
    assert x.max() <= 1


def test_both_loops_run_a_few_steps(bench) -> None:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(200, 28, 28), dtype=np.uint8)
    loader = bench.tutorial_loader(images, np.zeros(200, dtype=np.int64), workers=0, seed=0)
    device = torch.device("cpu")
    done, losses = bench.tutorial_train(loader, 3 * 64, device)
    assert done == 3 * 64
    assert all(np.isfinite(losses))
    signed = to_signed_unit(images)
    done, losses = bench.ganlib_train(signed, 3 * 64, 64, device)
    assert done == 3 * 64
    assert all(np.isfinite(losses))


def test_tutorial_config_is_tutorial_mlps_recipe(bench) -> None:
    config = bench.tutorial_config(64, 6_000_000)
    assert config.arch == "tutorial_mlp"
    assert (config.lr_d, config.lr_g) == (1e-4, 1e-4)
    assert (config.beta1, config.beta2) == (0.9, 0.999)  # torch.optim.Adam's defaults
    assert config.steps == 100 * 60_000 // 64
    config.validate()
