"""``mom-micro bench ...``: the benchmarks on your own data, one module per family.

- :mod:`.retrieval` -- ``retrieval``, ``server``, ``concurrency``, ``memory``, ``reader``;
- :mod:`.scale` -- ``scale``;
- :mod:`.preference` -- ``preference``, ``personalize``, ``featurize``, ``style``;
- :mod:`.agent` -- ``agent``.

Every benchmark goes one way from its flags to its figures (:mod:`.run`): the handler
measures, the shared path prints the table and writes ``--out`` with its files beside it.
"""

from __future__ import annotations

import argparse

from . import agent, preference, retrieval, scale

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``bench`` group and its benchmarks to the ``mom-micro`` sub-commands ``sub``."""
    group = sub.add_parser(
        "bench",
        help="compare methods on your own data",
        description="compare methods on your own data",
    )
    bench = group.add_subparsers(dest="bench_command", required=True, metavar="COMMAND")
    retrieval.register(bench)
    scale.register(bench)
    preference.register(bench)
    agent.register(bench)
