"""The imports between CNN Studio's own modules, read from the source with ast (nothing is imported)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cnnstudio"


@dataclass(frozen=True)
class Import:
    """One import statement's target, where it is, and whether it only runs for type checkers."""

    source: str  # the importing module
    target: str  # a module or package of cnnstudio, or a third-party top-level name
    line: int
    type_checking_only: bool


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def own_modules() -> dict[str, Path]:
    """Every module of the cnnstudio package by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def absolute_module(node: ast.ImportFrom, source: str, is_package: bool) -> str:
    """The module a ``from ... import`` names, with a relative one (``from ..x import y``) resolved."""
    if not node.level:
        return node.module or ""
    package = source.split(".") if is_package else source.split(".")[:-1]
    parent = package[: len(package) - (node.level - 1)]
    return ".".join(parent + ([node.module] if node.module else []))


def imports_of(path: Path, source: str, modules: dict[str, Path] | None = None) -> list[Import]:
    """Every import in the file, at any depth (inside functions too), resolved to module names."""
    modules = own_modules() if modules is None else modules
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, typing_only)
            return
        if isinstance(node, ast.Import):
            found.extend(Import(source, alias.name, node.lineno, typing_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = absolute_module(node, source, path.name == "__init__.py")
            for alias in node.names:
                submodule = f"{base}.{alias.name}" if base else alias.name
                target = submodule if submodule in modules else base
                found.append(Import(source, target, node.lineno, typing_only))
        for child in ast.iter_child_nodes(node):
            visit(child, typing_only)

    visit(tree, False)
    return found


def all_imports() -> list[Import]:
    modules = own_modules()
    return [imp for name, path in modules.items() for imp in imports_of(path, name, modules)]


def runtime_graph() -> dict[str, set[str]]:
    """Module -> the cnnstudio modules it imports when it runs (TYPE_CHECKING imports left out)."""
    modules = own_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for imp in all_imports():
        if not imp.type_checking_only and imp.target in modules and imp.target != imp.source:
            graph[imp.source].add(imp.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for neighbour in sorted(graph[node]):
            if neighbour not in index:
                connect(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found
