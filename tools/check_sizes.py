"""Fail when a module or a class grows past its size limit.

A module over ``--max-module-lines`` (800) lines or a class over ``--max-class-lines``
(600) lines, counted from its first line (decorators included) to its last, is printed
as ``path:line: what`` and the exit status is 1. ``--allow PATH`` exempts one file (it
may be given several times) while it is being split; an allowed file that no longer
exceeds a limit is reported too, so the exemption is dropped once it is not needed.

Example:
    python tools/check_sizes.py mom_micro --allow mom_micro/retrievers/index.py
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

MAX_MODULE_LINES = 800
MAX_CLASS_LINES = 600


def offences(path: Path, max_module: int, max_class: int) -> Iterator[str]:
    """Each limit ``path`` exceeds, as ``path:line: what``."""
    source = path.read_text(encoding="utf-8")
    lines = len(source.splitlines())
    if lines > max_module:
        yield f"{path}:1: module has {lines} lines (limit {max_module})"
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.ClassDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            size = (node.end_lineno or node.lineno) - first + 1
            if size > max_class:
                yield f"{path}:{first}: class {node.name} has {size} lines (limit {max_class})"


def python_files(roots: Sequence[Path]) -> list[Path]:
    """The ``.py`` files under each root (a root may be a file itself), sorted."""
    found: set[Path] = set()
    for root in roots:
        found.update([root] if root.is_file() else root.rglob("*.py"))
    return sorted(found)


def report(line: str) -> None:
    """Write one finding to standard output."""
    sys.stdout.write(line + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Check every module under the given roots; 1 when any is over a limit, else 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("roots", nargs="+", type=Path, help="folders or files to check")
    parser.add_argument("--max-module-lines", type=int, default=MAX_MODULE_LINES)
    parser.add_argument("--max-class-lines", type=int, default=MAX_CLASS_LINES)
    parser.add_argument(
        "--allow",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="a file exempt from the limits while it is split (repeatable)",
    )
    args = parser.parse_args(argv)
    allowed = {p.resolve() for p in args.allow}
    failed = False
    for path in python_files(args.roots):
        found = list(offences(path, args.max_module_lines, args.max_class_lines))
        if path.resolve() in allowed:
            allowed.discard(path.resolve())
            if not found:
                report(f"{path}: within the limits now; drop its --allow")
                failed = True
            continue
        for line in found:
            report(line)
            failed = True
    for path in sorted(allowed):
        report(f"{path}: given to --allow but not checked (no such file under the roots)")
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
