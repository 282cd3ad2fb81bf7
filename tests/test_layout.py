"""The package's import structure: the tree is the notebook map, and imports run one way.

Every ``import`` and ``from ... import`` of a ganlib module is read from the source with ``ast``
(including imports inside functions, which run later but are dependencies all the same). The
layers, in the order of the series:

    core  <  live  <  minimax (01)  <  toy (02)  <  plane (03)  <  mnist (04)

A module may import its own layer and the layers before it, never a later one, and the module
graph has no cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ganlib"
LAYERS = ("core", "live", "minimax", "toy", "plane", "mnist")


def module_name(path: Path) -> str:
    """``ganlib/toy/models.py`` -> ``ganlib.toy.models`` (``__init__`` -> the package)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def ganlib_imports(source: str, known: set[str]) -> set[str]:
    """The ganlib modules a source file imports (``from pkg import sub`` counts as ``pkg.sub``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "ganlib"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] != "ganlib":
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return found


def layer_of(module: str) -> int:
    """Index in :data:`LAYERS`; ``ganlib`` itself (the map) is -1: it may import nothing."""
    parts = module.split(".")
    if len(parts) == 1:
        return -1
    if parts[1] not in LAYERS:
        raise AssertionError(f"{module} is in no layer; put it under one of {LAYERS}")
    return LAYERS.index(parts[1])


def backward_imports(graph: dict[str, set[str]]) -> list[str]:
    """Edges ``a -> b`` where ``b`` sits in a later layer than ``a`` (or ``a`` is the map)."""
    return [
        f"{a} -> {b}"
        for a, targets in graph.items()
        for b in targets
        if layer_of(a) < layer_of(b) or (layer_of(a) == -1 and b != a)
    ]


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {
        name: {m for m in ganlib_imports(path.read_text(), known) if m != name}
        for name, path in mods.items()
    }


def test_every_module_sits_in_a_lesson_or_the_shared_core() -> None:
    misplaced = [m for m in modules() if m != "ganlib" and m.split(".")[1] not in LAYERS]
    assert not misplaced, f"modules outside {LAYERS}: {misplaced}"


def test_imports_never_run_back_up_the_series() -> None:
    assert backward_imports(import_graph()) == []


def test_the_import_graph_has_no_cycle() -> None:
    assert find_cycle(import_graph()) is None


# The checks above are only worth something if they can fail: feed them what they must catch.
def test_the_checker_sees_lazy_and_from_imports() -> None:
    source = "def f():\n    from ganlib.mnist import pretrained\n\nimport ganlib.core.files\n"
    known = {"ganlib.mnist", "ganlib.mnist.pretrained", "ganlib.core.files"}
    assert ganlib_imports(source, known) == {"ganlib.mnist.pretrained", "ganlib.core.files"}


def test_the_checker_flags_a_backward_import_and_a_cycle() -> None:
    graph = {
        "ganlib.minimax.explorer": {"ganlib.toy.distributions"},  # 01 importing 02
        "ganlib.mnist.classifier": {"ganlib.mnist.pretrained"},
        "ganlib.mnist.pretrained": {"ganlib.mnist.classifier"},
    }
    assert backward_imports(graph) == ["ganlib.minimax.explorer -> ganlib.toy.distributions"]
    assert find_cycle(graph) == [
        "ganlib.mnist.classifier",
        "ganlib.mnist.pretrained",
        "ganlib.mnist.classifier",
    ]
    with pytest.raises(AssertionError, match="no layer"):
        layer_of("ganlib.misc.helpers")
