"""The simulator's modules import on their own, and none of them import each other in a cycle.

A cycle works or fails depending on which module is imported first, so each module is imported
in a fresh interpreter; the import graph (type-only imports included, which a fresh import does not
run) is checked for cycles from the source.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[2] / "src" / "experiencehub" / "sim"
MODULES = sorted(path.stem for path in SIM.glob("*.py") if path.stem != "__init__")

KNOWN_TYPE_ONLY_EDGES = {("stability", "scenario")}
"""Type-only imports left pointing at the loader: stability's types come from ``.scenario`` until
that module is next edited (its classes live in ``.scenario_types``, which imports nothing)."""


@pytest.mark.parametrize("name", MODULES)
def test_each_module_imports_alone_in_a_fresh_interpreter(name: str) -> None:
    module = f"experiencehub.sim.{name}"
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"import {module} failed on its own:\n{done.stderr}"


def _sim_imports(name: str) -> set[str]:
    """The sibling modules ``name`` imports, at run time or for type checking only."""
    tree = ast.parse((SIM / f"{name}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module is not None:
                found.add(node.module.split(".")[0])
            else:  # from . import kpi
                found.update(alias.name for alias in node.names)
    return found & set(MODULES)


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_the_simulator_modules_import_each_other_without_a_cycle() -> None:
    graph = {
        name: {other for other in _sim_imports(name) if (name, other) not in KNOWN_TYPE_ONLY_EDGES}
        for name in MODULES
    }
    cycle = _cycle(graph)
    assert cycle is None, (
        f"import cycle among experiencehub.sim modules: {' -> '.join(cycle or [])}"
    )


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
