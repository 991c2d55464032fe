"""The shipped recipe: the context-aware router's entropy weight chosen on held-out prompts."""

from __future__ import annotations

from dataclasses import replace

import torch

from mom_micro.rewards import RecipeConfig, Stage1Config, train_reward_model
from tests.support.rewards import toy_pairs


def test_the_entropy_weight_that_ranks_held_out_prompts_best_is_kept(hash_featurizer):
    pairs = toy_pairs(40)
    config = RecipeConfig(
        heads=3,
        stage1_ctx=Stage1Config(epochs=3, progress=False),
        ctx_alphas=(0.5, 0.0),
        budget=0,
    )
    model, report = train_reward_model(pairs, hash_featurizer, config)
    accuracy = report.ctx_alpha_accuracy
    assert set(accuracy) == {0.5, 0.0} and report.context_stage1
    best = max(accuracy.values())
    assert report.ctx_alpha == next(a for a in config.ctx_alphas if accuracy[a] == best)

    features = hash_featurizer.featurize(pairs).subset(report.stage1.held_out)
    assert accuracy[report.ctx_alpha] == float((model.pair_margins(features) > 0).float().mean())
    alone, _ = train_reward_model(
        pairs, hash_featurizer, replace(config, ctx_alphas=(report.ctx_alpha,))
    )
    assert torch.equal(alone.heads.weight, model.heads.weight)  # the kept model, as trained


def test_without_held_out_prompts_only_the_first_weight_is_trained(hash_featurizer):
    config = RecipeConfig(
        heads=3,
        stage1_ctx=Stage1Config(epochs=3, val_fraction=0, progress=False),
        ctx_alphas=(0.5, 0.0),
        budget=0,
    )
    _, report = train_reward_model(toy_pairs(20), hash_featurizer, config)
    assert report.ctx_alpha == 0.5 and report.ctx_alpha_accuracy == {}
