"""``mom-micro bench agent``: does best-of-n in an agent hand each user the answer they
prefer, and what does the ranking cost per agent step?

**Preference.** From preference pairs with contexts (the demo's answer styles, DSP's
five domains, ...), each prompt gives a pool of responses, and each context whose
pairs for the prompt all choose one response (and never reject it) gives a user who
prefers that response. A real ``create_agent`` with
:class:`~mom_micro.plugins.langchain.BestOfNMiddleware` is asked the prompt as that user
(their context in the runtime context); its chat model draws each candidate from the
pool at random (seeded per prompt and user, so ``n=1`` gets the first of the ``n``
draws best-of-n gets). Per context: how often the user gets their preferred response
with ``n=1`` (the agent without the middleware's choice: ``1/|pool|`` expected),
with best-of-n, and how often it was among the ``n`` drawn at all (the ceiling).

**Cost.** With ``cost_steps > 0``, the same agent on the offline SmolLM2
(:class:`~mom_micro.plugins.langchain.LocalChatModel`) answers the first
``cost_steps`` prompts; each step's ``rank_ms`` and its share of the step's generation
time (``rank_ms / generate_ms``, the n calls) are reported (the goal: at most 5 %).

Output: ``{"n", "contexts": {c: {"n1", "best_of_n", "drawn", "steps"}}, "average": {...},
"rank_ms": {"scripted_mean", "local_mean"}, "cost": [{"generate_ms", "rank_ms",
"share"}], "setup": {...}}`` as JSON and a Markdown table.

Example:
    >>> result = run_agent_benchmark(pairs, ranker, AgentBenchConfig(n=4))   # doctest: +SKIP
    >>> result["average"]["best_of_n"], result["average"]["n1"]             # doctest: +SKIP
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from langchain.agents import create_agent
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict

from mom_micro.plugins.langchain import TIMING_KEY, BestOfNMiddleware, LocalChatModel
from mom_micro.plugins.langgraph import prompt_of
from mom_micro.plugins.ranking import MiCRoRankingFields
from mom_micro.rewards.data import PreferencePair

from .outputs import write_outputs

__all__ = [
    "AgentBenchConfig",
    "Pool",
    "preference_pools",
    "render_agent_markdown",
    "run_agent_benchmark",
    "write_agent_outputs",
]


@dataclass(frozen=True)
class AgentBenchConfig:
    """Settings of :func:`run_agent_benchmark`."""

    n: int = 4
    seed: int = 0
    limit: int | None = None
    cost_steps: int = 3
    max_new_tokens: int = 64


@dataclass(frozen=True)
class Pool:
    """A prompt's responses, and the one each context prefers."""

    prompt: str
    responses: tuple[str, ...]
    preferred: dict[str, str]


def preference_pools(pairs: Sequence[PreferencePair]) -> list[Pool]:
    """Group pairs by prompt: the pool is every response of the prompt; a context
    prefers a response when all its pairs for the prompt choose it (contexts without one
    such response, and prompts with one response, are left out).

    Example:
        >>> [p.preferred for p in preference_pools([PreferencePair("Hi?", "Hi.", "Hello!", "brief")])]
        [{'brief': 'Hi.'}]
    """
    responses: dict[str, dict[str, None]] = defaultdict(dict)
    chosen: dict[tuple[str, str], set[str]] = defaultdict(set)
    rejected: dict[tuple[str, str], set[str]] = defaultdict(set)
    for pair in pairs:
        responses[pair.prompt].update({pair.chosen: None, pair.rejected: None})
        if pair.context is not None:
            chosen[(pair.prompt, pair.context)].add(pair.chosen)
            rejected[(pair.prompt, pair.context)].add(pair.rejected)
    pools = []
    for prompt, kept in responses.items():
        preferred = {
            context: next(iter(won))
            for (p, context), won in sorted(chosen.items())
            if p == prompt and len(won) == 1 and not won & rejected[(p, context)]
        }
        if len(kept) > 1 and preferred:
            pools.append(Pool(prompt, tuple(kept), preferred))
    return pools


