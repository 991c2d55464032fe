"""The leave-one-context-out benchmark on a toy backbone: the JSON shape the issue asks
for, every method at every n, and the curve files."""

from __future__ import annotations

import json

from mom_micro.bench.personalize import (
    METHODS,
    PersonalizeBenchConfig,
    render_personalize_markdown,
    run_personalize_benchmark,
    write_personalize_outputs,
)
from mom_micro.rewards import PreferencePair, RecipeConfig, Stage1Config, split_by_prompt

FAST = Stage1Config(epochs=2, progress=False)


def three_styles(n_prompts: int = 24) -> list[PreferencePair]:
    """Three contexts that disagree on the same prompts: short, friendly, detailed."""
    pairs = []
    for i in range(n_prompts):
        prompt = f"question {i} about topic {i % 5}"
        short, friendly = f"short {i}", f"friendly kind answer number {i}"
        detailed = f"a long detailed thorough explanation of topic {i % 5} with steps {i}"
        pairs += [
            PreferencePair(prompt, short, detailed, "short"),
            PreferencePair(prompt, friendly, short, "friendly"),
            PreferencePair(prompt, detailed, friendly, "detailed"),
        ]
    return pairs


def test_personalize_bench_json_shape_and_outputs(hash_featurizer, tmp_path):
    train, test = split_by_prompt(three_styles(), 0.3, seed=0)
    config = PersonalizeBenchConfig(
        heads=2,
        choices=(0, 3, 6),
        draws=2,
        stage1=FAST,
        scratch=Stage1Config(epochs=2, val_fraction=0.0, progress=False),
        recipe=RecipeConfig(heads=2, stage1_ctx=Stage1Config(epochs=2, alpha=0.1), budget=0),
    )
    result = run_personalize_benchmark(train, test, hash_featurizer, config)
    assert result["n"] == [0, 3, 6]
    assert result["contexts"] == ["detailed", "friendly", "short"]
    assert set(result["methods"]) == set(METHODS)
    for row in result["methods"].values():
        assert len(row["average"]) == len(row["spread"]) == 3
        assert set(row["per_context"]) == set(result["contexts"])
        assert all(len(v) == 3 and all(0 <= x <= 1 for x in v) for v in row["per_context"].values())
    population = result["methods"]["population"]["average"]
    assert population == [population[0]] * 3  # it does not adapt
    assert result["methods"]["scratch_bt"]["average"][0] == population[0]  # n = 0
    assert result["methods"]["population"]["spread"] == [0.0, 0.0, 0.0]
    assert result["timing"]["online_fit_ms_median"] > 0
    paths = write_personalize_outputs(result, tmp_path / "p.json")
    assert [p.suffix for p in paths] == [".json", ".md", ".png"]
    assert json.loads(paths[0].read_text())["n"] == [0, 3, 6]
    assert "| online |" in render_personalize_markdown(result)
