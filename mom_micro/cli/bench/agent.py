"""``mom-micro bench agent``: best-of-n in a ``create_agent`` against n=1 for each user,
and the ranking's cost per step (the logic is :mod:`mom_micro.bench.agent`).

Example:
    $ mom-micro bench agent --model mom-micro-demo/micro            # the demo's answer styles
    $ mom-micro reward train dsp_domains_test.json --split-by-prompt 0.2 --out dsp-held
    $ mom-micro bench agent --model dsp-held dsp_domains_test.json --split-by-prompt 0.2 \\
        --out agent.json                            # prompts the model was not trained on
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from mom_micro.rewards.preference_files import FORMATS

from ..options import add_out, count
from ..preference_options import add_split_options, prompt_side, read_pair_files
from .run import BenchRun, set_handler

__all__ = ["register"]


def _run(args: argparse.Namespace) -> Iterator[BenchRun]:
    from mom_micro.bench.agent import (
        AgentBenchConfig,
        render_agent_markdown,
        run_agent_benchmark,
        write_agent_outputs,
    )
    from mom_micro.demo.ranking import STYLE_DATA
    from mom_micro.plugins.langchain import PersonalizedRanker

    pairs = read_pair_files(args.pairs or [str(STYLE_DATA)], args.format, args.context)
    pairs = prompt_side(pairs, args, True)
    ranker = PersonalizedRanker.from_model_dir(args.model)
    config = AgentBenchConfig(
        n=args.n,
        seed=args.seed,
        limit=args.limit,
        cost_steps=args.cost_steps,
        max_new_tokens=args.max_new_tokens,
    )
    result = run_agent_benchmark(pairs, ranker, config)
    yield BenchRun(result, render_agent_markdown, write_agent_outputs)


def register(bench: argparse._SubParsersAction) -> None:
    """Add ``agent`` to the ``mom-micro bench`` sub-commands."""
    agent = bench.add_parser(
        "agent",
        help="best-of-n in an agent against n=1: each user's preferred answer, ranking cost",
        description="A create_agent with BestOfNMiddleware answers each prompt of the pairs "
        "as each user (a context preferring one of the prompt's responses), its model "
        "drawing from the prompt's responses; how often each user gets their preferred "
        "response with n=1 and with best-of-n; then the ranking's ms per step and share of "
        "SmolLM2's generation time.",
    )
    agent.add_argument("pairs", nargs="*", help="preference files (default: the demo's styles)")
    agent.add_argument("--model", required=True, help="a MiCRo model folder (reward train)")
    agent.add_argument("--format", default="auto", choices=FORMATS, help="file format")
    agent.add_argument(
        "--context", action="append", default=[], metavar="[FILE=]LABEL", help="as for train"
    )
    agent.add_argument("--n", type=count(2), default=4, help="candidates per step (default 4)")
    agent.add_argument("--limit", type=count(1), help="at most this many prompts")
    agent.add_argument(
        "--cost-steps",
        type=count(0),
        default=3,
        help="SmolLM2 steps timed for the ranking's share (default 3; 0 skips)",
    )
    agent.add_argument("--max-new-tokens", type=count(1), default=64, help="SmolLM2's length")
    agent.add_argument("--seed", type=count(0), default=0, help="seed of the draws (default 0)")
    add_split_options(agent, "held-out")
    add_out(agent)
    set_handler(agent, _run)
