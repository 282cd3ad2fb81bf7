"""Command line for long MNIST GAN runs: ``python -m ganlib.mnist.train`` or ``ganlib-train``.

Example (each shipped generator's exact command is in ``ganlib/mnist/weights/generator_*.json``)::

    python -m ganlib.mnist.train --arch keras_gan --steps 6000 --threads 1 --out runs/kg \
        --export ganlib/mnist/weights --export-name keras_gan

writes ``runs/kg/checkpoint.pt`` (every ``--checkpoint-every`` iterations, at the end and on
Ctrl-C), ``runs/kg/history.json`` and one PNG sample grid per ``--grid-every`` epochs in
``runs/kg/samples/``. ``--resume`` continues from the checkpoint, bit-for-bit on the same
device. Exit status: 0 finished, 1 diverged (NaN loss), 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import torch

from ganlib.core.device import pick_device
from ganlib.core.files import atomic_write_text
from ganlib.mnist.models import ARCHITECTURES
from ganlib.mnist.training import LOSSES, MNISTGANConfig, TrainResult, tile, train_gan

EXIT_CODES = {"completed": 0, "diverged": 1, "interrupted": 130}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (defaults from :class:`MNISTGANConfig`)."""
    d = MNISTGANConfig()
    p = argparse.ArgumentParser(prog="ganlib-train", description=__doc__.splitlines()[0])
    add = p.add_argument
    add("--arch", choices=ARCHITECTURES, default=d.arch)
    add("--latent-dim", type=int, default=None, help="default: the architecture's own")
    add("--steps", type=int, default=d.steps, help="iterations (k D steps + 1 G step each)")
    add("--batch-size", type=int, default=d.batch_size)
    add("--k", type=int, default=d.k, help="discriminator steps per iteration")
    add("--loss", choices=LOSSES, default=d.loss)
    add("--lr-d", type=float, default=d.lr_d)
    add("--lr-g", type=float, default=d.lr_g)
    add("--beta1", type=float, default=d.beta1)
    add("--beta2", type=float, default=d.beta2)
    add("--seed", type=int, default=d.seed)
    add("--log-every", type=int, default=d.log_every)
    add("--checkpoint-every", type=int, default=d.checkpoint_every)
    add("--grid-every", type=int, default=d.grid_every, help="epochs between sample grids")
    add("--grid-size", type=int, default=d.grid_size)
    add("--dataset", choices=("mnist", "fashion-mnist"), default="mnist")
    add("--data-dir", default=None, help="IDX folder root (default: $GANLIB_DATA_DIR or data/)")
    add("--no-download", action="store_true", help="never download (MNIST: offline subset)")
    add("--limit", type=int, default=None, help="train on the first N images only")
    add("--out", default="runs/mnist_gan", help="folder for checkpoint, history and PNGs")
    add("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    add("--device", default=None, help="cuda, mps or cpu (default: best available)")
    add("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    add("--no-progress", action="store_true")
    add("--export", default=None, help="folder to write generator_NAME.pt/.json into")
    add("--export-name", default="default")
    return p


def config_from_args(args: argparse.Namespace) -> MNISTGANConfig:
    """Map the parsed arguments onto a validated :class:`MNISTGANConfig`."""
    names = MNISTGANConfig.__dataclass_fields__
    return MNISTGANConfig(**{k: v for k, v in vars(args).items() if k in names})


def load_images(args: argparse.Namespace) -> tuple[torch.Tensor, str]:
    """The training images as a float tensor in [-1, 1] and a description of their source."""
    from ganlib.mnist.data import load_dataset, to_signed_unit

    data = load_dataset(args.dataset, "train", root=args.data_dir, download=not args.no_download)
    images = data.images if args.limit is None else data.images[: args.limit]
    return to_signed_unit(images), f"{data.source} ({len(images):,} images)"


def save_png(path: Path, samples: torch.Tensor) -> None:
    """Write a uint8 sample grid ``(n, 28, 28)`` as a PNG."""
    from matplotlib.image import imsave

    path.parent.mkdir(parents=True, exist_ok=True)
    imsave(path, tile(samples), cmap="gray", vmin=0, vmax=255)


def _png_writer(out: Path):
    """A training callback that writes each new sample grid as ``samples/epoch_NNNN.png``."""
    written = {"n": 0}

    def callback(result: TrainResult) -> None:
        for i in range(written["n"], len(result.samples)):
            save_png(
                out / "samples" / f"epoch_{result.sample_epochs[i]:04d}.png", result.samples[i]
            )
        written["n"] = len(result.samples)

    return callback


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 finished, 1 diverged, 130 Ctrl-C)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    p = build_parser()
    args = p.parse_args(argv)
    try:
        config = config_from_args(args)
        if args.threads is not None and args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        if args.limit is not None and args.limit < config.batch_size:
            raise ValueError(f"--limit must be >= --batch-size ({config.batch_size})")
    except ValueError as err:
        p.error(str(err))
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    images, source = load_images(args)
    print(f"ganlib: training {config.arch} on {source}")
    out = Path(args.out)
    writer = _png_writer(out)
    start = time.perf_counter()
    result = train_gan(
        config, images, device=device, checkpoint_path=out / "checkpoint.pt", resume=args.resume,
        progress=not args.no_progress, callback=writer,
    )  # fmt: skip
    writer(result)
    wall = time.perf_counter() - start
    history = {"config": config.to_dict(), "status": result.status, "history": result.history}
    atomic_write_text(out / "history.json", json.dumps(history, indent=1))
    print(f"ganlib: {result.status} at iteration {result.step} in {wall:.0f} s; outputs in {out}")
    if args.export is not None and result.status == "completed":
        info = {
            "command": "python -m ganlib.mnist.train " + shlex.join(argv),
            "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
            "torch_threads": torch.get_num_threads(),
            "training_seconds": round(result.history["seconds"][-1], 1),
            "data": source,
        }
        from ganlib.mnist.pretrained import export_generator

        path = export_generator(result.generator, config, Path(args.export), args.export_name, info)
        print(f"ganlib: exported the generator to {path}")
    return EXIT_CODES[result.status]


if __name__ == "__main__":
    raise SystemExit(main())
