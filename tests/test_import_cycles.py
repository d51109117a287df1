"""No import cycles anywhere in the repo's packages, not even lazy ones (function-level or under TYPE_CHECKING).

The graph is read from the source with `ast`, so every import counts whether or not it runs: a module
importing a module that imports it back is a cycle even when Python would survive it. An edge goes to the
module an import names: `from pkg import name` goes to `pkg.name` when that is a submodule, else to `pkg`;
relative imports are resolved against the importing module's package. Implicit imports of parent packages
(importing `pkg.mod` runs `pkg/__init__.py` first) are not edges: they are how packages work, not a choice.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("events", "protocol", "audit", "node")


def modules_under(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Return every module of `packages` under `root`, by dotted name (a package by its `__init__.py`)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """Return the absolute module a `from ... import` statement imports from."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    anchor = package[: len(package) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def imports_of(module: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """Return the known modules that `module` imports anywhere in its source."""
    out: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, is_package, node)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    out.add(target)  # a submodule
                elif base in known:
                    out.add(base)
    out.discard(module)  # `from . import x` inside pkg/__init__ names pkg.x, never pkg itself
    return out


def import_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Return module -> the modules it imports, over the given packages."""
    known = modules_under(root, packages)
    return {module: imports_of(module, path, known) for module, path in known.items()}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Return one cycle (a path that ends where it starts) per strongly connected group of modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iteratively (the graph is a few hundred modules deep)
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1 or node in graph.get(node, ()):
                    groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [_path_in(graph, group) for group in groups]


def _path_in(graph: Mapping[str, set[str]], group: set[str]) -> list[str]:
    """Return a shortest cycle through the group's first module, staying inside the group."""
    start = min(group)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & group):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"{sorted(group)} is not strongly connected")  # pragma: no cover


def test_the_packages_have_no_import_cycle() -> None:
    graph = import_graph()
    assert {"events", "protocol", "audit", "node"} <= set(graph)
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_graph_sees_lazy_relative_and_submodule_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .a import A\n")
    (pkg / "a.py").write_text("A = 1\ndef f():\n    from .sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import c\nfrom .. import a\n"
    )
    (pkg / "c.py").write_text("import pkg.sub\nfrom pkg.sub import b\n")
    graph = import_graph(tmp_path, ["pkg"])
    assert graph == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.sub.b"},
        "pkg.sub": set(),
        "pkg.sub.b": {"pkg.c", "pkg.a"},
        "pkg.c": {"pkg.sub", "pkg.sub.b"},
    }
    assert cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.a"]]
    assert cycles({"x": {"y"}, "y": {"z"}, "z": {"x"}, "w": {"x"}}) == [["x", "y", "z", "x"]]
    assert cycles({"x": {"x"}}) == [["x", "x"]]
    assert cycles({"x": {"y"}, "y": set()}) == []
