"""The style benchmark: pairs that differ only in style, and the held-out report."""

from __future__ import annotations

import pytest

from mom_micro.bench.style import (
    StyleBenchConfig,
    render_style_markdown,
    run_style_benchmark,
    style_pairs,
)
from mom_micro.rewards import PreferencePair, RecipeConfig, RewardsError, Stage1Config

ANSWER = "Tea grows on bushes. The leaves are picked by hand. Then they are dried."


def test_style_pairs_differ_only_in_style():
    length = style_pairs([("About tea?", ANSWER), ("Short?", "One. Two.")], "length")
    assert [(p.chosen, p.rejected, p.context) for p in length] == [
        ("Tea grows on bushes.", ANSWER, "short answers"),
        (ANSWER, "Tea grows on bushes.", "long answers"),
    ]
    listed = style_pairs([("About tea?", ANSWER)], "format")[0]
    assert listed.chosen.splitlines() == [
        "- Tea grows on bushes.",
        "- The leaves are picked by hand.",
        "- Then they are dried.",
    ]
    assert listed.rejected == ANSWER and listed.context == "lists"


def test_style_benchmark_reports_both_contrasts(hash_featurizer):
    source = [
        PreferencePair(f"question {i}?", f"Fact {i} one. Fact {i} two. Fact {i} three.", "No.")
        for i in range(30)
    ]
    fast = Stage1Config(epochs=3, progress=False)
    config = StyleBenchConfig(
        train_pairs=20, test_prompts=10, recipe=RecipeConfig(heads=2, stage1_ctx=fast, budget=0)
    )
    result = run_style_benchmark(source, hash_featurizer, config)
    assert set(result["contrasts"]) == {"length", "format"}
    length = result["contrasts"]["length"]
    assert set(length["per_context"]) == {"short answers", "long answers"}
    assert length["train_pairs"] == 20 and length["counts"] == {
        "long answers": 10,
        "short answers": 10,
    }
    assert length["context_stage1"] is True
    assert "| format | lists |" in render_style_markdown(result)
    with pytest.raises(RewardsError, match="needs 10 to train on and 100 to test on"):
        run_style_benchmark(source, hash_featurizer, StyleBenchConfig(train_pairs=20))
