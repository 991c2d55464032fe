"""One path from a benchmark's arguments to its figures on screen and on disk.

A benchmark's handler turns the parsed flags into runs (:class:`BenchRun`: the figures,
how to render them, how to write them); :func:`set_handler` makes it the command, which
prints each run's table as it finishes and writes its files when ``--out`` names one
(``OUT`` as JSON, with its Markdown table and, where the benchmark draws one, its PNG
beside it). No handler prints or writes its own results.

Example:
    >>> parser = argparse.ArgumentParser()
    >>> parser.add_argument("--out", default=None)  # doctest: +ELLIPSIS
    _StoreAction(...)
    >>> set_handler(parser, lambda args: [BenchRun({"a": 1}, lambda r: "| a |", lambda r, o: [])])
    >>> args = parser.parse_args([])
    >>> args.func(args)
    | a |
    0
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["BenchRun", "set_handler"]

Result = dict[str, Any]


@dataclass(frozen=True)
class BenchRun:
    """The figures of one benchmark run and how they are shown and kept.

    Attributes:
        result: the figures (JSON-serialisable).
        render: the Markdown table of ``result``.
        write: writes ``result`` to a path (its JSON, and its ``.md`` / ``.png`` beside
            it) and returns the paths written.
        out: where this run goes; None: ``--out`` (a run of several data sets names one
            file per data set).
    """

    result: Result
    render: Callable[[Result], str]
    write: Callable[[Result, str | Path], list[Path]]
    out: str | Path | None = None


def set_handler(
    parser: argparse.ArgumentParser, handler: Callable[[argparse.Namespace], Iterable[BenchRun]]
) -> None:
    """Make ``handler`` the command of ``parser``: each run it yields is printed as its
    table, then written to its ``out`` (or ``--out``) when there is one."""

    def command(args: argparse.Namespace) -> int:
        for run in handler(args):
            print(run.render(run.result))
            out = run.out or getattr(args, "out", None)
            if out:
                print("written: " + ", ".join(map(str, run.write(run.result, out))))
        return 0

    parser.set_defaults(func=command)
