"""How fast does the PyTorch tutorial's MNIST GAN train? Its own loop beside ganlib's (issue 4,
notebook 04).

The PyTorch tutorial MLP GAN trains an MLP GAN (G 128-256-512-784, D 784-512-256-128-1, Adam 1e-4,
BCE, batch 64, 100 epochs of MNIST's 60,000 images) with the usual PyTorch recipe: a ``Dataset``
that turns each image into a tensor on the CPU (``ToTensor`` then ``Normalize(0.5, 0.5)``), a
shuffling ``DataLoader`` that collates batches of 64, and a copy of every batch to the device.
ganlib keeps the whole data set on the device as one tensor and draws batches by indexing it. This
script trains the same model for the same number of samples both ways, in one run, and prints the
samples per second, the ratio and the achieved FLOP/s.

Data: the MNIST training images from :func:`ganlib.mnist.data.load_dataset` (the full 60,000 when
they are in ``data/mnist``, else the 4,000 offline digits), repeated to 60,000 images per epoch.
Only speed is measured here; the digits' quality is notebook 04's business.

FLOP count
----------
Only the ``Linear`` layers' matrix products are counted (activations, losses and Adam are a few
per cent). A layer ``in -> out`` costs ``in * out`` multiply-adds (MAC) per sample forward; its
backward costs ``in * out`` for the weight gradient plus ``in * out`` for the gradient of its
input, which autograd skips for a network's first layer when the input needs no gradient (real
images, detached fakes, the noise z). One MAC is 2 FLOP. The PyTorch tutorial's training step is

* D on real x, forward and backward (no input gradient);
* G on z, forward, and backward in the G update (no input gradient for z);
* D on G(z).detach(), forward and backward (no input gradient);
* D on G(z) again for the G update, forward and backward *with* the input gradient, which
  flows on into G.

That is 3 D passes and 1 G pass, each forward plus about twice as much backward, whence the
rule of thumb "training = 3 x forward MACs x 2 FLOP": ``6 * (G + 3 D) = 13.6`` MFLOP per sample
with G = 565,248 and D = 565,376 forward MACs. Leaving out the input gradients nobody needs
gives **11.9 MFLOP per sample**, the number :func:`step_flops_per_sample` derives from the
layer shapes (and ``tests/test_bench_mnist.py`` checks against PyTorch's own FLOP counter).
ganlib's loop (Algorithm 1 of the paper) draws fresh noise for the G update, so it runs G
forward once more without gradients: 13.0 MFLOP per sample.

Usage::

    python benchmarks/bench_mnist.py                  # short run: 60,000 samples per loop on CPU
    python benchmarks/bench_mnist.py --samples 120000 --device cpu python benchmarks/bench_mnist.py
    --full           # the PyTorch tutorial's recipe: 100 x 60,000 samples

The PyTorch tutorial's ``DataLoader`` uses 4 worker processes; so does the benchmark on a GPU. On a
CPU the workers compete with training for the same cores, and 0 workers is the PyTorch tutorial's
fastest setting (``--workers`` overrides).

``--full`` is the GPU target of issue 4: 100 epochs of 60,000 samples in at most 15 s on one H100,
at least 30 times faster than the PyTorch tutorial's loop on the same GPU. There, ganlib's loop
trains the whole recipe and the PyTorch tutorial's loop (far slower) is timed on ``--seed-samples``
samples, its rate then extrapolated.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from ganlib.core.device import make_generator, pick_device
from ganlib.mnist.data import load_dataset, to_signed_unit
from ganlib.mnist.models import build_gan
from ganlib.mnist.training import MNISTGANConfig, train_gan

EPOCH = 60_000  # images per epoch of full MNIST; the benchmark repeats its digits to this size
FULL_EPOCHS = 100  # the PyTorch tutorial's recipe
H100_TARGET_S = 15.0
SPEEDUP_TARGET = 30.0
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
    """

    net: str
    what: str
    backward: bool
    input_grad: bool = False


# : The PyTorch tutorial's step: D(x), G(z), D(G(z).detach()), then D(G(z)) for the G update (same
# fakes).
TUTORIAL_STEP = (
    Pass("D", "D(x), real batch", backward=True),
    Pass("G", "G(z), kept for the G update", backward=True),
    Pass("D", "D(G(z).detach())", backward=True),
    Pass("D", "D(G(z)) in the G update", backward=True, input_grad=True),
)
#: ganlib's step (Algorithm 1): fakes without gradients for D, then fresh noise for the G update.
GANLIB_STEP = (
    Pass("D", "D(x), real batch", backward=True),
    Pass("G", "G(z) under no_grad for the D update", backward=False),
    Pass("D", "D(G(z)), detached fakes", backward=True),
    Pass("G", "G(z') fresh noise for the G update", backward=True),
    Pass("D", "D(G(z')) in the G update", backward=True, input_grad=True),
)


