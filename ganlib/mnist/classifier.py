"""Two small MNIST classifiers that judge generated digits (notebook 04).

A GAN's samples cannot be scored by eye alone. Notebook 04 runs them through a classifier: its
predicted labels give the *mode coverage* (does the generator draw every digit?), and the
activations of its last hidden layer are the feature space of the Fréchet distance
(:mod:`ganlib.mnist.metrics`). Inputs use the generator's scaling, :math:`x \\in [-1, 1]`.

One judge's verdict depends on the judge: an ambiguous sample, half 4 and half 9, is a 4 to one
network and a 9 to another. So there are two, of different architectures, trained with
different seeds on the same 4,000 training digits (the 1,000 test digits stay held out):

``"cnn"``, :class:`MNISTClassifier` (shipped as ``classifier_default``)
    Two 3x3 convolutions with max-pooling, then a 128-unit hidden layer.
``"mlp"``, :class:`MLPClassifier` (shipped as ``classifier_mlp``)
    No convolutions: 784 -> 256 -> 128 -> 10 fully connected, seed 1.

Both shipped weights were trained by :func:`train_classifier` and are reproduced, bit for bit on
the same machine and PyTorch version, by::

    python -m ganlib.mnist.classifier --out ganlib/mnist/weights/classifier_default.pt
    python -m ganlib.mnist.classifier --arch mlp --seed 1  # writes classifier_mlp.pt
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ganlib.core.checkpoint import save_checkpoint
from ganlib.core.files import atomic_write_text, sha256_file
from ganlib.core.validation import check_choice, check_float, check_int, check_sequence
from ganlib.mnist import WEIGHTS_DIR
from ganlib.mnist.data import NUM_CLASSES, ImageDataset, load_offline_mnist, to_signed_unit
from ganlib.mnist.models import torch_default_init

#: The judges: ``"cnn"`` (:class:`MNISTClassifier`) and ``"mlp"`` (:class:`MLPClassifier`).
CLASSIFIER_ARCHITECTURES: tuple[str, ...] = ("cnn", "mlp")


@dataclass(frozen=True)
class ClassifierConfig:
    """Architecture and training hyperparameters of a judge (:func:`make_classifier`).

    Attributes
    ----------
    channels : (int, int)
        ``"cnn"``: output channels of the two 3x3 convolutions (each followed by ReLU and 2x2
        max-pooling).
    feature_dim : int
        Width of the hidden layer whose activations are the features (the Fréchet space).
    epochs, batch_size, lr, weight_decay : training settings (Adam).
    max_shift : int
        Augmentation: each training image is shifted by a random whole number of pixels in
        ``[-max_shift, max_shift]`` along each axis (0 turns it off).
    seed : int
        Seeds the initial weights, the batch order and the shifts.
    architecture : str
        One of :data:`CLASSIFIER_ARCHITECTURES`.
    hidden : int
        ``"mlp"``: width of the first hidden layer (784 -> hidden -> feature_dim -> 10).
    """

    channels: tuple[int, int] = (8, 16)
    feature_dim: int = 128
    epochs: int = 15
    batch_size: int = 64
    lr: float = 4e-3
    weight_decay: float = 1e-4
    max_shift: int = 2
    seed: int = 0
    architecture: str = "cnn"
    hidden: int = 256

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` naming the first setting outside its valid range."""
        for c in check_sequence("channels", self.channels, 2):
            check_int("channels", c, 1, 1024)
        check_int("feature_dim", self.feature_dim, 1, 100_000)
        check_int("epochs", self.epochs, 1, 10_000)
        check_int("batch_size", self.batch_size, 1, 100_000)
        check_float("lr", self.lr, 0.0, 10.0, low_open=True)
        check_float("weight_decay", self.weight_decay, 0.0, 10.0)
        check_int("max_shift", self.max_shift, 0, 8)
        check_int("seed", self.seed, 0)
        check_choice("architecture", self.architecture, CLASSIFIER_ARCHITECTURES)
        check_int("hidden", self.hidden, 1, 100_000)


class Judge(nn.Module):
    """What both judges share: logits are ``head(features(x))``, and batched predictions.

    A subclass defines ``features(x) -> (N, F)`` and a ``head`` layer ``F -> 10``.
    """

    head: nn.Linear

    def features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits, shape (N, 10)."""
        return self.head(self.features(x))

    @torch.no_grad()
    def predict(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Predicted digit of every image, shape (N,) int64, computed in batches."""
        return torch.cat([self(b).argmax(1) for b in x.split(batch_size)])


