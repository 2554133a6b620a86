"""No import runs up a layer: config → corpus → index → search → policy_search → api.

Every import is read from the source (module level, inside functions and under ``TYPE_CHECKING`` alike),
so a lazy import that reaches up is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["config", "corpus", "index", "search", "policy_search", "api"]
# the command line starts everything, the HTTP service included: it stands above every layer
ENTRY_POINTS = {"policy_search/cli.py"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append((node.lineno, node.module))
    return out


@pytest.mark.parametrize("package", LAYERS)
def test_no_import_runs_up_a_layer(package: str) -> None:
    rank = LAYERS.index(package)
    above = set(LAYERS[rank + 1 :])
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.relative_to(ROOT).as_posix() not in ENTRY_POINTS
        for line, name in _imports(path)
        if name.split(".")[0] in above
    ]
    assert not wrong, wrong


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "m.py"
    bad.write_text("def f():\n    from policy_search.settings import Settings\n", encoding="utf-8")
    assert _imports(bad) == [(2, "policy_search.settings")]


def _module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _load_time_imports(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports at module level, ``if TYPE_CHECKING:`` blocks included (a type
    checker follows those): ``from search import compare`` and ``from search.compare import X`` both
    count as search.compare. Imports inside functions run later and may close a circle on purpose."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                out.add(node.module)
                out.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.If):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                visit(node.orelse)
                visit(node.finalbody)
                for handler in node.handlers:
                    visit(handler.body)

    visit(tree.body)
    return {m for m in out if m in known}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import circle found by a depth-first walk (each reported once, from where it closes)."""
    state: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return found


def test_no_import_circle_among_the_projects_modules() -> None:
    """search.hybrid ↔ search.compare was one (issue 20, item 8): compare now takes the steps it shares
    with search (search.prepare, search.pool, search.scoring) instead of the searcher."""
    paths = [p for package in LAYERS for p in sorted((ROOT / package).rglob("*.py"))]
    known = {_module_of(p) for p in paths}
    graph = {_module_of(p): _load_time_imports(p, known) for p in paths}
    assert not _cycles(graph), _cycles(graph)


def test_the_cycle_check_sees_a_circle(tmp_path: Path) -> None:
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from b import B\n", encoding="utf-8"
    )
    b.write_text("import a\n", encoding="utf-8")
    graph = {"a": _load_time_imports(a, {"a", "b"}), "b": _load_time_imports(b, {"a", "b"})}
    assert graph == {"a": {"b"}, "b": {"a"}}
    assert _cycles(graph) == [["a", "b", "a"]]
