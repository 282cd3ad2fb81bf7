"""The pieces of benchmarks/bench_mnist.py: FLOP counts, the PyTorch tutorial's data pipeline, both
loops, the interleaved timing.

Speed itself is not tested (it belongs to the benchmark); these check that what the benchmark
times is what it says it times, and that its FLOP counts are the FLOPs PyTorch really runs.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from ganlib.mnist.data import to_signed_unit
from ganlib.mnist.models import build_gan, forward_macs
from ganlib.mnist.training import MNISTGANConfig, train_gan


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("bench_mnist")


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, size=(200, 28, 28), dtype=np.uint8)


def test_forward_macs_by_hand(bench) -> None:
    g, d = bench.gan_layers("tutorial_mlp")
    assert g == [128 * 256, 256 * 512, 512 * 784]
    assert d == [784 * 512, 512 * 256, 256 * 128, 128 * 1]
    assert bench.pass_macs(g, backward=False, input_grad=False) == 565_248
    assert bench.pass_macs(d, backward=False, input_grad=False) == 565_376
    ref_g, ref_d = bench.tutorial_models()  # the tutorial's own modules, Sigmoid included
    assert (bench.net_macs(ref_g, (128,)), bench.net_macs(ref_d, (784,))) == (g, d)


def test_tutorial_step_is_11_9_mflop_by_hand(bench) -> None:
    g, d = bench.gan_layers("tutorial_mlp")
    g_fwd, d_fwd = 565_248, 565_376
    # G: fwd + weight grads + input grads except the first layer's (z needs none)
    g_macs = 3 * g_fwd - 128 * 256
    # D on real and on detached fakes: no input grad for the first layer; D in the G update: all
    d_macs = 2 * (3 * d_fwd - 784 * 512) + 3 * d_fwd
    by_hand = 2 * (g_macs + d_macs)
    assert by_hand == 11_897_088
    assert bench.step_flops_per_sample(g, d, bench.TUTORIAL_STEP) == by_hand
    # ganlib on the same recipe runs the same passes; its G update computes no gradient of D's
    # weights (d_fwd multiply-adds saved): 10.77 MFLOP
    assert bench.step_flops_per_sample(g, d, bench.GANLIB_STEP) == by_hand - 2 * d_fwd == 10_766_336
    # ganlib's own "joint" loop also runs G forward once more (fresh noise for the G update)
    assert bench.step_flops_per_sample(g, d, bench.JOINT_STEP) == by_hand + 2 * (g_fwd - d_fwd)


def test_the_tutorial_loops_flops_are_what_pytorch_counts(bench, digits) -> None:
    """FlopCounterMode counts the matmuls autograd actually runs (forward and backward)."""
    loader = bench.tutorial_loader(digits, np.zeros(200, dtype=np.int64), workers=0, seed=0)
    with FlopCounterMode(display=False) as counter:
        done, _ = bench.tutorial_train(loader, 3 * 64, torch.device("cpu"))
    g, d = bench.gan_layers("tutorial_mlp")
    assert done == 3 * 64
    assert counter.get_total_flops() == done * bench.step_flops_per_sample(
        g, d, bench.TUTORIAL_STEP
    )


def test_ganlibs_loop_flops_are_what_pytorch_counts(bench, digits) -> None:
    with FlopCounterMode(display=False) as counter:
        done, _ = bench.ganlib_train(to_signed_unit(digits), 3 * 64, 64, torch.device("cpu"))
    g, d = bench.gan_layers("tutorial_mlp")
    grid = 2 * 64 * sum(g)  # train_gan draws one 64-image sample grid of the untrained G
    step = bench.step_flops_per_sample(g, d, bench.GANLIB_STEP)
    assert counter.get_total_flops() == done * step + grid


def test_the_convolutional_step_is_counted_too(bench, digits) -> None:
    """The same rule (backward = weight grads + input grads) holds for the DCGAN's convolutions."""
    config = MNISTGANConfig(arch="dcgan", steps=2, batch_size=8, grid_size=1, checkpoint_every=0)
    with FlopCounterMode(display=False) as counter:
        result = train_gan(config, to_signed_unit(digits), device="cpu", progress=False)
    assert result.status == "completed"
    g, d = bench.gan_layers("dcgan")
    G, _ = build_gan("dcgan")
    assert sum(g) == forward_macs(G, (100,))
    step = bench.step_flops_per_sample(g, d, bench.JOINT_STEP)
    assert counter.get_total_flops() == 2 * 8 * step + 2 * 1 * sum(g)


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


def test_both_loops_run_a_few_steps(bench, digits) -> None:
    loader = bench.tutorial_loader(digits, np.zeros(200, dtype=np.int64), workers=0, seed=0)
    device = torch.device("cpu")
    done, losses = bench.tutorial_train(loader, 3 * 64, device)
    assert done == 3 * 64
    assert all(np.isfinite(losses))
    done, losses = bench.ganlib_train(to_signed_unit(digits), 3 * 64, 64, device)
    assert done == 3 * 64
    assert all(np.isfinite(losses))


