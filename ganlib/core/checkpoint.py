"""Atomic, self-checking checkpoints made of plain containers and tensors (notebooks 02-04).

A checkpoint is a ``dict`` of state_dicts, numbers, strings, lists and tensors, never a pickled
module, so it loads with ``torch.load(weights_only=True)``: loading runs no code from the file.
It is written with :func:`ganlib.core.files.atomic_open` (temporary file, fsync, rename, fsync of
the folder), so a crash or Ctrl-C mid-write leaves the previous checkpoint intact.

Every checkpoint carries a header, the entry :data:`HEADER_KEY`:
``{"format": 1, "kind": ..., "sha256": ...}``. The SHA-256 is :func:`content_sha256` of the
rest of the dict: every tensor's dtype, shape and bytes and every plain value, in order. The
loader checks, in this order, and raises :class:`CheckpointError` saying what the file is and
what to do when one fails:

1. the file is not empty, is a zip archive (PyTorch's format) and every member passes its
   CRC-32 (a truncated or bit-flipped file fails here);
2. it unpickles with ``weights_only=True`` (a pickle that would run code is refused);
3. the content's SHA-256 equals the header's, and the ``kind`` is the one asked for.

Files written by plain ``torch.save`` have no header; they load with checks 1 and 2 only, or
against a SHA-256 of the whole file recorded elsewhere (the JSON records of the shipped weights).
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

from ganlib.core.files import atomic_open, sha256_bytes

#: The entry of a checkpoint dict that holds its format, kind and content digest.
HEADER_KEY = "ganlib_header"
FORMAT_VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint: empty, truncated, damaged, unsafe or another kind."""


def _feed(digest: Any, value: Any) -> None:
    """Add ``value`` to a running SHA-256, with its type and structure."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        digest.update(f"T{t.dtype}{tuple(t.shape)};".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(value, dict):
        digest.update(f"D{len(value)};".encode())
        for key, item in value.items():
            _feed(digest, key)
            _feed(digest, item)
    elif isinstance(value, list | tuple):
        digest.update(f"{type(value).__name__[0]}{len(value)};".encode())
        for item in value:
            _feed(digest, item)
    elif value is None or isinstance(value, bool | int | float | str | bytes):
        digest.update(f"{type(value).__name__}:{value!r};".encode())
    else:
        raise ValueError(
            f"state holds a {type(value).__name__}: a checkpoint holds only state_dicts, "
            "tensors, numbers, strings, bytes, None, lists, tuples and dicts"
        )


def content_sha256(state: dict[str, Any]) -> str:
    """SHA-256 of a checkpoint's content (every tensor's dtype, shape and bytes, every value).

    Two dicts have the same digest exactly when they hold the same keys in the same order with
    equal values (tensors bit for bit), wherever their tensors live.
    """
    digest = hashlib.sha256()
    _feed(digest, state)
    return digest.hexdigest()


def save_checkpoint(
    path: str | os.PathLike[str], state: dict[str, Any], *, kind: str | None = None
) -> Path:
    """Write ``state`` with its header to ``path`` atomically (temporary file, then rename).

    Parameters
    ----------
    path : path-like
        Destination file; its folder is created when missing.
    state : dict
        State_dicts, tensors and plain Python values only (what ``weights_only=True`` loads),
        with string keys.
    kind : str, optional
        What the file is (``"mnist-gan-training"``, ``"generator"``, ...), recorded in the header
        so that a loader can refuse a file of another kind with a clear message.

    Returns
    -------
    Path
        The written file.
    """
    if not isinstance(state, dict):
        raise ValueError(f"state must be a dict of state_dicts and values, got {type(state)}")
    if HEADER_KEY in state:
        raise ValueError(f"state must not hold the key {HEADER_KEY!r}: ganlib writes it")
    header = {"format": FORMAT_VERSION, "kind": kind, "sha256": content_sha256(state)}
    with atomic_open(path, "wb") as f:
        torch.save({**state, HEADER_KEY: header}, f)
    return Path(path)


def _damaged(path: Path, what: str) -> CheckpointError:
    return CheckpointError(
        f"{path} is damaged: {what}. It cannot be used; delete it, then resume from another "
        "checkpoint or train again (ganlib's own saves never leave a half-written file under the "
        "final name, so it was changed or cut off after it was written)."
    )


def _check_container(path: Path, data: bytes) -> None:
    """Check 1 of the module docstring: non-empty zip archive, every member's CRC-32 intact."""
    if not data:
        raise CheckpointError(
            f"{path} is empty (0 bytes), so it holds no checkpoint: the program that made it "
            "stopped before writing anything. Delete it, then resume from another checkpoint or "
            "train again."
        )
    if not data.startswith(_ZIP_MAGIC):
        raise CheckpointError(
            f"{path} is not a checkpoint: it starts with {data[:8]!r}, while a checkpoint (the "
            "zip format of torch.save) starts with b'PK\\x03\\x04'. Check the path; checkpoints "
            "are the .pt files that ganlib writes."
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, ValueError) as err:
        raise _damaged(path, f"it is truncated or its zip index is unreadable ({err})") from None
    if bad is not None:
        raise _damaged(path, f"the member {bad!r} fails its CRC-32 check (a byte changed)")


