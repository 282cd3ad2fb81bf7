"""Every notebook is committed executed, so that nbval has outputs to compare.

nbval passes a cell with no stored outputs without comparing anything, so a notebook committed
unexecuted would pass silently: these checks make that a failure.
"""

from __future__ import annotations

import ast
import copy
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


def _shows_something(source: str) -> bool:
    """A cell that must leave an output: a top-level print / plt.show / display / HTML call, or a
    last statement that is a bare name or attribute (``dash``, ``viewer.timeline``)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython magics: judged by their calls only
        body = []
    for node in body:
        call = node.value if isinstance(node, ast.Expr) else None
        if isinstance(call, ast.Call) and ast.unparse(call.func) in SHOWING_CALLS:
            return True
    last = body[-1] if body else None
    return isinstance(last, ast.Expr) and isinstance(last.value, (ast.Name, ast.Attribute))


#: Calls whose cell must have an output when they stand at the top level of the cell.
SHOWING_CALLS = {"print", "plt.show", "display", "HTML"}


def execution_problems(nb: nbformat.NotebookNode, name: str) -> list[str]:
    """What shows that ``nb`` was not committed executed, with its outputs (empty: nothing)."""
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    if not code:
        return [f"{name} has no code cells"]
    counts = [c.execution_count for c in code]
    if None in counts:
        return [
            f"{name}: {counts.count(None)} code cells were never executed; "
            "run `python3 dev.py notebooks` and commit the result"
        ]
    problems = []
    if counts != sorted(counts) or len(set(counts)) != len(counts):
        problems.append(f"{name}: cells ran out of order ({counts}); re-run it top to bottom")
    silent = [i for i, c in enumerate(code) if _shows_something(c.source) and not c.outputs]
    if silent:
        problems.append(f"{name}: code cells {silent} print or show something but have no output")
    with_output = sum(bool(c.outputs) for c in code)
    if with_output < 0.5 * len(code):  # assert cells are silent by design; stripped outputs: 0
        problems.append(f"{name}: only {with_output}/{len(code)} code cells have outputs")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed(path: Path) -> None:
    problems = execution_problems(_read(path), path.name)
    assert not problems, problems


def test_a_notebook_with_its_outputs_stripped_fails() -> None:
    nb = copy.deepcopy(_read(NOTEBOOKS[0]))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    problems = execution_problems(nb, "stripped")
    assert any("print or show" in p for p in problems)
    assert any("have outputs" in p for p in problems)


def test_one_silent_showing_cell_fails_and_an_assert_cell_may_be_silent() -> None:
    nb = copy.deepcopy(_read(NOTEBOOKS[0]))
    nb.cells.append(nbformat.v4.new_code_cell("x = 1\nassert x == 1", execution_count=10**6))
    assert execution_problems(nb, "nb") == []
    nb.cells.append(nbformat.v4.new_code_cell("print(x)", execution_count=10**6 + 1))
    assert execution_problems(nb, "nb") == [f"nb: code cells [{_n_code(nb) - 1}] print or show "
                                            "something but have no output"]  # fmt: skip


def _n_code(nb: nbformat.NotebookNode) -> int:
    return sum(c.cell_type == "code" and bool(c.source.strip()) for c in nb.cells)


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
