"""kg's modules import on their own, in any order, and their module-level imports form no cycle.

A cycle hidden by a function-local import still breaks when the order changes (a module half
initialised when the other reads a name from it); a fresh interpreter per order shows it, and the
import graph read from the source (``ast``, the imports at module level, ``TYPE_CHECKING``
blocks aside) shows a cycle before any order trips on it.
"""

from __future__ import annotations

import ast
import random
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path

import pytest

import kg

KG = Path(kg.__file__).parent


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for path in sorted(KG.rglob("*.py")):
        parts = list(path.relative_to(KG.parent).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _module_level_imports(path: Path, modules: Collection[str]) -> set[str]:
    """The kg modules ``path`` imports when it is imported: statements outside functions and
    classes, and outside ``if TYPE_CHECKING:``. ``from a import b`` imports ``a.b`` when that is a
    module, else ``a``."""
    found: set[str] = set()
    stack: list[ast.AST] = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        stack.extend(ast.iter_child_nodes(node))
    return found & set(modules)


def import_graph() -> dict[str, set[str]]:
    """kg module -> the kg modules it imports at module level."""
    modules = _modules()
    return {name: _module_level_imports(path, modules) - {name} for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_among_kg_modules() -> None:
    graph = import_graph()
    assert "kg.ingest" in graph and "kg.queries.guard" in graph
    found = cycles(graph)
    assert found == [], "\n".join(
        " <-> ".join(c)
        + ": "
        + "; ".join(f"{a} -> {b}" for a in c for b in sorted(graph[a] & set(c)))
        for c in found
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_every_kg_module_imports_in_a_fresh_interpreter_in_any_order(seed: int) -> None:
    names = sorted(_modules())
    random.Random(seed).shuffle(names)
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run(
        [sys.executable, "-c", script, *names], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"order {names}:\n{done.stderr[-2000:]}"
