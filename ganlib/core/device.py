"""Run-time device choice and explicit seeding, shared by every notebook.

Nothing here is evaluated at import time: the device is picked when a function asks for it,
so a notebook started on a laptop uses the CPU and the same notebook on a GPU machine uses CUDA.
"""

from __future__ import annotations

import torch

_KNOWN = ("cuda", "mps", "cpu")


def pick_device(prefer: str | None = None, *, verbose: bool = True) -> torch.device:
    """Return the best available device: CUDA, then Apple MPS, then the CPU.

    Parameters
    ----------
    prefer : str, optional
        ``"cuda"``, ``"mps"`` or ``"cpu"`` to ask for one device. When it is not available the
        CPU is used and the printed line says so. ``None`` picks the best available one.
    verbose : bool
        Print one line saying which device was chosen and why.

    Returns
    -------
    torch.device
    """
    if prefer is not None and prefer.split(":")[0] not in _KNOWN:
        raise ValueError(f"prefer={prefer!r} is not a device type; use one of {_KNOWN} or None")
    available = {
        "cuda": torch.cuda.is_available(),
        "mps": bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available(),
        "cpu": True,
    }
    if prefer is not None:
        kind = prefer.split(":")[0]
        chosen = prefer if available[kind] else "cpu"
        reason = "as asked" if available[kind] else f"{kind} is not available, falling back"
    else:
        chosen = next(k for k in _KNOWN if available[k])
        reason = "best available"
    device = torch.device(chosen)
    if verbose:
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
        print(f"ganlib: using device {device} ({name}; {reason})")
    return device


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """Return a ``torch.Generator`` on ``device`` seeded with ``seed``.

    Every sampler in ganlib takes such a generator, so no code reads global RNG state.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    gen = torch.Generator(device=torch.device(device))
    gen.manual_seed(seed)
    return gen
