"""Every notebook is committed executed, so that nbval has outputs to compare.

nbval passes a cell with no stored outputs without comparing anything, so a notebook committed
unexecuted would pass silently: these checks make that a failure.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@cache
def _read(path: Path) -> nbformat.NotebookNode:
    """Each notebook is parsed once for all the tests (notebook 04 is 1.6 MB)."""
    return nbformat.read(path, as_version=4)


#: The series, in order: a notebook missing, renamed or out of place fails here.
SERIES = ("01_minimax_game", "02_toy_gan", "03_plane_gan", "04_mnist_gan")


def test_the_series_has_its_notebooks() -> None:
    assert tuple(p.stem for p in NOTEBOOKS) == SERIES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed(path: Path) -> None:
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert code, f"{path.name} has no code cells"
    counts = [c.execution_count for c in code]
    assert None not in counts, (
        f"{path.name}: {counts.count(None)} code cells were never executed; "
        "run `python3 dev.py notebooks` and commit the result"
    )
    in_order = counts == sorted(counts) and len(set(counts)) == len(counts)
    assert in_order, f"{path.name}: cells ran out of order ({counts}); re-run it top to bottom"
    with_output = sum(bool(c.outputs) for c in code)
    assert with_output >= 0.6 * len(code), (
        f"{path.name}: only {with_output}/{len(code)} code cells have outputs"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_error_outputs(path: Path) -> None:
    nb = _read(path)
    errors = [
        (i, o.get("ename"))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors, f"{path.name}: error outputs in cells {errors}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_on_the_standard_kernel(path: Path) -> None:
    nb = _read(path)
    assert nb.metadata["kernelspec"]["name"] == "python3"
