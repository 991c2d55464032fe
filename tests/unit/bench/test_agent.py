"""bench agent: pools of responses from context pairs, best-of-n in a real create_agent
against n=1 for each user, the ranking's cost per step."""

from __future__ import annotations

import json

import pytest

from mom_micro.bench.agent import (
    AgentBenchConfig,
    preference_pools,
    render_agent_markdown,
    run_agent_benchmark,
    write_agent_outputs,
)
from mom_micro.cli import build_parser
from mom_micro.plugins.langchain import PersonalizedRanker
from mom_micro.rewards import PreferencePair
from tests.support.micro import TOPICS, concise, detailed, filler, question


def _pairs(topics) -> list[PreferencePair]:
    pairs = []
    for topic in topics:
        q, short, long, bland = question(topic), concise(topic), detailed(topic), filler(topic)
        pairs += [
            PreferencePair(q, short, long, context="concise"),
            PreferencePair(q, short, bland, context="concise"),
            PreferencePair(q, long, short, context="detailed"),
            PreferencePair(q, long, bland, context="detailed"),
        ]
    return pairs


def test_pools_hold_every_response_and_each_contexts_winner():
    pairs = [*_pairs(["owls"]), PreferencePair("Hi?", "Hi.", "Hello!", context="brief")]
    pairs.append(PreferencePair("Hi?", "Hello!", "Hi.", context="brief"))  # no single winner
    pools = preference_pools(pairs)
    assert len(pools) == 1 and pools[0].prompt == question("owls")
    assert set(pools[0].responses) == {concise("owls"), detailed("owls"), filler("owls")}
    assert pools[0].preferred == {"concise": concise("owls"), "detailed": detailed("owls")}


def test_best_of_n_hands_users_their_preferred_answer_more_often_than_n1(micro_model, tmp_path):
    ranker = PersonalizedRanker(model=micro_model)
    config = AgentBenchConfig(n=4, cost_steps=0)
    result = run_agent_benchmark(_pairs(TOPICS), ranker, config, log=lambda _: None)
    assert set(result["contexts"]) == {"concise", "detailed"}
    avg = result["average"]
    assert avg["n1"] < 0.6 < avg["best_of_n"] <= avg["drawn"] <= 1.0
    assert all(row["steps"] == len(TOPICS) for row in result["contexts"].values())
    assert result["rank_ms"]["scripted_mean"] > 0 and result["cost"] == []
    again = run_agent_benchmark(_pairs(TOPICS), ranker, config, log=lambda _: None)
    assert again["contexts"] == result["contexts"]  # the draws are seeded
    table = render_agent_markdown(result)
    assert "| **average** |" in table and "best-of-4" in table
    paths = write_agent_outputs(result, tmp_path / "agent.json")
    assert json.loads(paths[0].read_text())["average"] == avg
    with pytest.raises(ValueError, match="n must be >= 2"):
        run_agent_benchmark(_pairs(TOPICS), ranker, AgentBenchConfig(n=1))
    with pytest.raises(ValueError, match="the pairs need contexts"):
        run_agent_benchmark([PreferencePair("Hi?", "Hi.", "Hello!")], ranker)


def test_the_command_is_registered():
    args = build_parser().parse_args(["bench", "agent", "--model", "m", "--cost-steps", "0"])
    assert (args.n, args.cost_steps, args.pairs) == (4, 0, [])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "agent", "--model", "m", "--n", "1"])


def test_train_and_bench_given_the_same_split_use_disjoint_prompts(capsys):
    from mom_micro.cli.preference_options import prompt_side

    pairs = _pairs(TOPICS)
    split = ["--split-by-prompt", "0.25", "--split-seed", "3"]
    train_args = build_parser().parse_args(["reward", "train", "p.json", "--out", "m", *split])
    bench_args = build_parser().parse_args(["bench", "agent", "--model", "m", "p.json", *split])
    train = prompt_side(pairs, train_args, held_out=False)
    held = prompt_side(pairs, bench_args, held_out=True)
    assert held and {p.prompt for p in train}.isdisjoint(p.prompt for p in held)
    assert sorted(map(id, train + held)) == sorted(map(id, pairs))  # nothing dropped
    assert "held-out prompts" in capsys.readouterr().out
    unsplit = build_parser().parse_args(["bench", "agent", "--model", "m"])
    assert prompt_side(pairs, unsplit, held_out=True) == pairs
    with pytest.raises(SystemExit):
        build_parser().parse_args(["bench", "agent", "--model", "m", "--split-by-prompt", "1"])
