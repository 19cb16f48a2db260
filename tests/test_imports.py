"""The package's modules import each other without a cycle (issue 15): every import counts,
at module level or inside a function, since a cycle is a tangle of ideas either way."""
from __future__ import annotations

import ast
from pathlib import Path

import inpaintkit

PACKAGE = Path(inpaintkit.__file__).parent


def imports_of(path: Path) -> set[str]:
    """The inpaintkit modules one module imports, anywhere in its code."""
    found = set()
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level == 1 or base.startswith("inpaintkit"):
                base = base.removeprefix("inpaintkit").lstrip(".") if node.level == 0 else base
                if base:
                    found.add(base.split(".")[0])
                else:  # from . import a, b
                    found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("inpaintkit."):
                    found.add(alias.name.split(".")[1])
    return found & modules - {path.stem}


def import_graph() -> dict[str, set[str]]:
    return {p.stem: imports_of(p) for p in sorted(PACKAGE.glob("*.py")) if p.stem != "__init__"}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path [a, b, …, a], or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_walker_sees_every_kind_of_import():
    graph = import_graph()
    assert "config" in graph["data"]          # from . import config
    assert "storage" in graph["data"]         # from .storage import …
    assert "inpainting" in graph["pipeline"]  # module level
    assert "blending" in graph["inpainting"]  # inside a function
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_inside_the_package():
    graph = import_graph()
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"
