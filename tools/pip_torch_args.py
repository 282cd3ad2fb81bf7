"""Print the extra pip arguments that make ``torch`` install as a CPU build.

On Linux without an NVIDIA driver, PyPI's default ``torch`` wheel pulls several GB of CUDA
packages. PyTorch's own CPU index serves ``torch==2.13.0+cpu``, which pip prefers over
``2.13.0`` because the local label sorts higher. The index is only added when it can be reached,
so that machines with a local wheel mirror (``PIP_FIND_LINKS``) and no internet keep working.
Set ``GANLIB_TORCH_INDEX`` to override the index URL, or to ``none`` to add nothing.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
from urllib.parse import urlparse

CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _reachable(url: str, timeout: float = 2.0) -> bool:
    host = urlparse(url).hostname or ""
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def torch_index_args() -> list[str]:
    """Return ``["--extra-index-url", URL]`` when a CPU-only torch index should be used."""
    override = os.environ.get("GANLIB_TORCH_INDEX", "")
    if override.lower() == "none":
        return []
    if override:
        return ["--extra-index-url", override]
    if platform.system() != "Linux" or shutil.which("nvidia-smi"):
        return []  # macOS/Windows wheels on PyPI are CPU builds; a GPU machine wants CUDA
    return ["--extra-index-url", CPU_INDEX] if _reachable(CPU_INDEX) else []


if __name__ == "__main__":
    print(" ".join(torch_index_args()))