class MNISTClassifier(Judge):
    """Conv(3x3) ReLU MaxPool, Conv(3x3) ReLU MaxPool, Linear ReLU (features), Linear (logits).

    Shapes: ``(N, 1, 28, 28) -> (N, c1, 14, 14) -> (N, c2, 7, 7) -> (N, F) -> (N, 10)``.
    No dropout or batch normalisation, so train and eval mode compute the same function.
    The initial weights come from ``generator`` (default: seeded with 0), never from the
    global RNG.
    """

    def __init__(
        self,
        channels: tuple[int, int] = (8, 16),
        feature_dim: int = 128,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # layer constructors draw from the global RNG
            self._build(channels, feature_dim)
        if generator is None:
            generator = torch.Generator().manual_seed(0)
        torch_default_init(self, generator)

    def _build(self, channels: tuple[int, int], feature_dim: int) -> None:
        c1, c2 = (int(c) for c in channels)
        self.conv = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (N, c2, 7, 7)
        )  # fmt: skip
        self.hidden = nn.Linear(c2 * 7 * 7, feature_dim)
        self.head = nn.Linear(feature_dim, NUM_CLASSES)
        self.feature_dim = feature_dim

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate-layer activations, shape (N, F): the Fréchet distance's feature space."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"x must have shape (N, 1, 28, 28) in [-1, 1], got {tuple(x.shape)}")
        return F.relu(self.hidden(self.conv(x).flatten(1)))


class MLPClassifier(Judge):
    """Linear ReLU, Linear ReLU (features), Linear (logits): the second judge, no convolutions.

    Shapes: ``(N, 1, 28, 28) -> (N, 784) -> (N, hidden) -> (N, F) -> (N, 10)``. The same
    interface as :class:`MNISTClassifier` (``features``, ``head``, ``predict``), no dropout or
    batch normalisation; initial weights from ``generator`` (default: seeded with 0).
    """

    def __init__(
        self,
        hidden: int = 256,
        feature_dim: int = 128,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # layer constructors draw from the global RNG
            self.body = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, hidden), nn.ReLU())
            self.hidden = nn.Linear(hidden, feature_dim)
            self.head = nn.Linear(feature_dim, NUM_CLASSES)
        self.feature_dim = feature_dim
        torch_default_init(self, generator or torch.Generator().manual_seed(0))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Second hidden layer's activations, shape (N, F): this judge's Fréchet space."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"x must have shape (N, 1, 28, 28) in [-1, 1], got {tuple(x.shape)}")
        return F.relu(self.hidden(self.body(x)))


def make_classifier(
    config: ClassifierConfig, generator: torch.Generator | None = None
) -> MNISTClassifier | MLPClassifier:
    """A fresh, untrained judge of ``config.architecture``, initial weights from ``generator``."""
    if config.architecture == "mlp":
        return MLPClassifier(config.hidden, config.feature_dim, generator=generator)
    return MNISTClassifier(config.channels, config.feature_dim, generator=generator)


def architecture_record(model: nn.Module) -> dict:
    """The ``"architecture"`` field of a classifier's JSON: what rebuilds ``model``.

    ``class`` names the class; :class:`MNISTClassifier` adds ``channels`` and ``feature_dim``,
    :class:`MLPClassifier` ``hidden`` and ``feature_dim``. :func:`classifier_from_record`
    inverts it.
    """
    record: dict = {"class": f"ganlib.mnist.classifier.{type(model).__name__}"}
    if isinstance(model, MLPClassifier):
        record["hidden"] = model.body[1].out_features
    else:
        record["channels"] = [model.conv[0].out_channels, model.conv[3].out_channels]
    record["feature_dim"] = model.feature_dim
    record["parameters"] = sum(p.numel() for p in model.parameters())
    record["input"] = "(N, 1, 28, 28) float32 in [-1, 1]"
    return record


def classifier_from_record(architecture: dict) -> MNISTClassifier | MLPClassifier:
    """Build the (untrained) judge that a JSON ``"architecture"`` record describes.

    Records without ``class`` (written before there were two judges) are :class:`MNISTClassifier`.
    """
    name = architecture.get("class", "ganlib.mnist.classifier.MNISTClassifier").rsplit(".", 1)[-1]
    if name == "MLPClassifier":
        return MLPClassifier(architecture["hidden"], architecture["feature_dim"])
    if name == "MNISTClassifier":
        return MNISTClassifier(tuple(architecture["channels"]), architecture["feature_dim"])
    raise ValueError(f"unknown classifier class {architecture.get('class')!r} in the record")


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Shift every image by its own random offset in ``[-max_shift, max_shift]^2`` pixels.

    Parameters
    ----------
    x : torch.Tensor
        (N, 1, 28, 28) in [-1, 1]; the uncovered border is filled with background (-1).
    """
    if max_shift == 0:
        return x
    n, _, h, w = x.shape
    padded = F.pad(x, (max_shift,) * 4, value=-1.0)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator)
    rows = offsets[0, :, None] + torch.arange(h)  # (N, H)
    cols = offsets[1, :, None] + torch.arange(w)  # (N, W)
    batch = torch.arange(n)[:, None, None]
    return padded[batch, 0, rows[:, :, None], cols[:, None, :]].unsqueeze(1)


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``images`` (N, 1, 28, 28) whose predicted digit equals ``labels`` (N,)."""
    return float((model.predict(images) == labels).double().mean())


