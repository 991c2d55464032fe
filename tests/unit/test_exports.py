"""Every name a package declares for type checkers (its ``if TYPE_CHECKING:`` imports)
is a runtime export too: gettable from the package through its lazy table and listed in
its ``__all__``. The packages are found by parsing each ``__init__.py`` under mom_micro,
so a new package is covered without a change here."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import mom_micro

ROOT = Path(mom_micro.__file__).resolve().parent


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def uses_lazy_table(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "lazy_exports"
        for node in ast.walk(tree)
    )


def type_checking_names(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        if isinstance(node, ast.If) and is_type_checking(node.test):
            for statement in ast.walk(node):
                if isinstance(statement, ast.ImportFrom | ast.Import):
                    names += [alias.asname or alias.name for alias in statement.names]
    return names


def declared_exports() -> list[tuple[str, str]]:
    pairs = []
    for init in sorted(ROOT.rglob("__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"), filename=str(init))
        names = type_checking_names(tree)
        if names and uses_lazy_table(tree):
            package = ".".join(("mom_micro", *init.parent.relative_to(ROOT).parts))
            pairs += [(package, name) for name in names]
    return pairs


DECLARED = declared_exports()


def test_the_packages_with_a_type_checking_block_are_found():
    packages = {package for package, _ in DECLARED}
    assert {"mom_micro.retrievers", "mom_micro.rewards"} <= packages


@pytest.mark.parametrize(
    ("package", "name"),
    [pytest.param(package, name, id=f"{package}.{name}") for package, name in DECLARED],
)
def test_a_type_checking_name_resolves_at_runtime(package, name):
    module = importlib.import_module(package)
    assert name in module.__all__, f"{package}.__all__ lacks {name}"
    assert getattr(module, name) is not None
