"""Strip volatile metadata from an executed notebook before it is committed.

Keeps outputs and execution counts (nbval compares them) but drops timing metadata,
widget state blobs and kernel-specific language-info versions that change on every run.
Usage: ``python tools/clean_notebook.py notebooks/01_*.ipynb``.
"""

from __future__ import annotations

import sys

import nbformat

VOLATILE_CELL_KEYS = ("execution",)


def clean(path: str) -> None:
    """Rewrite ``path`` in place without volatile metadata."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    nb.metadata.get("language_info", {}).pop("version", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
    nbformat.write(nb, path)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        clean(arg)
