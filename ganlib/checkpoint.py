"""Atomic checkpoints made of plain containers and tensors (notebook 03).

A checkpoint is a ``dict`` of state_dicts, numbers, strings, lists and tensors, never a pickled
module, so it loads with ``torch.load(weights_only=True)``: loading runs no code from the file.
It is written to a temporary file in the same folder and then renamed over the old one with
``os.replace``, which is atomic on POSIX and Windows, so a crash or Ctrl-C mid-write leaves
the previous checkpoint intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import torch


@contextmanager
def _atomic_file(path: str | os.PathLike[str], mode: str) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success fsync it and rename it over ``path``.

    On any exception (Ctrl-C included) the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    with _atomic_file(path, "wb") as f:
        torch.save(state, f)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: temporary file in the same folder, rename.

    Used for the JSON records beside saved weights, so that an interrupt never leaves a
    half-written record next to good weights.
    """
    with _atomic_file(path, "w") as f:
        f.write(text)
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