class _PoolChatModel(BaseChatModel):
    """Answers each prompt with a response drawn from its pool by ``rng`` (shared by
    the copies the middleware makes, so the draws of one step follow one sequence)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    pools: dict[str, tuple[str, ...]]
    rng: random.Random

    @property
    def _llm_type(self) -> str:
        return "pool"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = self.rng.choice(self.pools[prompt_of(messages)])
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


def _ask(prompt: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": prompt}]}


def _mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def run_agent_benchmark(
    pairs: Sequence[PreferencePair],
    ranker: MiCRoRankingFields,
    config: AgentBenchConfig = AgentBenchConfig(),
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the benchmark (see the module docstring) on ``pairs`` with ``ranker``."""
    if config.n < 2:
        raise ValueError(f"bench agent compares best-of-n with n=1: n must be >= 2, got {config.n}")
    pools = preference_pools(pairs)[: config.limit]
    if not pools:
        raise ValueError(
            "no prompt with several responses and a context preferring one of them "
            "(the pairs need contexts: --context LABEL or FILE=LABEL)"
        )
    rng = random.Random()
    model = _PoolChatModel(pools={p.prompt: p.responses for p in pools}, rng=rng)
    plain = create_agent(model, [])
    best_of_n = create_agent(model, [], middleware=[BestOfNMiddleware(ranker, n=config.n)])
    hits: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    rank_ms: list[float] = []
    log(f"{len(pools)} prompts; best-of-{config.n} against n=1 for each preferring context")
    for pool in pools:
        for context, preferred in pool.preferred.items():
            seed = f"{config.seed}|{pool.prompt}|{context}"
            rng.seed(seed)
            first = plain.invoke(_ask(pool.prompt))["messages"][-1]
            rng.seed(seed)
            draws = [rng.choice(pool.responses) for _ in range(config.n)]
            rng.seed(seed)
            who = {"user": context, "context": context}
            answer = best_of_n.invoke(_ask(pool.prompt), context=who)["messages"][-1]
            rank_ms.append(answer.response_metadata[TIMING_KEY]["rank_ms"])
            hits[context]["n1"].append(float(first.text == preferred))
            hits[context]["best_of_n"].append(float(answer.text == preferred))
            hits[context]["drawn"].append(float(preferred in draws))
    contexts = {
        c: {k: statistics.fmean(v) for k, v in rows.items()} | {"steps": len(rows["n1"])}
        for c, rows in sorted(hits.items())
    }
    average = {
        k: statistics.fmean(row[k] for row in contexts.values())
        for k in ("n1", "best_of_n", "drawn")
    }
    cost = _local_cost(pools, ranker, config, log) if config.cost_steps > 0 else []
    return {
        "n": config.n,
        "contexts": contexts,
        "average": average,
        "rank_ms": {
            "scripted_mean": _mean(rank_ms),
            "local_mean": _mean([c["rank_ms"] for c in cost]),
        },
        "cost": cost,
        "setup": asdict(config) | {"prompts": len(pools)},
    }


def _local_cost(
    pools: Sequence[Pool],
    ranker: MiCRoRankingFields,
    config: AgentBenchConfig,
    log: Callable[[str], None],
) -> list[dict[str, float]]:
    """Each of the first ``cost_steps`` prompts answered by SmolLM2 through the
    best-of-n agent: the step's generation and ranking time and their ratio."""
    llm = LocalChatModel(temperature=0.7, max_new_tokens=config.max_new_tokens)
    agent = create_agent(llm, [], middleware=[BestOfNMiddleware(ranker, n=config.n)])
    cost = []
    for pool in pools[: config.cost_steps]:
        context = next(iter(pool.preferred))
        who = {"user": context, "context": context}
        answer = agent.invoke(_ask(pool.prompt), context=who)["messages"][-1]
        timing = answer.response_metadata[TIMING_KEY]
        share = timing["rank_ms"] / timing["generate_ms"]
        cost.append({**timing, "share": share})
        log(
            f"  SmolLM2 step: generation {timing['generate_ms']:.0f} ms, ranking "
            f"{timing['rank_ms']:.1f} ms ({100 * share:.2f} %)"
        )
    return cost


def render_agent_markdown(result: dict[str, Any]) -> str:
    """The result as a Markdown table (one row per context, then the average) and the
    ranking's cost."""
    n = result["n"]
    lines = [
        f"| context | steps | n=1 | best-of-{n} | preferred among the {n} drawn |",
        "|---|---:|---:|---:|---:|",
    ]
    for context, row in result["contexts"].items():
        lines.append(
            f"| {context} | {row['steps']} | {row['n1']:.3f} | {row['best_of_n']:.3f} "
            f"| {row['drawn']:.3f} |"
        )
    avg = result["average"]
    lines.append(
        f"| **average** | | {avg['n1']:.3f} | {avg['best_of_n']:.3f} | {avg['drawn']:.3f} |"
    )
    ms = result["rank_ms"]
    lines.append("")
    lines.append(f"Ranking per agent step: {ms['scripted_mean']:.1f} ms (scripted model).")
    if result["cost"]:
        shares = [c["share"] for c in result["cost"]]
        lines.append(
            f"With SmolLM2 ({len(shares)} steps): ranking {ms['local_mean']:.1f} ms per step, "
            f"{100 * statistics.fmean(shares):.2f} % of the step's generation time "
            f"(max {100 * max(shares):.2f} %; goal <= 5 %)."
        )
    return "\n".join(lines) + "\n"


def write_agent_outputs(result: dict[str, Any], out: str | Path) -> list[Path]:
    """Write the result as JSON at ``out`` and its Markdown table beside it."""
    return write_outputs(result, out, render_agent_markdown(result))
