"""The package's layout (issues 15 and 36): no import cycle (every import counts, at module level or
inside a function), the package's own imports at the top of each module, nothing imported from
outside the package (experiments/, tools/, tests/), and an ``__all__`` in every module."""
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


def test_the_walker_sees_every_kind_of_import(tmp_path):
    graph = import_graph()
    assert "config" in graph["data"]          # from . import config
    assert "storage" in graph["data"]         # from .storage import …
    assert "inpainting" in graph["pipeline"]  # module level
    inner = tmp_path / "inner.py"
    inner.write_text("def f():\n    from .blending import poisson_blend\n    import inpaintkit.masks\n")
    assert imports_of(inner) == {"blending", "masks"}  # inside a function, relative and absolute
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_inside_the_package():
    graph = import_graph()
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_package_imports_its_own_modules_at_the_top():
    """A module's header shows all its links: no ``from .x import y`` hides inside a function."""
    hidden = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.level or (inner.module or "").startswith("inpaintkit")):
                        hidden.append(f"{path.name}:{inner.lineno} ({node.name})")
    assert not hidden, f"package imports inside functions: {hidden}"


def test_the_package_imports_nothing_outside_itself():
    outside = ("experiments", "tools", "tests", "scripts", "benchmarks", "helpers", "conftest")
    for path in sorted(PACKAGE.glob("*.py")):
        text = path.read_text()
        for node in ast.walk(ast.parse(text)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            assert not [n for n in names if n.split(".")[0] in outside], (path.name, names)
        # no path from the package into the repository: an installed package has no results/ beside it
        assert "parents[1]" not in text and '"results"' not in text, path.name


def test_every_module_says_what_it_exports():
    import importlib

    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem in ("__main__",):
            continue
        module = importlib.import_module(f"inpaintkit.{path.stem}" if path.stem != "__init__" else "inpaintkit")
        assert hasattr(module, "__all__"), path.name
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert not missing, (path.name, missing)