def _unpickle(path: Path, data: bytes, map_location: Any) -> Any:
    """Check 2: ``torch.load(weights_only=True)``; a refused pickle gets ganlib's message."""
    try:
        return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"GLOBAL ([\w.]+)", str(err))
        what = f" (it refers to {found.group(1)})" if found else ""
        raise CheckpointError(
            f"{path} holds pickled Python objects{what}, not only tensors and plain values. "
            "ganlib refuses to load it, because unpickling such a file can run any code. Use it "
            "only if you know who made it and why; ganlib's own files never contain such objects."
        ) from None
    except (RuntimeError, EOFError, KeyError, ValueError, OSError) as err:
        raise _damaged(path, f"PyTorch cannot read it ({type(err).__name__}: {err})") from None


def describe_kind(kind: str | None) -> str:
    """A few words for a checkpoint kind, for error messages."""
    return {
        None: "a checkpoint of unknown kind",
        "mnist-gan-training": "an MNIST GAN training checkpoint",
        "generator": "a generator's weights (written by export_generator)",
        "classifier": "a classifier's weights",
    }.get(kind, f"a {kind!r} checkpoint")


def load_checkpoint(
    path: str | os.PathLike[str],
    map_location: str | torch.device = "cpu",
    *,
    sha256: str | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """Load and verify a checkpoint (see the module docstring); return it without its header.

    Parameters
    ----------
    path : path-like
        The checkpoint file.
    map_location : str or torch.device
        Where tensors are put (default the CPU).
    sha256 : str, optional
        The SHA-256 of the whole file recorded elsewhere (a JSON record); checked first.
    kind : str, optional
        Refuse a file whose header names another kind.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    CheckpointError
        Any failed check; the message says what the file is and what to do.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; train first or check the path")
    data = path.read_bytes()
    if sha256 is not None and sha256_bytes(data) != sha256:
        raise CheckpointError(
            f"{path} does not match its record: its SHA-256 is {sha256_bytes(data)}, the "
            f"recorded one {sha256}. The file was damaged, changed, or replaced without its "
            "record; restore both files or export them again."
        )
    _check_container(path, data)
    state = _unpickle(path, data, map_location)
    if not isinstance(state, dict):
        raise CheckpointError(
            f"{path} holds a {type(state).__name__}, not a checkpoint dict; it was not written "
            "by ganlib. Check the path."
        )
    header = state.pop(HEADER_KEY, None)
    if header is not None:
        if header.get("sha256") != content_sha256(state):
            raise _damaged(path, "its content differs from the SHA-256 in its header")
        if kind is not None and header.get("kind") != kind:
            raise CheckpointError(
                f"{path} holds {describe_kind(header.get('kind'))}, not "
                f"{describe_kind(kind)}. Check the path."
            )
    return state