def test_tutorial_config_is_tutorial_mlps_recipe(bench) -> None:
    config = bench.tutorial_config(64, 6_000_000)
    assert config.arch == "tutorial_mlp"
    assert config.loop == "tutorial"  # the same loop: G steps on the fakes D just saw
    assert config.one_d_call
    assert not config.cuda_graph
    assert (config.lr_d, config.lr_g) == (1e-4, 1e-4)
    assert (config.beta1, config.beta2) == (0.9, 0.999)  # torch.optim.Adam's defaults
    assert config.steps == 100 * 60_000 // 64
    config.validate()


def test_interleaving_rotates_the_order_and_keeps_every_block(bench) -> None:
    calls: list[str] = []

    def run(name: str, samples: int):
        def go() -> tuple[int, list[float]]:
            calls.append(name)
            return samples, [0.0]

        return go

    setups = [bench.Setup(n, 64, 1, run(n, 64 * (i + 1))) for i, n in enumerate("abc")]
    peaks = bench.interleave(setups, 4, torch.device("cpu"), n=64)
    assert calls == list("abcbcacababc")  # each round starts one setup later
    assert len(peaks) == 4
    assert all(p > 0 for p in peaks)
    assert all(len(s.rates) == 4 for s in setups)
    ratios = bench.round_ratios(setups[1], setups[0])
    assert len(ratios) == 4


def test_medians_and_ratios_by_hand(bench) -> None:
    base = bench.Setup("tut", 64, 10, lambda: (0, []), rates=[100.0, 50.0, 120.0])
    fast = bench.Setup("ganlib", 64, 20, lambda: (0, []), rates=[300.0, 90.0, 200.0])
    assert base.rate == 100.0
    assert fast.rate == 200.0
    assert bench.round_ratios(fast, base) == [3.0, 1.8, 200.0 / 120.0]
    assert fast.gflops == pytest.approx(200.0 * 20 / 1e9)
    assert base.full_recipe_s() == pytest.approx(100 * 60_000 / 100.0)


def test_matmul_peak_is_2n_cubed_over_time(bench, monkeypatch) -> None:
    clock = iter(np.arange(0.0, 100.0, 0.5))  # every product "takes" 0.5 s
    monkeypatch.setattr(bench.time, "perf_counter", lambda: float(next(clock)))
    assert bench.matmul_gflops(torch.device("cpu"), 100, repeats=2) == pytest.approx(
        2 * 100**3 / 0.5 / 1e9
    )


@pytest.mark.usefixtures("one_torch_thread")
def test_main_runs_end_to_end(bench, capsys) -> None:
    args = ["--device", "cpu", "--blocks", "2", "--block-samples", "128", "--batch-sizes", "64"]
    args += ["--threads", "1"]
    assert bench.main([*args, "--matmul-size", "128"]) == 0
    out = capsys.readouterr().out
    assert "medians of 2 interleaved blocks of 128 samples" in out
    assert "round 2/2" in out
    assert "matmul peak" in out
    assert "CPU target: ganlib at batch 64" in out
    rows = {line.split("  ")[0]: line.split() for line in out.splitlines() if "  64  " in line}
    # MFLOP per sample, the column after "x tut.": the tutorial's 11.897, ganlib's 10.766 (the
    # same passes without D's weight gradients in the G update)
    assert rows["the PyTorch tutorial's loop (DataLoader, 0 workers)"][-3] == "11.90"
    assert rows["ganlib (tensor on device)"][-3] == "10.77"
    assert "1 CPU thread(s)" in out


BLOCKER = """
import importlib.abc, importlib.machinery, sys

BLOCKED = {"tqdm", "PIL", "pooch", "requests", "mlxtend", "scipy", "matplotlib", "ipywidgets"}


class Refuse(importlib.abc.Loader):  # found (torch probes for some), but cannot be imported
    def create_module(self, spec):
        raise ImportError(f"{spec.name} is blocked: a machine with nothing but torch")

    def exec_module(self, module):
        pass


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            return importlib.machinery.ModuleSpec(name, Refuse())
        return None


sys.meta_path.insert(0, Block())
sys.argv = ["bench_mnist.py", *sys.argv[1:]]
import runpy
runpy.run_path("benchmarks/bench_mnist.py", run_name="__main__")
"""


def test_the_benchmark_needs_nothing_but_torch_and_numpy(tmp_path) -> None:
    """`PYTHONPATH=. python benchmarks/bench_mnist.py` on a machine without ganlib's other
    dependencies (a bare GPU box): it times random images and the tutorial's conversion without
    Pillow, and says so."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    args = ["--device", "cpu", "--blocks", "1", "--block-samples", "128", "--batch-sizes", "64",
            "--threads", "1", "--matmul-size", "64"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(root), "GANLIB_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", BLOCKER, *args], cwd=root, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "timing random images" in done.stdout
    assert "matmul peak" in done.stdout
