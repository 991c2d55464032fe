"""The ``mom-micro`` command line: one module per command group.

- :mod:`.demo` -- ``demo``, the offline tour;
- :mod:`.memory` -- ``memory`` and ``sft-data``;
- :mod:`.retrieval` -- ``ingest``, ``query``, ``delete``, ``repair`` and ``indexes``;
- :mod:`.reward` -- ``reward train | rank | choose`` and :mod:`.profile` ``reward profile``;
- :mod:`.bench` -- ``bench retrieval``, ``bench preference``, ... (one module per family).

The options several commands share are written once: :mod:`.options` (value types, where
an index is, progress bars, result files, data sets) and :mod:`.preference_options`
(reading preference files and the training flags).

Every command has ``--help``; building the parser imports no framework or model, so
``mom-micro --help`` is quick. mom-micro's own errors (:class:`~mom_micro.errors.MomMicroError`),
file errors and invalid values print as one line on stderr with exit status 2, not a
traceback (set ``MOM_MICRO_DEBUG=1`` to see the traceback).

Example:
    >>> build_parser().parse_args(["query", "What is MoM?", "--index", "idx"]).similarity_top_k
    4
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from mom_micro.errors import MomMicroError

from . import bench, demo, memory, retrieval, reward

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mom-micro`` (one sub-command per capability)."""
    parser = argparse.ArgumentParser(
        prog="mom-micro",
        description="Memory-based retrieval (MoM) and personalized ranking (MiCRo), offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (demo, memory, retrieval, reward, bench):
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mom-micro`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (MomMicroError, ValueError, OSError, RuntimeError) as exc:
        if os.environ.get("MOM_MICRO_DEBUG"):
            raise
        print(f"mom-micro {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
