"""Check the layers of the code: no module imports one of a higher layer, no import cycles, and
nothing in the product imports the demo, the evaluation or the benchmarks.

    python -m social360.dev.layers          # exit 1 and a list of what breaks the rules

The layers, lowest first (docs/ARCHITECTURE.md): core (configuration, connections, the embedded
warehouse, DDL, the source registry), then the stages in data-flow order (sources, enrichment,
transform, quality, publish, reporting), then the orchestration glue (Airflow, the CLI). Every
import counts, also one inside a function (a deferred import is still a dependency), but not one
under ``if TYPE_CHECKING:`` (annotations only).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent  # the repository
PRODUCT_PACKAGES = ("social360", "extractors", "enrichment", "expectations", "dags")

# (module prefix, layer), the longest prefix wins; the order of LAYERS is low to high
LAYERS = ("core", "sources", "enrichment", "transform", "quality", "publish", "reporting", "orchestration")
LAYER_OF = {
    "social360.core": "core",
    "extractors.registry": "core",
    "extractors": "sources",
    "enrichment": "enrichment",
    "social360.transform": "transform",
    "expectations": "quality",
    "social360.publish": "publish",
    "social360.reporting": "reporting",
    "social360.orchestration": "orchestration",
    "social360.cli": "orchestration",
    "social360.terminal": "orchestration",
    "dags": "orchestration",
}
# outside the product's import path: only the CLI (which runs the demo) may import them
DEVELOPMENT = ("social360.demo", "social360.evaluation", "social360.dev", "enrichment.evaluate", "bench", "tests")
MAY_IMPORT_DEVELOPMENT = ("social360.cli", "social360.dev", "social360.demo", "social360.evaluation",
                          "enrichment.evaluate")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PRODUCT_PACKAGES + ("bench",):
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module ``name`` refers to (``a.b.c`` may be the function ``c`` of module ``a.b``)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:`` (imports for annotations only)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                pending.extend(child.orelse)
                continue
            pending.append(child)


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    found = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] or [base]
        for target in targets:
            resolved = _resolve(target, modules)
            if resolved and resolved != module:
                found.append(Import(module, resolved, node.lineno))
    return found


def layer_of(module: str) -> str | None:
    matches = [prefix for prefix in LAYER_OF if module == prefix or module.startswith(prefix + ".")]
    return LAYER_OF[max(matches, key=len)] if matches else None


def _is(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def upward_imports(edges: list[Import]) -> list[str]:
    problems = []
    for edge in edges:
        low, high = layer_of(edge.importer), layer_of(edge.imported)
        if low and high and LAYERS.index(low) < LAYERS.index(high):
            problems.append(f"{edge} ({low} -> {high})")
    return problems


def development_imports(edges: list[Import]) -> list[str]:
    return [f"{edge} (the product imports development code)" for edge in edges
            if _is(edge.imported, DEVELOPMENT) and not _is(edge.importer, MAY_IMPORT_DEVELOPMENT + DEVELOPMENT)]


def unplaced(modules: dict[str, Path]) -> list[str]:
    return [f"{m} is in no layer" for m in modules
            if not _is(m, DEVELOPMENT) and layer_of(m) is None and "." in m]


def cycles(edges: list[Import]) -> list[str]:
    """Every strongly connected group of two or more modules (Tarjan), as one problem each."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        if not edge.importer.endswith("__init__") and edge.imported != edge.importer.rpartition(".")[0]:
            graph[edge.importer].add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in list(graph):
        if node not in index:
            visit(node)
    return [f"import cycle: {' <-> '.join(group)}" for group in groups]


def problems() -> list[str]:
    modules = project_modules()
    edges = [edge for module, path in modules.items() for edge in imports_of(module, path, modules)]
    product = [e for e in edges if not _is(e.importer, DEVELOPMENT)]
    return unplaced(modules) + upward_imports(product) + development_imports(product) + cycles(product)


def main() -> int:
    found = problems()
    for problem in found:
        print(problem)
    print(f"{len(found)} layer problem(s)" if found else "layers: no upward import, no cycle")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
