"""MixtureRewardModel: training stages on synthetic subgroups, routing, text API, save/load."""

from __future__ import annotations

import copy
import json

import pytest
import torch

from mom_micro.rewards import (
    CheckpointMismatchError,
    FeatureError,
    MixtureConfig,
    MixtureRewardModel,
    PairFeatures,
    PreferencePair,
    RewardsError,
    Stage1Config,
    Stage2Config,
    UserProfileStore,
    evaluate,
    train_mixture,
    train_single_bt,
)

from .conftest import synthetic_features

FAST = Stage1Config(epochs=25, patience=25, lr=1e-2, progress=False)


def _template(features: PairFeatures, **kw) -> MixtureConfig:
    return MixtureConfig(n_heads=kw.pop("n_heads", 4), prompt_dim=features.prompt.shape[1],
                         pair_dim=features.chosen.shape[1], context_dim=features.context.shape[1], **kw)


def test_stage1_mixture_separates_subgroups_that_one_bt_cannot():
    full = synthetic_features(1000, seed=1)
    train, test = full.subset(range(700)), full.subset(range(700, 1000))
    template = _template(train)
    bt = train_single_bt(template, train, FAST)
    micro = train_mixture(template, train, FAST)
    bt_acc, micro_acc = evaluate(bt, test).average, evaluate(micro, test).average
    assert bt_acc < 0.65
    assert micro_acc > 0.85, (bt_acc, micro_acc)


def test_stage2_context_routing_wins_where_prompts_carry_no_signal():
    full = synthetic_features(1000, seed=3, routed_by="context")
    train, test = full.subset(range(700)), full.subset(range(700, 1000))
    model = train_mixture(_template(train), train, FAST)
    stage1 = evaluate(model, test).average
    rows = [i for c in ("a", "b") for i in [j for j, x in enumerate(train.contexts) if x == c][:50]]
    model.fit_routing(train.subset(rows), Stage2Config(tau=1.0, lr=0.1, progress=False))
    stage2 = evaluate(model, test).average
    assert model.config.contexts == ["a", "b"]
    assert stage2 > stage1 + 0.08, (stage1, stage2)


def _flipped_by_context(n: int, seed: int) -> PairFeatures:
    """Opposite rewards (+w / -w) told apart only by the context label, as in DSP."""
    feats = synthetic_features(n, seed=seed)
    feats.prompt[:, 0] = torch.randn(n, generator=torch.Generator().manual_seed(seed))
    return feats


def test_stage1_context_option_routes_on_context_where_the_paper_stage1_cannot(tmp_path):
    full = _flipped_by_context(1000, seed=11)
    train, test = full.subset(range(700)), full.subset(range(700, 1000))
    paper = train_mixture(_template(train), train, FAST)
    ctx = train_mixture(_template(train), train, FAST, stage1_context=True)
    assert not paper.config.stage1_context and ctx.config.stage1_context
    assert ctx.router.net[0].in_features == 8 + 2
    paper_acc, ctx_acc = evaluate(paper, test).average, evaluate(ctx, test).average
    assert paper_acc < 0.65 and ctx_acc > 0.85, (paper_acc, ctx_acc)
    by_a = ctx.stage1_log_route(test.prompt[:1], torch.tensor([[1.0, 0.0]]))
    by_b = ctx.stage1_log_route(test.prompt[:1], torch.tensor([[0.0, 1.0]]))
    assert not torch.allclose(by_a, by_b)
    none = ctx.stage1_log_route(test.prompt[:3])     # no context: a zero context vector
    assert torch.allclose(none, ctx.stage1_log_route(test.prompt[:3], torch.zeros(3, 2)))
    loaded = MixtureRewardModel.load(ctx.save(tmp_path / "ctx"))
    assert loaded.config.stage1_context and evaluate(loaded, test).average == ctx_acc
    ctx.add_context_router()
    assert torch.allclose(ctx.stage2_log_route(test.prompt, test.context),
                          ctx.stage1_log_route(test.prompt, test.context), atol=1e-6)


def test_routing_is_per_example_not_per_batch():
    feats = synthetic_features(200, seed=5)
    model = train_mixture(_template(feats), feats, Stage1Config(epochs=3, progress=False))
    together = model.stage1_log_route(feats.prompt[:6])
    alone = torch.cat([model.stage1_log_route(feats.prompt[i:i + 1]) for i in range(6)])
    assert torch.allclose(together, alone, atol=1e-6)
    assert not torch.allclose(together[0], together[1])


def test_training_is_deterministic_for_a_seed_and_differs_across_seeds():
    feats = synthetic_features(300, seed=6)
    config = Stage1Config(epochs=2, progress=False)
    a = train_mixture(_template(feats), feats, config).state_dict()
    b = train_mixture(_template(feats), feats, config).state_dict()
    c = train_mixture(_template(feats), feats, Stage1Config(epochs=2, seed=9, progress=False)).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)


def test_early_stopping_keeps_the_best_epoch():
    feats = synthetic_features(400, seed=7)
    model = MixtureRewardModel(_template(feats))
    result = model.fit(feats, Stage1Config(epochs=30, patience=1, lr=0.05, progress=False))
    assert len(result.val_loss) <= 30
    assert result.best_epoch == min(range(len(result.val_loss)), key=result.val_loss.__getitem__)


