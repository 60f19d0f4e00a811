"""Print the import graph between packages, and every cycle in it.

    .venv/bin/python scripts/import_graph.py                      # this tree
    .venv/bin/python scripts/import_graph.py --dot                # Graphviz, for a picture
    git worktree add /tmp/before <commit>
    .venv/bin/python scripts/import_graph.py --root /tmp/before   # another checkout, e.g. before a change

A package is a direct child of `api` (a sub-package or a top-level module), or one of `workers`,
`miniprogram_mock`, `invoices`. Edges count the module-level imports between them (grimp, the graph
library behind import-linter). The architecture contracts that keep this graph in shape live in
`.importlinter`; `lint-imports` checks them in `make lint`.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import grimp

ROOTS = ("api", "workers", "miniprogram_mock", "invoices")


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "api" and len(parts) > 1 else parts[0]


def package_graph(root: Path) -> dict[str, dict[str, int]]:
    sys.path.insert(0, str(root))
    roots = [r for r in ROOTS if (root / r / "__init__.py").exists()]
    graph = grimp.build_graph(*roots, cache_dir=None)
    edges: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for importer in graph.modules:
        for imported in graph.find_modules_directly_imported_by(importer):
            src, dst = package_of(importer), package_of(imported)
            if src != dst and src != "api":  # api/__init__.py is the app factory: it may import anything
                edges[src][dst] += 1
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    nodes = set(edges) | {d for targets in edges.values() for d in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dot", action="store_true", help="print Graphviz instead of a table")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the checkout to read (default: this one)")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(10_000)
    edges = package_graph(args.root.resolve())
    if args.dot:
        print("digraph packages {")
        for src in sorted(edges):
            for dst, count in sorted(edges[src].items()):
                print(f'  "{src}" -> "{dst}" [label={count}];')
        print("}")
        return 0
    for src in sorted(edges):
        print(f"{src} -> " + ", ".join(f"{dst}({count})" for dst, count in sorted(edges[src].items())))
    found = cycles(edges)
    print(f"\n{sum(len(t) for t in edges.values())} edges between packages; "
          f"{len(found)} cycle(s){':' if found else ''}")
    for component in found:
        print("  " + " <-> ".join(component))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