def linear_shapes(module: nn.Module) -> list[tuple[int, int]]:
    """``(in_features, out_features)`` of every ``nn.Linear`` in ``module``, in order."""
    return [(m.in_features, m.out_features) for m in module.modules() if isinstance(m, nn.Linear)]


def pass_macs(shapes: list[tuple[int, int]], backward: bool, input_grad: bool) -> int:
    """Multiply-adds per sample of one pass through a stack of Linear layers.

    Forward ``sum(in * out)``; backward adds the weight gradients ``sum(in * out)`` and the input
    gradients of every layer but the first, whose input gradient only counts when asked for.
    """
    forward = sum(i * o for i, o in shapes)
    if not backward:
        return forward
    first_input = shapes[0][0] * shapes[0][1]
    return 3 * forward - (0 if input_grad else first_input)


def step_flops_per_sample(
    g_shapes: list[tuple[int, int]], d_shapes: list[tuple[int, int]], step: tuple[Pass, ...]
) -> int:
    """FLOP per sample of one training step: 2 x the multiply-adds of its passes."""
    nets = {"G": g_shapes, "D": d_shapes}
    return 2 * sum(pass_macs(nets[p.net], p.backward, p.input_grad) for p in step)


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


def to_tensor(picture: Image.Image) -> torch.Tensor:
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
    shuffle=True)``."""
    return DataLoader(
        TutorialDigits(images, labels),
        batch_size=64,
        num_workers=workers,
        shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )


# ---------------------------------------------------------------------------------------------
# ganlib's loop with the PyTorch tutorial's recipe


def tutorial_config(batch_size: int, n_samples: int, seed: int = 0) -> MNISTGANConfig:
    """The PyTorch tutorial's recipe in ganlib: its model, Adam(1e-4) with PyTorch's default betas,
    BCE."""
    return MNISTGANConfig(
        arch="tutorial_mlp",
        steps=max(1, n_samples // batch_size),
        batch_size=batch_size,
        loss="non-saturating",  # the PyTorch tutorial's G loss is BCE(D(G(z)), 1) = -log D(G(z))
        lr_d=1e-4,
        lr_g=1e-4,
        beta1=0.9,
        beta2=0.999,
        seed=seed,
        log_every=100,
        checkpoint_every=0,
        grid_every=FULL_EPOCHS,  # a sample grid costs one small G forward; keep it rare
    )


def ganlib_train(
    images: torch.Tensor, n_samples: int, batch_size: int, device: torch.device
) -> tuple[int, list[float]]:
    """ganlib's ``train_gan`` on the PyTorch tutorial's recipe; returns (samples, last losses)."""
    config = tutorial_config(batch_size, n_samples)
    result = train_gan(config, images, device=device, progress=False)
    if result.status != "completed":
        raise RuntimeError(f"ganlib's run did not complete: {result.status} {result.message}")
    h = result.history
    return config.steps * batch_size, [h["d_loss"][-1], h["g_loss"][-1]]


# ---------------------------------------------------------------------------------------------
# Timing and the report


@dataclass
class Row:
    """One line of the table."""

    loop: str
    batch: int
    samples: int
    seconds: float
    flops_per_sample: int
    finite: bool

    @property
    def rate(self) -> float:
        return self.samples / self.seconds

    def full_recipe_s(self) -> float:
        return FULL_EPOCHS * EPOCH / self.rate


Run = Callable[[], tuple[int, list[float]]]


def timed(device: torch.device, run: Run) -> tuple[int, float, bool]:
    """Run once; return (samples, seconds, losses finite). Waits for the device to finish."""
    synchronize(device)
    start = time.perf_counter()
    samples, losses = run()
    synchronize(device)
    return samples, time.perf_counter() - start, all(math.isfinite(v) for v in losses)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def warm_up(device: torch.device, signed: torch.Tensor, loader: DataLoader) -> None:
    """A few steps of each loop, so that one-time set-up (CUDA context, kernels) is not timed."""
    tutorial_train(loader, 64 * 5, device)
    ganlib_train(signed[:4096], 64 * 5, 64, device)


def measure(args: argparse.Namespace, device: torch.device) -> list[Row]:
    data = load_dataset("mnist", "train", download=args.download)
    images, labels = data.images, data.labels
    print(f"data: {data.source}; {len(images):,} images, repeated to {EPOCH:,} per epoch")
    repeats = math.ceil(EPOCH / len(images))
    signed = to_signed_unit(np.concatenate([images] * repeats)[:EPOCH])  # (60000, 1, 28, 28)
    loader = tutorial_loader(images, labels, args.workers, seed=0)
    G, D = build_gan("tutorial_mlp")
    g_shapes, d_shapes = linear_shapes(G), linear_shapes(D)
    assert (g_shapes, d_shapes) == tuple(map(linear_shapes, tutorial_models()))
    seed_flops = step_flops_per_sample(g_shapes, d_shapes, TUTORIAL_STEP)
    ganlib_flops = step_flops_per_sample(g_shapes, d_shapes, GANLIB_STEP)
    warm_up(device, signed, loader)
    rows = []
    s, t, ok = timed(device, lambda: tutorial_train(loader, args.seed_samples, device))
    rows.append(
        Row(
            f"the PyTorch tutorial MLP GAN (DataLoader, {args.workers} workers)",
            64,
            s,
            t,
            seed_flops,
            ok,
        )
    )
    print(f"  {rows[-1].loop}: {rows[-1].rate:,.0f} samples/s", flush=True)
    for batch in args.batch_sizes:
        s, t, ok = timed(device, lambda b=batch: ganlib_train(signed, args.samples, b, device))
        rows.append(Row("ganlib (tensor on device)", batch, s, t, ganlib_flops, ok))
        print(f"  {rows[-1].loop}, batch {batch}: {rows[-1].rate:,.0f} samples/s", flush=True)
    return rows


def report(rows: list[Row], device: torch.device, full: bool) -> None:
    base = rows[0].rate
    head = (
        f"{'loop':<34} {'batch':>5} {'samples':>10} {'seconds':>8} {'samples/s':>10} "
        f"{'x seed':>7} {'MFLOP/smp':>9} {'GFLOP/s':>8} {'100 ep. s':>10}"
    )
    print(f"\nthe PyTorch tutorial's MLP GAN on {describe(device)}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads")  # fmt: skip
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r.loop:<34} {r.batch:>5} {r.samples:>10,} {r.seconds:>8.2f} {r.rate:>10,.0f} "
            f"{r.rate / base:>7.2f} {r.flops_per_sample / 1e6:>9.2f} "
            f"{r.rate * r.flops_per_sample / 1e9:>8.2f} {r.full_recipe_s():>10,.0f}"
        )
    print(
        "\nx tut.: samples/s over the PyTorch tutorial's loop; MFLOP/smp: Linear-layer FLOP per "
        "training sample (see the docstring);\n100 ep. s: the tutorial's full recipe "
        "(100 x 60,000 samples) at this rate (measured when --full, else extrapolated)."
    )
    if not all(r.finite for r in rows):
        print("WARNING: a loop produced a non-finite loss")
    if full:
        verdict(rows, device)


def verdict(rows: list[Row], device: torch.device) -> None:
    """The GPU target of issue 4, for each of ganlib's rows."""
    print(
        f"\nTarget (one H100): full recipe <= {H100_TARGET_S:.0f} s and >= "
        f"{SPEEDUP_TARGET:.0f}x the PyTorch tutorial's loop; this device: {describe(device)}"
    )
    for r in rows[1:]:
        fast = r.full_recipe_s() <= H100_TARGET_S
        ratio = r.rate / rows[0].rate
        print(
            f"  ganlib batch {r.batch:>4}: {r.full_recipe_s():7.1f} s "
            f"[{'met' if fast else 'MISSED'}], {ratio:6.1f}x "
            f"[{'met' if ratio >= SPEEDUP_TARGET else 'MISSED'}]"
        )


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    p.add_argument("--samples", type=int, default=None,
                   help="training samples per ganlib run (default: 60,000 on CPU, 600,000 on a "
                        "GPU; --full: 6,000,000)")  # fmt: skip
    p.add_argument(
        "--seed-samples",
        type=int,
        default=None,
        help="samples for the PyTorch tutorial's slower loop (default: --samples; --full: 120,000)",
    )
    p.add_argument(
        "--batch-sizes",
        type=int,
        nargs="+",
        default=[64, 512],
        help="ganlib batch sizes (default 64 512)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"the PyTorch tutorial's DataLoader workers (default: {TUTORIAL_WORKERS} as in the "
        "tutorial, on a GPU; 0 on a CPU, its fastest setting there)",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="the PyTorch tutorial's full recipe: 100 epochs x 60,000 samples (the GPU target)",
    )
    p.add_argument(
        "--download",
        action="store_true",
        help="let ganlib.mnist.data download full MNIST when it is not in data/mnist",
    )
    args = p.parse_args(argv)
    for name in ("samples", "seed_samples"):
        value = getattr(args, name)
        if value is not None and value < 64:
            p.error(f"--{name.replace('_', '-')} must be at least one batch (64), got {value}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = pick_device(args.device)
    if args.samples is None:
        gpu = device.type != "cpu"
        args.samples = FULL_EPOCHS * EPOCH if args.full else (600_000 if gpu else EPOCH)
    if args.workers is None:
        # On a CPU the workers compete with training for the same cores: 0 is the PyTorch
        # tutorial's best there (2-core CPU, 30,000 samples: 0 workers 2,500/s, 2 workers 2,250/s,
        # 4: 1,900/s).
        args.workers = 0 if device.type == "cpu" else TUTORIAL_WORKERS
    if args.seed_samples is None:
        args.seed_samples = 2 * EPOCH if args.full else args.samples
    if args.full and device.type == "cpu":
        print("note: --full on a CPU takes hours; it is the GPU target")
    rows = measure(args, device)
    report(rows, device, args.full)
    return 0


if __name__ == "__main__":
    sys.exit(main())
