"""Lazy package exports (PEP 562): a package lists which submodule defines each public
name, and the submodule is imported on first access. ``import mom_micro.rewards`` then
costs nothing until a name is used, so that ``mom-micro --help`` does not load torch or
LlamaIndex.

Example:
    >>> __getattr__, __dir__ = lazy_exports("json", {"json": ["dumps"]})
    >>> __getattr__("dumps")({"a": 1})
    '{"a": 1}'
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``, where ``modules``
    maps each (relative or absolute) submodule to the public names it defines."""
    exports = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
