"""The offline demo of both halves (``mom-micro demo``): see :mod:`.tour`.

Example:
    >>> from mom_micro.demo import run_demo
    >>> report = run_demo("./mom-micro-demo")        # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from mom_micro._lazy import lazy_exports

_MODULES = {".tour": ["DEMO_QUESTIONS", "DemoError", "DemoReport", "project_documents", "run_demo"]}
__getattr__, __dir__ = lazy_exports(__name__, _MODULES)
__all__ = sorted(name for names in _MODULES.values() for name in names)

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from .tour import DEMO_QUESTIONS, DemoError, DemoReport, project_documents, run_demo
