"""The pieces of benchmarks/bench_toy.py: the 50-line GAN re-implementation and the convergence
test.

Speed itself is not tested (it belongs to the benchmark); these check that what the benchmark
runs is what it says it runs.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pytest
import torch

from ganlib.toy.models import ToyNetConfig, build_toy_nets
from ganlib.toy.training import ToyGAN


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


def test_the_fifty_line_gan_takes_the_problems_noise(bench) -> None:
    four = bench.FiftyLineGAN(seed=0, noise_dim=4)
    assert four.G[0].in_features == 4
    four.train(3)
    assert four.step == 3
    assert bench.default_config(0, 4).net.noise_dim == 4
    assert bench.default_config(0, 1) == bench.ToyGANConfig(seed=0)  # the default itself


def test_the_setups_alternate_seed_by_seed(bench) -> None:
    args = argparse.Namespace(cap=1.0, reference_epochs=200, reference_seeds=None)
    runs = bench.make_runs(1, range(3), args)
    assert [(r.setup, r.seed) for r in runs] == [
        (setup, seed) for seed in range(3) for setup in (bench.DEFAULT, bench.FIFTY)
    ]
    assert isinstance(runs[0].gan, ToyGAN)
    assert isinstance(runs[1].gan, bench.FiftyLineGAN)
    assert (runs[1].max_steps, runs[0].cap_s) == (200, 1.0)


def test_the_fifty_line_gan_can_take_fewer_seeds(bench) -> None:
    args = argparse.Namespace(cap=1.0, reference_epochs=200, reference_seeds=2)
    runs = bench.make_runs(1, range(4), args)
    assert [(r.setup, r.seed) for r in runs] == [
        (bench.DEFAULT, 0), (bench.FIFTY, 0), (bench.DEFAULT, 1), (bench.FIFTY, 1),
        (bench.DEFAULT, 2), (bench.DEFAULT, 3),
    ]  # fmt: skip


class FakeGAN:
    """Passes the check whenever ``good[step]`` says so; each block takes ``block_s``."""

    def __init__(self, good: list[bool], block_s: float) -> None:
        self.good, self.block_s, self.step, self.diverged = good, block_s, 0, None

    def train(self, n: int, record_every: int | None = None) -> None:
        time.sleep(self.block_s)
        self.step += n

    def evaluate(self) -> dict[str, float]:
        ok = self.good[self.step // 100 - 1]
        return {"mean": 4.0, "std": 1.25, "js": 0.005 if ok else 0.05}


def test_a_run_converges_at_the_start_of_a_streak_that_holds(bench, monkeypatch) -> None:
    """A failing check restarts the streak; the time reported is the streak's start."""
    monkeypatch.setattr(bench, "HOLD_S", 0.25)
    good = [False, True, False, True, True, True, True, True]
    run = bench.Run("x", 0, FakeGAN(good, block_s=0.1), cap_s=10.0, max_steps=None)
    bench.interleave([run])
    assert run.done is not None
    assert run.done[2] == 400  # the second streak, which started at step 400
    assert run.done[0] == pytest.approx(0.4, abs=0.08)
    assert run.gan.step == 700  # held until 0.25 s after its start


def test_interleaving_gives_each_run_blocks_in_turn_and_stops_each_at_its_cap(bench) -> None:
    order: list[str] = []

    class Logged(FakeGAN):
        def __init__(self, name: str) -> None:
            super().__init__([False] * 50, block_s=0.0)
            self.name = name

        def train(self, n: int, record_every: int | None = None) -> None:
            order.append(self.name)
            super().train(n)

    a = bench.Run("a", 0, Logged("a"), cap_s=10.0, max_steps=300)
    b = bench.Run("b", 0, Logged("b"), cap_s=10.0, max_steps=500)
    bench.interleave([a, b])
    assert order == ["a", "b", "a", "b", "a", "b", "b", "b"]
    assert (a.done, b.done) == (None, None)
    assert bench.median_time([a]) == a.train_s  # never converged: its whole training time


def test_each_ablation_undoes_one_choice_of_the_default(bench) -> None:
    default = bench.ToyGANConfig()
    for name, change in bench.ABLATIONS.items():
        config = bench.ToyGANConfig(**change)
        differs = [
            f for f in default.__dataclass_fields__ if getattr(config, f) != getattr(default, f)
        ]
        assert len(differs) == (0 if name == "default" else 1), (name, differs)
    runs = bench.ablation_runs(range(2), cap_s=1.0)
    assert [r.setup for r in runs[: len(bench.ABLATIONS)]] == list(bench.ABLATIONS)
    assert {r.seed for r in runs} == {0, 1}
