"""The checks that keep an MNIST GAN run from losing work or going wrong silently (notebook 04).

:mod:`ganlib.mnist.training` calls them before the first iteration and while it runs:

* :func:`divergence_cause` and :func:`nonfinite_parameter`: has the run diverged? (a loss that
  is NaN, infinite or beyond :data:`LOSS_LIMIT`, or a parameter or buffer that is NaN or inf);
  such a state is never logged, checkpointed or exported;
* :func:`data_fingerprint`, :func:`check_same_data`: a checkpoint records the images it was
  trained on, and resuming on other images is refused, naming both;
* :func:`check_training_state`, :func:`check_resumable`: the file is a training checkpoint (not
  a generator's weights), of this architecture, with the same settings.

Each failure raises an exception whose kind the command line maps to its exit status:
:class:`ResumeError` (bad input), :class:`DataMismatchError` and
:class:`~ganlib.core.checkpoint.CheckpointError` (data errors), :class:`SaveError` (I/O).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from ganlib.core.checkpoint import CheckpointError, load_checkpoint
from ganlib.core.validation import check_float, is_real

#: |loss| above this (nats) in any iteration means the logits have exploded: divergence.
LOSS_LIMIT = 1e4
#: Settings that may change when a run is resumed (they do not change the maths).
RESUMABLE_CHANGES = ("steps", "log_every", "checkpoint_every", "grid_every", "cuda_graph")
#: The ``kind`` in the header of a training checkpoint (:mod:`ganlib.core.checkpoint`).
CHECKPOINT_KIND = "mnist-gan-training"
#: What every training checkpoint holds.
TRAINING_STATE_KEYS = (
    "generator", "discriminator", "opt_g", "opt_d", "config", "rng", "step", "perm",
)  # fmt: skip


class ResumeError(ValueError):
    """A run cannot start as asked: nothing to resume, changed settings, a checkpoint in the way."""


class DataMismatchError(ValueError):
    """A checkpoint was trained on other images than the ones given to resume it."""


class SaveError(OSError):
    """Writing a checkpoint or the history failed (full disk, no permission); training stopped."""


def divergence_cause(values: Mapping[str, Any], limit: float = LOSS_LIMIT) -> str | None:
    """Why these losses mean the run has diverged, or ``None`` when they are healthy.

    A value diverges when it is NaN or infinite, or when :math:`|v| >` ``limit`` (exploding
    logits: a D loss of 2.6e10 is finite but no longer a GAN). The toy trainer uses the same
    limit. Raises ``ValueError`` naming the entry when a value is not a real number.
    """
    limit = check_float("limit", limit, 0.0, low_open=True)
    checked = {}
    for name, value in values.items():
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            value = value.item()
        if not is_real(value):
            raise ValueError(f"{name} must be a real number, got {value!r}")
        try:
            checked[name] = float(value)
        except OverflowError:  # an int beyond float's range is beyond any limit
            checked[name] = math.inf
    for name, v in checked.items():
        if not math.isfinite(v):
            return f"{name} became {v}"
        if abs(v) > limit:
            return f"{name} reached {v:.3g}, beyond the loss limit {limit:g}"
    return None


def nonfinite_parameter(*modules: torch.nn.Module) -> str | None:
    """The name of the first parameter or buffer holding NaN or inf, or ``None``."""
    for module in modules:
        for name, tensor in (*module.named_parameters(), *module.named_buffers()):
            if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                return f"{type(module).__name__}.{name}"
    return None


def data_fingerprint(images: torch.Tensor) -> dict[str, Any]:
    """Number and SHA-256 of the training images (float32 bytes), as a checkpoint records them."""
    array = images.detach().to("cpu", torch.float32).contiguous().numpy()
    return {"n_images": int(images.shape[0]), "sha256": hashlib.sha256(array).hexdigest()}


def describe_step(path: Path) -> str:
    """``", step N of M"`` for an existing training checkpoint (``", unreadable"`` if damaged)."""
    try:
        state = load_checkpoint(path, kind=CHECKPOINT_KIND)
        return f", step {state['step']} of {state['config']['steps']}"
    except (CheckpointError, KeyError, TypeError, OSError):
        return ", unreadable"


def check_run_folder(path: Path, resume: bool, overwrite: bool) -> None:
    """Refuse to resume without a checkpoint, and to replace one without ``overwrite``."""
    if resume and not path.is_file():
        raise ResumeError(
            f"nothing to resume in {path.parent}: there is no {path.name} there; start "
            "without resuming, or point to the folder of the run to continue"
        )
    if not resume and path.exists() and not overwrite:
        raise ResumeError(
            f"{path.parent} already holds a checkpoint ({path.name}{describe_step(path)}); "
            "resume it (--resume, resume=True), write to another folder, or replace it "
            "(--overwrite, overwrite=True)"
        )


def check_training_state(path: Path, state: dict[str, Any]) -> None:
    """Refuse a file that is a checkpoint, but not of a training run."""
    missing = [k for k in TRAINING_STATE_KEYS if k not in state]
    if not missing:
        return
    if state and all(isinstance(v, torch.Tensor) for v in state.values()):
        what = (
            "only a model's weights (a state_dict such as export_generator writes), no "
            "optimiser, random state or data order"
        )
    else:
        what = f"no {', '.join(missing)}"
    raise CheckpointError(
        f"{path} is not a training checkpoint: it holds {what}, so training cannot resume from "
        "it. Load weights with ganlib.mnist.pretrained.load_pretrained_generator, or start a new "
        "run without resuming."
    )


def check_resumable(path: Path, current: dict[str, Any], saved: dict[str, Any]) -> None:
    """Refuse to resume when a setting other than :data:`RESUMABLE_CHANGES` differs.

    ``current`` and ``saved`` are complete config dicts (``MNISTGANConfig.to_dict()``).
    """
    if saved["arch"] != current["arch"]:
        raise ResumeError(
            f"{path} is a checkpoint of arch {saved['arch']!r}, not {current['arch']!r}: resume "
            f"it with --arch {saved['arch']}, or train {current['arch']!r} in another folder"
        )
    changed = [k for k in current if k not in RESUMABLE_CHANGES and current[k] != saved.get(k)]
    if changed:
        detail = ", ".join(
            f"{k}: checkpoint {saved.get(k)!r} vs now {current[k]!r}" for k in changed
        )
        raise ResumeError(
            f"cannot resume {path}: settings differ from the checkpoint ({detail}); only "
            f"{', '.join(RESUMABLE_CHANGES)} may change. Use the checkpoint's settings or "
            "another folder."
        )


def describe_data(data: Mapping[str, Any]) -> str:
    parts = [str(data[k]) for k in ("dataset", "split") if data.get(k) is not None]
    if data.get("limit") is not None:
        parts.append(f"first {data['limit']}")
    sha = str(data.get("sha256", "?"))[:12]
    return f"{' '.join(parts) or 'images'} ({data.get('n_images', '?')} images, sha256 {sha}...)"


def check_same_data(path: Path, now: dict[str, Any], state: dict[str, Any]) -> None:
    saved = state.get("data")
    if saved is None:  # a checkpoint from before data were recorded: the size at least
        if len(state["perm"]) != now["n_images"]:
            raise DataMismatchError(
                f"{path} was trained on {len(state['perm'])} images, now {now['n_images']} are "
                "given; resume with the same data (the same --dataset and --limit)"
            )
        print(f"ganlib: {path} does not record its data; cannot check they are the same")
        return
    if saved.get("sha256") != now["sha256"] or saved.get("n_images") != now["n_images"]:
        raise DataMismatchError(
            f"cannot resume {path} on other data: it was trained on {describe_data(saved)}, "
            f"now given {describe_data(now)}. Resume with the same --dataset and --limit, or "
            "train a new run in another folder."
        )
