"""The options every command group shares: checked value types, where an index is,
progress bars, result files and QA data sets.

Each is written once here, so that a flag reads, checks and fails the same way in every
command (``--budgets a,b`` says ``'a' is not a whole number`` wherever it is taken).

Example:
    >>> parser = argparse.ArgumentParser()
    >>> add_index_location(parser)
    >>> index_location(parser.parse_args(["--index", "idx"]))
    {'persist_dir': 'idx'}
    >>> whole_numbers(1)("100, 200")
    [100, 200]
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

__all__ = [
    "add_dataset",
    "add_index_location",
    "add_server_location",
    "add_out",
    "add_progress",
    "count",
    "describe_location",
    "fraction",
    "index_location",
    "number",
    "positive_float",
    "server_location",
    "split_csv",
    "weights",
    "whole_numbers",
]


# -- value types ----------------------------------------------------------------------------
def count(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number ``>= minimum`` (the message names the value).

    Example:
        >>> count(1)("3")
        3
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def number(low: float, high: float = math.inf, closed: bool = False) -> Callable[[str], float]:
    """An argparse ``type``: a finite number in ``(low, high)`` (``[low, high]`` with
    ``closed``); the message names the value."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        inside = low <= value <= high if closed else low < value < high
        if not (math.isfinite(value) and inside):
            bounds = f"[{low}, {high}]" if closed else f"({low}, {high})"
            raise argparse.ArgumentTypeError(f"must be a number in {bounds}, got {text}")
        return value

    return parse


#: argparse ``type`` of a rate or temperature, and of a share of the data.
positive_float = number(0.0)
fraction = number(0.0, 1.0)


def split_csv(text: str) -> list[str]:
    """The non-empty, stripped items of a comma-separated flag value."""
    return [part.strip() for part in text.split(",") if part.strip()]


def whole_numbers(minimum: int) -> Callable[[str], list[int]]:
    """An argparse ``type``: a comma-separated list of whole numbers ``>= minimum`` (the
    message names the item that is not, e.g. ``--budgets: 'a' is not a whole number``)."""
    parse = count(minimum)

    def parse_list(text: str) -> list[int]:
        parts = split_csv(text)
        if not parts:
            raise argparse.ArgumentTypeError(f"{text!r} names no number")
        return [parse(part) for part in parts]

    return parse_list


def weights(text: str) -> list[float]:
    """An argparse ``type``: a comma-separated list of finite numbers >= 0 (a list in
    one argument, so that a file name after the flag is not taken for a number)."""
    parse = number(0.0, closed=True)
    parts = split_csv(text)
    if not parts:
        raise argparse.ArgumentTypeError(f"{text!r} names no number")
    return [parse(part) for part in parts]


# -- where an index is ----------------------------------------------------------------------
def add_server_location(where: argparse._ActionsContainer) -> None:
    """``--chroma-host H --chroma-port P`` (a Chroma server) or ``--milvus-uri URI`` (a
    Milvus Lite file ``*.db`` or a Milvus server; token from ``MILVUS_TOKEN``)."""
    where.add_argument("--chroma-host", default=None, help="a Chroma server's host ...")
    where.add_argument("--chroma-port", type=count(1), default=None, help="... and port")
    where.add_argument(
        "--milvus-uri",
        default=None,
        metavar="URI",
        help="Milvus: a Milvus Lite file (a path ending in .db; one process at a time) or "
        "a server (http://host:19530; token from MILVUS_TOKEN)",
    )


def add_index_location(parser: argparse.ArgumentParser) -> None:
    """``--index DIR`` (embedded Chroma), ``--chroma-host H --chroma-port P`` or
    ``--milvus-uri URI``, with ``--index-name`` (see :func:`index_location`)."""
    where = parser.add_argument_group("where the index is (a folder, a Chroma server, Milvus)")
    where.add_argument(
        "--index", default=None, metavar="DIR", help="index folder (embedded Chroma)"
    )
    add_server_location(where)
    where.add_argument(
        "--index-name",
        default=None,
        help="the index's name on the server or in Milvus (default 'default')",
    )