def test_static_router_ignores_the_input():
    feats = synthetic_features(200, seed=8)
    model = train_mixture(_template(feats), feats, Stage1Config(epochs=2, progress=False), router="static")
    weights = model.stage1_log_route(feats.prompt[:5]).exp()
    assert torch.allclose(weights, weights[:1].expand(5, -1))


def test_stage2_starts_from_the_stage1_router():
    feats = synthetic_features(200, seed=9)
    model = train_mixture(_template(feats), feats, Stage1Config(epochs=2, progress=False))
    model.add_context_router()
    assert torch.allclose(model.stage2_log_route(feats.prompt, feats.context),
                          model.stage1_log_route(feats.prompt), atol=1e-6)


def test_bad_features_and_missing_contexts_are_clear_errors():
    feats = synthetic_features(50, seed=10)
    bad = feats.chosen.clone()
    bad[3, 2] = float("nan")
    with pytest.raises(FeatureError, match="NaN"):
        PairFeatures(feats.prompt, bad, feats.rejected, feats.context, feats.contexts, feats.groups)
    model = MixtureRewardModel(_template(feats))
    no_context = PairFeatures(feats.prompt, feats.chosen, feats.rejected, feats.context,
                              [None] * len(feats), feats.groups)
    with pytest.raises(RewardsError, match="needs pairs with a context: 50 of 50"):
        model.fit_routing(no_context)
    wrong = MixtureRewardModel(MixtureConfig(prompt_dim=3, pair_dim=16, context_dim=2))
    with pytest.raises(FeatureError, match="do not match"):
        wrong.fit(feats)


def _trained_text_model(featurizer, profiles=None) -> MixtureRewardModel:
    pairs = []
    for i in range(40):
        pairs.append(PreferencePair(f"question {i} about cats", "friendly detailed answer",
                                    f"rude reply {i}", context="friendly"))
        pairs.append(PreferencePair(f"question {i} about cats", "short",
                                    f"long rambling preamble number {i} before it", context="concise"))
    model = MixtureRewardModel.create(featurizer, n_heads=3, profiles=profiles)
    model.fit(pairs, Stage1Config(epochs=3, progress=False))
    model.fit_routing(pairs, Stage2Config(progress=False, epochs=20, lr=0.05))
    return model


def test_text_api_scores_by_context_and_falls_back_for_unseen_contexts(hash_featurizer):
    model = _trained_text_model(hash_featurizer)
    responses = ["friendly detailed answer", "rude reply 3"]
    kind = model.score("question 3 about cats", responses, context="friendly")
    assert kind[0] > kind[1]
    heads = model.head_scores("question 3 about cats", responses)
    weights = model.router_weights("question 3 about cats", context="friendly")
    assert heads.shape == (2, 3) and weights.shape == (3,)
    assert weights.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert kind == pytest.approx((heads @ weights).tolist(), abs=1e-5)
    assert not torch.allclose(weights, model.router_weights("question 3 about cats", context="concise"))
    with pytest.warns(UserWarning, match="not seen in stage-2"):
        unseen = model.router_weights("q", context="pirate")
    assert torch.allclose(unseen, model.router_weights("q"))
    with pytest.raises(RewardsError, match="non-empty list"):
        model.score("q", "not a list")


def test_online_feedback_moves_a_user_towards_their_preference(hash_featurizer, tmp_path):
    store = UserProfileStore(tmp_path / "profiles.json", n_heads=3)
    model = _trained_text_model(hash_featurizer, profiles=store)
    prompt, responses = "question 7 about cats", ["friendly detailed answer", "rude reply 7"]
    new_user = model.score(prompt, responses, user="zoe")
    assert new_user == pytest.approx(model.score(prompt, responses))  # a new user gets the prior
    for _ in range(5):
        model.record_feedback("zoe", prompt, responses[1], responses[0])
    after = model.score(prompt, responses, user="zoe")
    assert after[1] - after[0] > new_user[1] - new_user[0]
    assert store.get("zoe").updates == 5
    with pytest.raises(RewardsError, match="profile store"):
        MixtureRewardModel.create(hash_featurizer, n_heads=3).score(prompt, responses, user="zoe")


def test_save_load_round_trip_and_refusals(hash_featurizer, tmp_path):
    model = _trained_text_model(hash_featurizer)
    path = model.save(tmp_path / "ckpt")
    loaded = MixtureRewardModel.load(path, featurizer=hash_featurizer)
    responses = ["friendly detailed answer", "rude reply 1"]
    assert loaded.score("question 1 about cats", responses, context="concise") == pytest.approx(
        model.score("question 1 about cats", responses, context="concise"))
    assert loaded.config.contexts == ["concise", "friendly"]
    with pytest.raises(CheckpointMismatchError, match="K=3 heads, expected K=10"):
        MixtureRewardModel.load(path, featurizer=hash_featurizer, n_heads=10)
    other = copy.copy(hash_featurizer)
    other.name = "another-backbone|compose"
    with pytest.raises(CheckpointMismatchError, match="trained on backbone"):
        MixtureRewardModel.load(path, featurizer=other)
    meta = json.loads((path / "config.json").read_text())
    meta["config"]["n_heads"] = 4
    (path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointMismatchError, match="do not match its config"):
        MixtureRewardModel.load(path, featurizer=hash_featurizer)
    with pytest.raises(CheckpointMismatchError, match="no config.json"):
        MixtureRewardModel.load(tmp_path / "nowhere", featurizer=hash_featurizer)
