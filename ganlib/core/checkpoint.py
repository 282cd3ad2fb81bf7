"""Atomic checkpoints made of plain containers and tensors (used by notebooks 02-04).

A checkpoint is a ``dict`` of state_dicts, numbers, strings, lists and tensors, never a pickled
module, so it loads with ``torch.load(weights_only=True)``: loading runs no code from the file.
It is written with :func:`ganlib.core.files.atomic_open` (temporary file, fsync, rename, fsync of
the folder), so a crash or Ctrl-C mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from ganlib.core.files import atomic_open


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> Path:
    """Write ``state`` to ``path`` atomically (temporary file in the same folder, then rename).

    Parameters
    ----------
    path : path-like
        Destination file; its folder is created when missing.
    state : dict
        State_dicts, tensors and plain Python values only (what ``weights_only=True`` loads).

    Returns
    -------
    Path
        The written file.
    """
    if not isinstance(state, dict):
        raise ValueError(f"state must be a dict of state_dicts and values, got {type(state)}")
    with atomic_open(path, "wb") as f:
        torch.save(state, f)
    return Path(path)


def load_checkpoint(
    path: str | os.PathLike[str], map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` with ``weights_only=True``.

    Parameters
    ----------
    path : path-like
        The checkpoint file.
    map_location : str or torch.device
        Where tensors are put (default the CPU).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; train first or check the path")
    state = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a checkpoint dict (got {type(state).__name__})")
    return state
