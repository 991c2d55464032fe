"""The preference benchmark (toy backbone), its outputs, the CLI wiring, and doctests."""

from __future__ import annotations

import doctest
import importlib
import json
import pkgutil

import pytest

import mom_micro.rewards as rewards
from mom_micro.cli import build_parser, main
from mom_micro.rewards import PreferencePair, Stage1Config, Stage2Config
from mom_micro.rewards.bench import (
    PreferenceBenchConfig,
    budget_rows,
    render_markdown,
    run_preference_benchmark,
    split_by_prompt,
    write_outputs,
)


def _toy_pairs(n_prompts: int = 30) -> list[PreferencePair]:
    pairs = []
    for i in range(n_prompts):
        prompt = f"topic {i} question"
        pairs.append(PreferencePair(prompt, "friendly detailed answer", f"rude reply {i}", "friendly"))
        pairs.append(PreferencePair(prompt, "short", f"long rambling preamble {i} text", "concise"))
    return pairs


def test_split_by_prompt_and_budget_rows():
    pairs = _toy_pairs(20)
    train, test = split_by_prompt(pairs, 0.25, seed=1)
    assert len(test) == 10 and len(train) == 30
    assert not {p.prompt for p in train} & {p.prompt for p in test}
    rows = budget_rows([p.context for p in train], 4, seed=0)
    assert sorted(train[i].context for i in rows) == ["concise"] * 4 + ["friendly"] * 4
    assert budget_rows([p.context for p in train], 4, seed=0) == rows
    with pytest.raises(ValueError, match="fraction"):
        split_by_prompt(pairs, 1.5)


def test_benchmark_runs_every_method_and_writes_json_markdown_and_png(hash_featurizer, tmp_path):
    train, test = split_by_prompt(_toy_pairs(), 0.3, seed=0)
    config = PreferenceBenchConfig(heads=3, budget=5, curve=(0, 5), repeats=2,
                                   stage1=Stage1Config(epochs=2, progress=False),
                                   stage2=Stage2Config(epochs=2, progress=False))
    result = run_preference_benchmark(train, test, hash_featurizer, config)
    assert result["contexts"] == ["concise", "friendly"]
    assert set(result["methods"]) == {"single_bt", "static_mixture", "micro_stage1",
                                      "micro_stage2", "micro_stage1_ctx", "micro_stage2_ctx",
                                      "oracle_per_context"}
    for row in result["methods"].values():
        assert set(row["per_context"]) == {"concise", "friendly"}
        assert 0.0 <= row["average"] <= 1.0
    assert list(result["stage2_curve"]) == ["0", "5"]
    assert result["stage2_curve"]["0"]["average"] == result["methods"]["micro_stage1"]["average"]
    assert result["methods"]["micro_stage2"]["draws"] == 2
    assert list(result["stage2_ctx_curve"]) == ["0", "5"]
    assert result["stage2_ctx_curve"]["0"]["average"] == \
        result["methods"]["micro_stage1_ctx"]["average"]
    assert result["setup"]["stage1_ctx"]["alpha"] == 0.1
    assert result["timing"]["scoring_pairs_per_second"] > 0
    paths = write_outputs(result, tmp_path / "out" / "bench.json")
    assert [p.suffix for p in paths] == [".json", ".md", ".png"]
    assert json.loads(paths[0].read_text())["methods"].keys() == result["methods"].keys()
    assert paths[2].read_bytes()[:4] == b"\x89PNG"
    table = render_markdown(result)
    assert "| micro_stage2 |" in table and "Stage-2 curve of micro_stage2_ctx" in table
    no_ctx = run_preference_benchmark(train, test, hash_featurizer,
                                      PreferenceBenchConfig(heads=2, budget=5, curve=(0,), repeats=1,
                                                            stage1=config.stage1, stage2=config.stage2,
                                                            context_stage1=False))
    assert "micro_stage1_ctx" not in no_ctx["methods"] and "stage2_ctx_curve" not in no_ctx


def test_cli_registers_reward_and_bench_commands():
    parser = build_parser()
    args = parser.parse_args(["bench", "preference", "--train", "a.json", "--split-by-prompt",
                              "0.2", "--out", "x.json", "--heads", "4", "--context", "a.json=helpful"])
    assert args.heads == 4 and args.context == ["a.json=helpful"] and args.curve == [0, 10, 25, 50, 100]
    assert args.ctx_alpha == 0.1 and not args.no_ctx
    args = parser.parse_args(["reward", "rank", "--model", "m", "--prompt", "p", "r1", "r2"])
    assert args.responses == ["r1", "r2"]


def test_cli_reports_bad_input_as_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p", "chosen": "a", "rejected": "a"}\n')
    code = main(["bench", "preference", "--train", str(bad), "--split-by-prompt", "0.2",
                 "--out", str(tmp_path / "o.json")])
    assert code == 2
    assert "no usable preference pair" in capsys.readouterr().err


def test_docstring_examples_run():
    failures = 0
    for info in pkgutil.iter_modules(rewards.__path__):
        module = importlib.import_module(f"mom_micro.rewards.{info.name}")
        failures += doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed
    assert failures == 0
