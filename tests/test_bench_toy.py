"""The pieces of benchmarks/bench_toy.py: the 50-line GAN re-implementation and the convergence
test.

Speed itself is not tested (it belongs to the benchmark); these check that what the benchmark
runs is what it says it runs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganlib.toy.models import ToyNetConfig, build_toy_nets


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_toy")


def _n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_fifty_line_gan_has_the_reference_architecture(bench) -> None:
    ref = bench.FiftyLineGAN(seed=0)
    # G 1-50-50-1 and D 200-50-50-1, counted by hand
    assert _n_params(ref.G) == (1 * 50 + 50) + (50 * 50 + 50) + (50 * 1 + 1) == 2_701
    assert _n_params(ref.D) == (200 * 50 + 50) + (50 * 50 + 50) + (50 * 1 + 1) == 12_651
    # ganlib's own reference nets, written independently, agree
    g, d = build_toy_nets(ToyNetConfig.reference(minibatch=True))
    assert (_n_params(g), _n_params(d)) == (_n_params(ref.G), _n_params(ref.D))
    opt = ref.d_optimizer.param_groups[0]
    assert (opt["lr"], opt["betas"]) == (2e-4, (0.9, 0.999))


def test_decorate_with_diffs_appends_squared_deviations(bench) -> None:
    x = np.random.default_rng(0).normal(size=(1, 100))
    out = bench.FiftyLineGAN.decorate_with_diffs(torch.tensor(x))
    assert out.shape == (1, 200)
    np.testing.assert_allclose(out[0, :100].numpy(), x[0])
    np.testing.assert_allclose(out[0, 100:].numpy(), (x[0] - x[0].mean()) ** 2)


def test_fifty_line_gan_trains_reproducibly_and_evaluates(bench) -> None:
    a, b = bench.FiftyLineGAN(seed=3), bench.FiftyLineGAN(seed=3)
    torch.manual_seed(0)
    a.train(20)
    torch.manual_seed(1)  # the global RNG plays no part
    b.train(20)
    assert a.step == b.step == 20
    assert a.diverged is None
    for pa, pb in zip(a.G.parameters(), b.G.parameters(), strict=True):
        assert torch.equal(pa, pb)
    ev = a.evaluate(2_000)
    assert set(ev) == {"mean", "std", "js"}
    assert all(math.isfinite(v) for v in ev.values())


@pytest.mark.parametrize(
    ("mean", "std", "js", "ok"),
    [
        (4.0, 1.25, 0.005, True),
        (4.09, 1.34, 0.01, True),
        (4.11, 1.25, 0.005, False),
        (4.0, 1.14, 0.005, False),
        (4.0, 1.25, 0.011, False),
    ],
)
def test_convergence_check(bench, mean: float, std: float, js: float, ok: bool) -> None:
    assert bench.passes({"mean": mean, "std": std, "js": js}) is ok