def server_location(args: argparse.Namespace) -> dict[str, Any] | None:
    """``chroma_host`` and ``chroma_port``, or ``milvus_uri``, from
    :func:`add_server_location`'s flags; None when none is given. Both kinds, or half a
    Chroma address, is an error.

    Example:
        >>> server_location(argparse.Namespace(chroma_host=None, chroma_port=None,
        ...                                    milvus_uri="idx.db"))
        {'milvus_uri': 'idx.db'}
    """
    chroma = args.chroma_host is not None or args.chroma_port is not None
    if args.milvus_uri is not None:
        if chroma:
            raise ValueError("give --chroma-host/--chroma-port or --milvus-uri, not both")
        return {"milvus_uri": args.milvus_uri}
    if not chroma:
        return None
    if args.chroma_host is None or args.chroma_port is None:
        raise ValueError("give both --chroma-host and --chroma-port")
    return {"chroma_host": args.chroma_host, "chroma_port": args.chroma_port}


def index_location(args: argparse.Namespace) -> dict[str, Any]:
    """The index's address as :meth:`~mom_micro.retrievers.MemoryIndex.open` / ``load``
    keywords: ``persist_dir`` (and ``index_name``), or ``chroma_host``, ``chroma_port``
    and ``index_name``, or ``milvus_uri`` and ``index_name``. Two kinds at once, or half
    a server address, is an error."""
    server = server_location(args)
    if server is not None:
        if args.index is not None:
            raise ValueError(
                "give --index DIR (a folder) or a server (--chroma-host/--chroma-port, "
                "--milvus-uri), not both"
            )
        return {**server, "index_name": args.index_name}
    if args.index is None:
        raise ValueError(
            "give --index DIR, --chroma-host and --chroma-port for a Chroma server, or "
            "--milvus-uri for Milvus"
        )
    options: dict[str, Any] = {"persist_dir": args.index}
    if args.index_name is not None:
        options["index_name"] = args.index_name
    return options


def describe_location(options: dict[str, Any]) -> str:
    """A location of :func:`index_location` as one would write it: ``DIR``,
    ``HOST:PORT/NAME`` or ``URI [NAME]``.

    Example:
        >>> describe_location({"chroma_host": "db", "chroma_port": 8000, "index_name": None})
        'db:8000/default'
        >>> describe_location({"milvus_uri": "idx.db", "index_name": "papers"})
        'idx.db [papers]'
    """
    if "milvus_uri" in options:
        return f"{options['milvus_uri']} [{options.get('index_name') or 'default'}]"
    if "chroma_host" in options:
        return (
            f"{options['chroma_host']}:{options['chroma_port']}/"
            f"{options.get('index_name') or 'default'}"
        )
    return str(options["persist_dir"])


# -- progress, result files, data sets ------------------------------------------------------
def add_progress(parser: argparse.ArgumentParser) -> None:
    """``--no-progress`` (``args.progress`` is False): no progress bars (on stderr)."""
    parser.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="no progress bars (they go to stderr)",
    )


def add_out(
    parser: argparse.ArgumentParser,
    beside: str = ".md",
    default: str | None = None,
    required: bool = False,
) -> None:
    """``--out FILE.json``: where a run writes its figures, with ``beside`` (e.g. ``.md
    and .png``) written next to it; without ``default`` and not ``required``, nothing is
    written unless it is given."""
    where = f"; {beside} beside it" if beside else ""
    parser.add_argument(
        "--out",
        default=default,
        required=required,
        metavar="FILE.json",
        help=f"result JSON{where}" + (" (default %(default)s)" if default else ""),
    )


def add_dataset(
    parser: argparse.ArgumentParser, repeatable: bool = False, limit: int | None = None
) -> None:
    """``--dataset`` (a QA file; repeatable when the command takes several) and
    ``--limit-docs`` (default ``limit``: all documents when ``None``)."""
    parser.add_argument(
        "--dataset",
        action="append" if repeatable else "store",
        required=True,
        metavar="FILE",
        help="SQuAD JSON, or JSONL of {input, instructions, outputs}"
        + (" (repeatable)" if repeatable else ""),
    )
    parser.add_argument(
        "--limit-docs",
        type=count(1),
        default=limit,
        metavar="N",
        help="use only the first N documents"
        + (" of each dataset" if repeatable else "")
        + (f" (default {limit})" if limit is not None else ""),
    )
