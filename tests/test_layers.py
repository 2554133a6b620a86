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
