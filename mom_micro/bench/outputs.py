"""Writing a benchmark's result: the JSON of figures, a Markdown table and a PNG beside it.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp()) / "result.json"
    >>> paths = write_outputs({"a": 1}, out, "| a |\\n|---|\\n| 1 |\\n")
    >>> [p.name for p in paths]
    ['result.json', 'result.md']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mom_micro.files import atomic_write_text

__all__ = ["markdown_rows", "write_outputs"]


def markdown_rows(
    label: str,
    columns: Sequence[str],
    rows: Mapping[str, Mapping[str, Any]],
    cell: Callable[[Any], str] = str,
) -> list[str]:
    """A Markdown table: a header of ``label`` and ``columns``, then one line per row name
    with ``cell`` of each of its values (a missing one is ``cell(None)``).

    Example:
        >>> print("\\n".join(markdown_rows("system", ["hit"], {"mom": {"hit": 0.9}})))
        | system | hit |
        |---|---:|
        | mom | 0.9 |
    """
    lines = [f"| {label} | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    for name, values in rows.items():
        lines.append(f"| {name} | " + " | ".join(cell(values.get(c)) for c in columns) + " |")
    return lines


def write_outputs(
    result: dict[str, Any],
    out: str | Path,
    markdown: str,
    plot: Callable[[dict[str, Any], Path], Path] | None = None,
) -> list[Path]:
    """Write ``out`` (the result as JSON), ``out`` with suffix ``.md`` (``markdown``) and,
    with ``plot``, ``.png`` (``plot(result, path)``), each atomically; return the paths."""
    out = Path(out)
    paths = [
        atomic_write_text(out, json.dumps(result, indent=1) + "\n"),
        atomic_write_text(out.with_suffix(".md"), markdown),
    ]
    if plot is not None:
        paths.append(plot(result, out.with_suffix(".png")))
    return paths
