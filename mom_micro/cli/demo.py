"""``mom-micro demo``: the offline tour of both halves (see :mod:`mom_micro.demo`)."""

from __future__ import annotations

import argparse

from .options import count

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from mom_micro.demo import run_demo

    run_demo(
        args.workdir,
        documents=args.docs,
        n_answers=args.answers,
        max_new_tokens=args.max_new_tokens,
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``demo`` to the ``mom-micro`` sub-commands ``sub``."""
    demo = sub.add_parser(
        "demo",
        help="the offline tour: memories of the project's docs, three-layer retrieval, "
        "MiCRo ranking for two users",
        description="Read the project's documentation into memories and index them in "
        "Chroma, answer questions with three-layer retrieval, train a small MiCRo model on "
        "the shipped synthetic answer-style sample, and rank SmolLM2's answers for two "
        "users. Offline; a few minutes on two CPU cores.",
    )
    demo.add_argument(
        "--workdir",
        default="mom-micro-demo",
        help="folder for the index, the model and the plot (default %(default)s)",
    )
    demo.add_argument(
        "--docs",
        nargs="+",
        default=None,
        metavar="FILE",
        help="text files to read (default: README.md and docs/*.md of the checkout)",
    )
    demo.add_argument(
        "--answers",
        type=count(0),
        default=4,
        help="candidate answers SmolLM2 writes (0: skip generation; default 4)",
    )
    demo.add_argument(
        "--max-new-tokens",
        type=count(1),
        default=80,
        help="length limit of each answer in tokens (default 80)",
    )
    demo.set_defaults(func=_run)
