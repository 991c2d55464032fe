"""The preference benchmark on a toy backbone: every method, JSON, Markdown and PNG."""

from __future__ import annotations

import json

from mom_micro.bench.preference import (
    PreferenceBenchConfig,
    render_markdown,
    run_preference_benchmark,
    write_preference_outputs,
)
from mom_micro.rewards import (
    RecipeConfig,
    Stage1Config,
    Stage2Config,
    evaluate,
    split_by_prompt,
    train_reward_model,
)
from tests.support.rewards import toy_pairs


def test_benchmark_runs_every_method_and_writes_json_markdown_and_png(hash_featurizer, tmp_path):
    train, test = split_by_prompt(toy_pairs(), 0.3, seed=0)
    config = PreferenceBenchConfig(
        heads=3,
        budget=5,
        curve=(0, 5),
        repeats=2,
        stage1=Stage1Config(epochs=2, progress=False),
        stage2=Stage2Config(epochs=2, progress=False),
        recipe=RecipeConfig(
            heads=3,
            budget=5,
            stage1_ctx=Stage1Config(epochs=2, alpha=0.1, progress=False),
            stage2=Stage2Config(epochs=2, progress=False),
        ),
    )
    result = run_preference_benchmark(train, test, hash_featurizer, config)
    assert result["contexts"] == ["concise", "friendly"]
    assert set(result["methods"]) == {
        "single_bt",
        "static_mixture",
        "micro_stage1",
        "micro_stage2",
        "micro_stage1_ctx",
        "micro_stage2_ctx",
        "oracle_per_context",
        "shipped",
    }
    shipped, _ = train_reward_model(train, hash_featurizer, config.recipe)  # = reward train
    features = hash_featurizer.featurize(test)
    expected = evaluate(shipped, features).to_dict()
    assert {k: result["methods"]["shipped"][k] for k in expected} == expected
    assert result["methods"]["shipped"]["ctx_alpha"] in config.recipe.ctx_alphas
    assert result["methods"]["shipped"]["stage2_contexts"] == shipped.stage2_contexts
    for row in result["methods"].values():
        assert set(row["per_context"]) == {"concise", "friendly"}
        assert 0.0 <= row["average"] <= 1.0
    assert list(result["stage2_curve"]) == ["0", "5"]
    assert result["stage2_curve"]["0"]["average"] == result["methods"]["micro_stage1"]["average"]
    assert result["methods"]["micro_stage2"]["draws"] == 2
    assert list(result["stage2_ctx_curve"]) == ["0", "5"]
    assert (
        result["stage2_ctx_curve"]["0"]["average"]
        == result["methods"]["micro_stage1_ctx"]["average"]
    )
    assert result["setup"]["stage1_ctx"]["alpha"] == 0.1
    assert result["timing"]["scoring_pairs_per_second"] > 0
    paths = write_preference_outputs(result, tmp_path / "out" / "bench.json")
    assert [p.suffix for p in paths] == [".json", ".md", ".png"]
    assert json.loads(paths[0].read_text())["methods"].keys() == result["methods"].keys()
    assert paths[2].read_bytes()[:4] == b"\x89PNG"
    table = render_markdown(result)
    assert "| micro_stage2 |" in table and "Stage-2 curve of micro_stage2_ctx" in table
    no_ctx = run_preference_benchmark(
        train,
        test,
        hash_featurizer,
        PreferenceBenchConfig(
            heads=2,
            budget=5,
            curve=(0,),
            repeats=1,
            stage1=config.stage1,
            stage2=config.stage2,
            context_stage1=False,
            recipe=None,
        ),
    )
    assert "micro_stage1_ctx" not in no_ctx["methods"] and "stage2_ctx_curve" not in no_ctx
    assert "shipped" not in no_ctx["methods"]
