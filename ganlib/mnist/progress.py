"""The trainer's progress bar: ``tqdm`` where it is installed, else a silent stand-in.

``tqdm`` is one of ganlib's dependencies; the stand-in lets the training loop (and
``benchmarks/bench_mnist.py``) run on a machine that has nothing but PyTorch, such as a rented
GPU, with ``PYTHONPATH=.``. It prints what ``tqdm.write`` would and shows no bar.
"""

from __future__ import annotations

from typing import Any

__all__ = ["tqdm"]

try:
    from tqdm.auto import tqdm
except ImportError:  # pragma: no cover - exercised by tests/test_bench_mnist.py in a subprocess

    class tqdm:
        """What the trainer uses of ``tqdm``: a bar that shows nothing, and ``write``."""

        def __init__(self, *args: Any, total: int = 0, initial: int = 0, **kwargs: Any) -> None:
            self.n, self.total, self.disable = initial, total, True

        def update(self, n: int = 1) -> None:
            self.n += n

        def set_postfix(self, **kwargs: Any) -> None:
            pass

        def close(self) -> None:
            pass

        @staticmethod
        def write(message: str) -> None:
            print(message)
