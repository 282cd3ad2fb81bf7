"""Command line for long MNIST GAN runs: ``python -m ganlib.mnist.train`` or ``ganlib-train``.

Example (each shipped generator's exact command is in ``ganlib/mnist/weights/generator_*.json``)::

    python -m ganlib.mnist.train --arch keras_gan --steps 6000 --threads 1 --out runs/kg \
        --export ganlib/mnist/weights --export-name keras_gan

writes ``runs/kg/checkpoint.pt`` (every ``--checkpoint-every`` iterations, at the end and on
Ctrl-C or SIGTERM), ``runs/kg/history.json`` and one PNG sample grid per ``--grid-every`` epochs
in ``runs/kg/samples/``, and appends the command to ``runs/kg/commands.txt`` (a resumed run
lists every command that trained it, and so does the exported JSON). ``--recipe keras_gan`` or
``--recipe tutorial`` starts from a reference recipe (:meth:`MNISTGANConfig.keras_gan`,
:meth:`MNISTGANConfig.tutorial`); flags override it.

A folder that holds a checkpoint is never replaced silently: ``--resume`` continues it
(bit-for-bit on the same device), ``--overwrite`` starts afresh. Ctrl-C and SIGTERM stop at the
next iteration boundary and save first. Every setting and path is checked before training.
While a run writes to OUT it holds ``OUT/.ganlib-train.lock`` (released however the process
ends), so a second run into the same folder is refused.

Exit status (every expected failure is one line on stderr; a traceback means a bug):

====  ==============================================================================
0     finished
2     bad input: a setting, a path, --resume without a checkpoint, a changed setting
3     data error: damaged data or checkpoint file, a checkpoint of other data
4     diverged: a loss became NaN, inf or exploded, or a parameter became NaN or inf
5     I/O error: a file could not be written (full disk, permissions)
130   interrupted by Ctrl-C or SIGTERM (after saving)
====  ==============================================================================
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch

from ganlib.core.checkpoint import CheckpointError
from ganlib.core.device import pick_device
from ganlib.core.files import atomic_write_text, folder_lock, remove_stale_temporaries_in
from ganlib.core.validation import check_file_stem, check_int
from ganlib.mnist.config import LOOPS, MNISTGANConfig
from ganlib.mnist.data import DataFileError, load_dataset, to_signed_unit
from ganlib.mnist.grids import save_png
from ganlib.mnist.models import ARCHITECTURES
from ganlib.mnist.training import (
    LOSSES,
    DataMismatchError,
    ResumeError,
    SaveError,
    TrainResult,
    _Trainer,
    check_run_folder,
    prepare_training,
)

EXIT_CODES = {
    "completed": 0,
    "bad input": 2,
    "data error": 3,
    "diverged": 4,
    "I/O error": 5,
    "interrupted": 130,
}
RECIPES = {
    "default": MNISTGANConfig,
    "keras_gan": MNISTGANConfig.keras_gan,
    "tutorial": MNISTGANConfig.tutorial,
}
LOCK_NAME = ".ganlib-train.lock"
#: Every command that trained the run in OUT, one per line (see :func:`_log_command`).
COMMANDS_NAME = "commands.txt"


class CommandError(Exception):
    """An expected failure: ``kind`` is a key of :data:`EXIT_CODES`, the message one line."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (config defaults: the ``--recipe``'s, :class:`MNISTGANConfig`'s)."""
    d = MNISTGANConfig()
    p = argparse.ArgumentParser(prog="ganlib-train", description=__doc__.splitlines()[0])
    add = p.add_argument
    add("--recipe", choices=tuple(RECIPES), default="default", help="defaults of the settings")
    add("--arch", choices=ARCHITECTURES, default=None, help=f"default {d.arch}")
    add("--latent-dim", type=int, default=None, help="default: the architecture's own")
    add("--steps", type=int, default=None, help=f"iterations (default {d.steps})")
    add("--batch-size", type=int, default=None, help=f"default {d.batch_size}")
    add("--k", type=int, default=None, help=f"D steps per iteration (default {d.k})")
    add("--loop", choices=LOOPS, default=None, help=f"order of one iteration (default {d.loop})")
    add("--loss", choices=LOSSES, default=None, help=f"default {d.loss}")
    add("--lr-d", type=float, default=None, help=f"default {d.lr_d:g}")
    add("--lr-g", type=float, default=None, help=f"default {d.lr_g:g}")
    add("--beta1", type=float, default=None, help=f"default {d.beta1:g}")
    add("--beta2", type=float, default=None, help=f"default {d.beta2:g}")
    add("--seed", type=int, default=None, help=f"default {d.seed}")
    add("--log-every", type=int, default=None, help=f"default {d.log_every}")
    add("--checkpoint-every", type=int, default=None, help=f"default {d.checkpoint_every}")
    add("--grid-every", type=int, default=None, help=f"epochs between grids ({d.grid_every})")
    add("--grid-size", type=int, default=None, help=f"default {d.grid_size}")
    # fmt: off
    add("--augment", type=float, default=None, dest="augment_p", metavar="P",
        help="DiffAugment (translation, cutout) with probability P on every image D sees "
        f"(default {d.augment_p:g}: off)")
    add("--ema", type=float, default=None, dest="ema_decay", metavar="DECAY",
        help=f"export a moving average of G's weights, e.g. 0.999 (default {d.ema_decay:g}: off)")
    add("--one-d-call", action="store_true", default=None, dest="one_d_call",
        help="score real and fake images in one call of D (joint and tutorial loops)")
    add("--r1", type=float, default=None, dest="r1_gamma", metavar="GAMMA",
        help=f"R1 penalty (GAMMA/2) E|grad_x logit|^2 on real images (default {d.r1_gamma:g}: off)")
    add("--r1-every", type=int, default=None, dest="r1_every", metavar="N",
        help=f"lazy R1: every N-th D step, weighted by N (default {d.r1_every})")
    add("--cuda-graph", action="store_true", default=None, dest="cuda_graph",
        help="on CUDA, replay each iteration from a CUDA graph (else: the plain loop)")
    # fmt: on
    add("--dataset", choices=("mnist", "fashion-mnist"), default="mnist")
    add("--data-dir", default=None, help="IDX folder root (default: $GANLIB_DATA_DIR or data/)")
    add("--no-download", action="store_true", help="never download (MNIST: offline subset)")
    add("--limit", type=int, default=None, help="train on the first N images only")
    add("--out", default="runs/mnist_gan", help="folder for checkpoint, history and PNGs")
    add("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    add("--overwrite", action="store_true", help="replace a checkpoint (and PNGs) in OUT")
    add("--device", default=None, help="cuda, mps or cpu (default: best available)")
    add("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    add("--no-progress", action="store_true")
    add("--export", default=None, help="folder to write generator_NAME.pt/.json into")
    add("--export-name", default="default")
    return p


def config_from_args(args: argparse.Namespace) -> MNISTGANConfig:
    """Map the parsed arguments onto a validated :class:`MNISTGANConfig` (``--recipe`` first)."""
    names = {f.name for f in fields(MNISTGANConfig)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    return RECIPES[args.recipe](**given)


def _check_cli_settings(args: argparse.Namespace, config: MNISTGANConfig) -> None:
    """The settings that are not part of the config, with the flag's name in the message."""
    if args.threads is not None:
        check_int("--threads", args.threads, 1, 1024)
    if args.limit is not None:
        check_int("--limit", args.limit, 1)
        if args.limit < config.batch_size:
            raise ValueError(
                f"--limit {args.limit} is less than one batch (--batch-size {config.batch_size})"
            )
    check_file_stem("--export-name", args.export_name)
    if args.resume and args.overwrite:
        raise ValueError("--resume and --overwrite exclude each other: continue or start afresh")


def _pick_device(name: str | None) -> torch.device:
    if name is not None and name.split(":")[0] not in ("cuda", "mps", "cpu"):
        raise ValueError(f"--device {name} is not a device type; use cuda, mps or cpu")
    device = pick_device(name)
    if device.type == "cuda" and device.index is not None:
        count = torch.cuda.device_count()
        if device.index >= count:
            raise ValueError(f"--device {name}: this machine has {count} CUDA device(s)")
    return device


def _writable_folder(flag: str, folder: Path) -> None:
    """Create ``folder`` if needed and check that a file can be written there (before training)."""
    if folder.exists() and not folder.is_dir():
        raise CommandError("bad input", f"{flag} {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise CommandError(
            "I/O error", f"{flag} {folder} is not writable: {err.strerror or err}"
        ) from None


def load_images(args: argparse.Namespace) -> tuple[torch.Tensor, dict[str, Any]]:
    """The training images as a float tensor in [-1, 1] and a record of what they are."""
    data = load_dataset(args.dataset, "train", root=args.data_dir, download=not args.no_download)
    if args.limit is not None and args.limit > len(data):
        raise CommandError(
            "bad input", f"--limit {args.limit} exceeds the {len(data):,} images of {data.source}"
        )
    images = data.images if args.limit is None else data.images[: args.limit]
    info = {"dataset": args.dataset, "split": "train", "limit": args.limit, "source": data.source}
    return to_signed_unit(images), info


def _png_writer(out: Path):
    """A training callback that writes each new sample grid as ``samples/epoch_NNNN.png``."""
    written = {"n": 0, "failed": False}

    def callback(result: TrainResult) -> None:
        for i in range(written["n"], len(result.samples)):
            path = out / "samples" / f"epoch_{result.sample_epochs[i]:04d}.png"
            try:
                save_png(path, result.samples[i])
            except OSError as err:  # the checkpoint holds the grids too: say so, keep training
                if not written["failed"]:
                    print(f"ganlib: could not write {path} ({err}); the checkpoint keeps the grids")
                written["failed"] = True
        written["n"] = len(result.samples)

    return callback


def _prepare(args: argparse.Namespace) -> tuple[_Trainer, torch.device]:
    """Everything before the first iteration; raises :class:`CommandError`."""
    try:
        config = config_from_args(args)
        _check_cli_settings(args, config)
        device = _pick_device(args.device)
    except ValueError as err:
        raise CommandError("bad input", str(err)) from None
    out = Path(args.out)  # created and checked by main, which locks it
    if args.export is not None:
        _writable_folder("--export", Path(args.export))
    for folder in (out, out / "samples"):
        remove_stale_temporaries_in(folder)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    try:
        check_run_folder(out / "checkpoint.pt", args.resume, args.overwrite)  # before loading data
        images, info = load_images(args)
        trainer = prepare_training(
            config, images, device=device, checkpoint_path=out / "checkpoint.pt",
            resume=args.resume, overwrite=args.overwrite, history_path=out / "history.json",
            data_info=info,
        )  # fmt: skip
    except (DataMismatchError, CheckpointError, DataFileError) as err:
        raise CommandError("data error", str(err)) from None
    except ResumeError as err:
        raise CommandError("bad input", str(err)) from None
    except OSError as err:  # DataFileError is a ValueError; a download failure an OSError
        raise CommandError("data error" if err.errno is None else "I/O error", str(err)) from None
    except ValueError as err:  # e.g. a batch larger than the data set
        raise CommandError("bad input", str(err)) from None
    if args.overwrite:
        for old in (out / "samples").glob("epoch_*.png"):
            old.unlink()
    print(f"ganlib: training {config.arch} ({config.loop} loop) on {info['source']}")
    return trainer, device


def _command(argv: list[str]) -> str:
    return "python -m ganlib.mnist.train " + shlex.join(argv)


def _log_command(out: Path, argv: list[str], step: int, fresh: bool) -> list[str]:
    """Append this invocation to ``OUT/commands.txt`` (a new run starts the file afresh).

    A run resumed a few times was trained by all of these commands; the exported record lists
    them. Returns the lines.
    """
    path = out / COMMANDS_NAME
    lines = [] if fresh or not path.is_file() else path.read_text().splitlines()
    lines.append(f"from iteration {step}: {_command(argv)}")
    atomic_write_text(path, "\n".join(lines) + "\n")
    return lines


def _export(
    args: argparse.Namespace, argv: list[str], result: TrainResult, device, commands: list[str]
) -> None:
    from ganlib.mnist.pretrained import export_generator

    c = result.config
    info = {
        "command": _command(argv),
        "commands": commands,
        "device": str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        "torch_threads": torch.get_num_threads(),
        "training_seconds": round(result.history["seconds"][-1], 3),
        "data": f"{result.data.get('source', '?')} ({result.data.get('n_images', 0):,} images)",
        "augment": f"DiffAugment p={c.augment_p:g}" if c.augment_p > 0 else "none",
        "r1": f"gamma {c.r1_gamma:g}, every {c.r1_every} D steps" if c.r1_gamma > 0 else "none",
        "exported": f"EMA of G, decay {c.ema_decay:g}" if c.ema_decay > 0 else "G itself",
    }
    try:
        path = export_generator(
            result.final_generator, c, Path(args.export), args.export_name, info
        )
    except OSError as err:
        raise CommandError("I/O error", f"could not export the generator: {err}") from None
    print(f"ganlib: exported the generator to {path}")


def _fail(err: CommandError) -> int:
    message = " ".join(str(err).split())  # one line
    print(f"ganlib-train: {err.kind}: {message}", file=sys.stderr)
    return EXIT_CODES[err.kind]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)  # a malformed flag: argparse's message, exit 2
    try:
        _writable_folder("--out", Path(args.out))
        with folder_lock(Path(args.out), LOCK_NAME):
            return _run(args, argv)
    except CommandError as err:
        return _fail(err)
    except BlockingIOError as err:
        return _fail(CommandError("bad input", str(err)))
    except KeyboardInterrupt:  # before training began (loading data): nothing to save
        return _fail(CommandError("interrupted", "interrupted before training began"))


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    trainer, device = _prepare(args)
    out = Path(args.out)
    step = trainer.result.step  # 0 for a new run, also with --resume and no checkpoint yet
    commands = _log_command(out, argv, step, fresh=step == 0)
    writer = _png_writer(out)
    start = time.perf_counter()
    try:
        result = trainer.run(progress=not args.no_progress, callback=writer)
    except SaveError as err:
        raise CommandError("I/O error", str(err)) from None
    writer(result)
    wall = time.perf_counter() - start
    print(f"ganlib: {result.status} at iteration {result.step} in {wall:.0f} s; outputs in {out}")
    if args.export is not None and result.status == "completed":
        _export(args, argv, result, device, commands)
    return EXIT_CODES[result.status]


if __name__ == "__main__":
    raise SystemExit(main())
