"""Every library module and every public class says what it is (issue 23): a module docstring on each
file of the six library packages, a docstring on each module-level (or nested) public class. Classes
defined inside a function are the function's own business and are not counted."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "extractors", "checks", "index", "assistant", "api")
FILES = sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py") if p.stat().st_size)


def _public_classes(tree: ast.AST):
    def walk(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                if not in_function and not child.name.startswith("_"):
                    yield child
                yield from walk(child, in_function)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from walk(child, True)
            else:
                yield from walk(child, in_function)
    yield from walk(tree, False)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_module_and_public_classes_have_docstrings(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.relative_to(REPO)}: no module docstring"
    lacking = [f"{c.name} (line {c.lineno})" for c in _public_classes(tree) if not ast.get_docstring(c)]
    assert lacking == [], f"{path.relative_to(REPO)}: classes without a docstring: {lacking}"
