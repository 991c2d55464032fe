"""The ``mom-micro`` command line.

Every command has ``--help``. Errors print as one line on stderr with exit status 2,
not a traceback (set ``MOM_MICRO_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["build_parser", "main"]


def _cmd_memory(args: argparse.Namespace) -> int:
    from .memory import ExtractiveExtractor, read_document
    from .utils import atomic_write_text

    extractor = ExtractiveExtractor(target_words=args.target_words, n_paths=args.paths)
    for path in args.files:
        text = read_document(path)
        memory = extractor.extract(text, doc_id=Path(path).name)
        print(memory.outline_tree())
        print()
        if args.json_out:
            out = Path(args.json_out)
            if len(args.files) > 1:
                out = out / f"{Path(path).stem}.memory.json"
            atomic_write_text(out, json.dumps(memory.to_dict(), ensure_ascii=False, indent=1))
            print(f"memory written to {out}")
    return 0


def _command_group(sub: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """The sub-command group ``name`` (e.g. ``bench``), created on first use, so that
    several features can each add their own commands to it."""
    if name not in sub.choices:
        group = sub.add_parser(name, help=help, description=help)
        group._mom_subparsers = group.add_subparsers(  # type: ignore[attr-defined]
            dest=f"{name}_command", required=True, metavar="COMMAND")
    return sub.choices[name]._mom_subparsers  # type: ignore[attr-defined]


def _add_retrieval_commands(sub: argparse._SubParsersAction) -> None:
    """``bench retrieval``, ``ingest`` and ``query`` (logic in mom_micro.retrievers.cli)."""
    from .retrievers.cli import add_retrieval_commands

    add_retrieval_commands(sub, _command_group(sub, "bench", "compare methods on your own data"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mom-micro`` (one sub-command per capability)."""
    parser = argparse.ArgumentParser(
        prog="mom-micro",
        description="Memory-based retrieval (MoM) and personalized ranking (MiCRo), offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    memory = sub.add_parser(
        "memory",
        help="read text files into document memories and print them as outline trees",
        description="Read UTF-8 text files with the offline extractive reader and print "
        "each memory (outline titles, core contents, chunk sizes).",
    )
    memory.add_argument("files", nargs="+", help="UTF-8 text files")
    memory.add_argument("--target-words", type=int, default=None,
                        help="preferred chunk length in words (default: the reader's)")
    memory.add_argument("--paths", type=int, default=1,
                        help="number of sampled granularities to choose from (default 1)")
    memory.add_argument("--json-out", default=None,
                        help="write the memory as JSON to this file (a folder for several files)")
    memory.set_defaults(func=_cmd_memory)
    _add_retrieval_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mom-micro`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except (ValueError, OSError, RuntimeError) as exc:
        if os.environ.get("MOM_MICRO_DEBUG"):
            raise
        print(f"mom-micro {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
