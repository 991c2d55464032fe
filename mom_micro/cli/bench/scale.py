"""``mom-micro bench scale``: cost against corpus size in each location (the logic is in
:mod:`mom_micro.bench.scale`)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from ..options import add_dataset, add_out, count, split_csv, whole_numbers
from .run import BenchRun, set_handler

__all__ = ["register"]


def _scale(args: argparse.Namespace) -> Iterator[BenchRun]:
    from mom_micro.bench.scale import (
        build_corpus,
        check_locations,
        run_scale_bench,
        scale_markdown,
        write_scale_outputs,
    )
    from mom_micro.bench.scale_corpus import check_sizes

    if (args.chroma_host is None) != (args.chroma_port is None):
        raise ValueError("give both --chroma-host and --chroma-port, or neither")
    sizes = check_sizes(args.sizes)  # every check before any work
    locations = check_locations(split_csv(args.locations))
    corpus = build_corpus(args.dataset, args.distractors or [], args.limit_docs)
    server = None if args.chroma_host is None else (args.chroma_host, args.chroma_port)
    result = run_scale_bench(
        corpus, sizes, locations, args.budget, server, work=args.work, log=print
    )
    yield BenchRun(result, scale_markdown, write_scale_outputs)


def register(bench: argparse._SubParsersAction) -> None:
    """Add ``scale`` to the ``mom-micro bench`` sub-commands."""
    scale = bench.add_parser(
        "scale",
        help="ingest, memory, first answer, query latency and hits as the corpus grows",
        description="Grow one memory index per location through corpus sizes (chunks): a "
        "QA set's documents, then real text files as distractors, each text once. At each "
        "size: ingest chunks/s and peak memory (a fresh process per step), a fresh "
        "client's first answer, query p50/p95 and hit@B of the QA set's questions; the "
        "log-log slope of each cost, and whether it meets its goal (docs/scaling.md). "
        "Writes OUT (JSON), OUT.md and OUT.png.",
    )
    add_dataset(scale)
    scale.add_argument(
        "--distractors",
        action="append",
        metavar="GLOB_OR_DIR",
        help="real text files added after the QA documents, in sorted order (a folder: "
        "every file under it; ** in a glob matches any depth); repeatable",
    )
    scale.add_argument(
        "--sizes",
        type=whole_numbers(1),
        default="1000,10000",
        help="comma-separated corpus sizes in chunks, growing (default %(default)s)",
    )
    scale.add_argument(
        "--locations",
        default="chroma,chroma-server,milvus-lite",
        help="comma-separated, from chroma, chroma-server, milvus-lite (default: all)",
    )
    scale.add_argument(
        "--chroma-host",
        default=None,
        help="a running Chroma server for chroma-server (default: the bench starts its "
        "own `chroma run` on a free loopback port and stops it at the end)",
    )
    scale.add_argument("--chroma-port", type=count(1), default=None, help="... and its port")
    scale.add_argument(
        "--budget", type=count(1), default=400, help="word budget of hit@B (default 400)"
    )
    scale.add_argument(
        "--work",
        default=None,
        metavar="DIR",
        help="keep the indexes here (default: a temporary folder, removed at the end)",
    )
    add_out(scale, ".md and .png", default="scale_bench.json")
    set_handler(scale, _scale)