def train_classifier(
    train: ImageDataset, config: ClassifierConfig | None = None, *, progress: bool = False
) -> MNISTClassifier | MLPClassifier:
    """Train a judge (``config.architecture``) with Adam on cross-entropy; returns it in eval mode.

    .. math::

        \\min_\\theta \\; -\\frac{1}{N} \\sum_i
        \\log \\operatorname{softmax}\\big(f_\\theta(x_i)\\big)_{y_i}

    Parameters
    ----------
    train : ImageDataset
        Training digits (e.g. ``load_offline_mnist("train")``: 4,000 digits, 400 per class).
    config : ClassifierConfig, optional
        Defaults to ``ClassifierConfig()``, the shipped weights' settings.
    progress : bool
        Print the training loss after each epoch.
    """
    config = config or ClassifierConfig()
    rng = torch.Generator().manual_seed(config.seed)
    model = make_classifier(config, generator=rng)
    x, y = to_signed_unit(train.images), torch.as_tensor(train.labels)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * math.ceil(len(y) / config.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=steps)
    model.train()
    for epoch in range(config.epochs):
        total = 0.0
        for idx in torch.randperm(len(y), generator=rng).split(config.batch_size):
            loss = F.cross_entropy(model(random_shift(x[idx], config.max_shift, rng)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        if progress:
            print(f"epoch {epoch + 1}/{config.epochs}: train loss {total / len(y):.4f}")
    return model.eval()


def save_classifier(model: nn.Module, path: str | os.PathLike[str], info: dict) -> Path:
    """Write the state_dict (float32) to ``path`` atomically and ``info`` to ``path.json``.

    The JSON also records ``sha256``, the SHA-256 of the weights file, which the loader
    (:func:`ganlib.mnist.pretrained.load_pretrained_classifier`) checks before reading it.
    """
    path = Path(path)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items()}
    save_checkpoint(path, state)
    record = {**info, "sha256": sha256_file(path)}
    atomic_write_text(path.with_suffix(".json"), json.dumps(record, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> dict:
    """Command line: train on the offline subset, report test accuracy, write weights + JSON."""
    parser = argparse.ArgumentParser(description="Train ganlib's MNIST classifier.")
    parser.add_argument(
        "--out", default=None, help="default: classifier_default.pt (cnn), classifier_mlp.pt (mlp)"
    )
    parser.add_argument("--arch", choices=CLASSIFIER_ARCHITECTURES, default="cnn")
    parser.add_argument("--epochs", type=int, default=ClassifierConfig.epochs)
    parser.add_argument("--seed", type=int, default=ClassifierConfig.seed)
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = str(WEIGHTS_DIR / f"classifier_{'default' if args.arch == 'cnn' else 'mlp'}.pt")
    config = ClassifierConfig(epochs=args.epochs, seed=args.seed, architecture=args.arch)
    torch.set_num_threads(1)  # the machine is shared; one thread avoids OpenMP contention
    train, test = load_offline_mnist("train"), load_offline_mnist("test")
    start = time.perf_counter()
    model = train_classifier(train, config, progress=True)
    seconds = time.perf_counter() - start
    test_acc = accuracy(model, to_signed_unit(test.images), torch.as_tensor(test.labels))
    train_acc = accuracy(model, to_signed_unit(train.images), torch.as_tensor(train.labels))
    info = {
        "architecture": architecture_record(model),
        "training_config": {**asdict(config), "channels": list(config.channels)},
        "data": {
            "train": train.source,
            "test": test.source,
            "split": (
                "ganlib.mnist.data.offline_split_indices: per class, every fifth digit is test"
            ),
        },
        "test_accuracy": round(test_acc, 4),
        "train_accuracy": round(train_acc, 4),
        "per_class_test_counts": np.bincount(test.labels, minlength=10).tolist(),
        "train_seconds": round(seconds, 1),
        "torch_version": torch.__version__,
        "command": " ".join(
            ["python -m ganlib.mnist.classifier", *(sys.argv[1:] if argv is None else argv)]
        ),
    }
    save_classifier(model, args.out, info)
    print(f"test accuracy {test_acc:.4f} on {len(test)} held-out digits; wrote {args.out}")
    return info


if __name__ == "__main__":
    main()
