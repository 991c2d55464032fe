"""Stage 1 and stage 2 on synthetic subgroups: what each stage can and cannot learn."""

from __future__ import annotations

import torch

from mom_micro.rewards import (
    MixtureConfig,
    MixtureRewardModel,
    PairFeatures,
    Stage1Config,
    Stage2Config,
    evaluate,
    train_mixture,
    train_single_bt,
    train_stage1,
    train_stage2,
)
from tests.support.rewards import synthetic_features

FAST = Stage1Config(epochs=25, patience=25, lr=1e-2, progress=False)


def _template(features: PairFeatures, **kw) -> MixtureConfig:
    return MixtureConfig(
        n_heads=kw.pop("n_heads", 4),
        prompt_dim=features.prompt.shape[1],
        pair_dim=features.chosen.shape[1],
        context_dim=features.context.shape[1],
        **kw,
    )


def _flipped_by_context(n: int, seed: int) -> PairFeatures:
    """Opposite rewards (+w / -w) told apart only by the context label, as in DSP."""
    feats = synthetic_features(n, seed=seed)
    feats.prompt[:, 0] = torch.randn(n, generator=torch.Generator().manual_seed(seed))
    return feats


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
    train_stage2(
        model, train.subset(rows), Stage2Config(tau=1.0, lr=0.1, progress=False, guard_folds=0)
    )
    stage2 = evaluate(model, test).average
    assert model.stage2_contexts == ["a", "b"]
    assert stage2 > stage1 + 0.08, (stage1, stage2)


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
    none = ctx.stage1_log_route(test.prompt[:3])  # no context: a zero context vector
    assert torch.allclose(none, ctx.stage1_log_route(test.prompt[:3], torch.zeros(3, 2)))
    loaded = MixtureRewardModel.load(ctx.save(tmp_path / "ctx"))
    assert loaded.config.stage1_context and evaluate(loaded, test).average == ctx_acc
    ctx.add_context_router(["a", "b"])
    assert torch.allclose(
        ctx.stage2_log_route(test.prompt, test.context),
        ctx.stage1_log_route(test.prompt, test.context),
        atol=1e-6,
    )


def test_training_is_deterministic_for_a_seed_and_differs_across_seeds():
    feats = synthetic_features(300, seed=6)
    config = Stage1Config(epochs=2, progress=False)
    a = train_mixture(_template(feats), feats, config).state_dict()
    b = train_mixture(_template(feats), feats, config).state_dict()
    c = train_mixture(
        _template(feats), feats, Stage1Config(epochs=2, seed=9, progress=False)
    ).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)


def test_early_stopping_keeps_the_best_epoch():
    feats = synthetic_features(400, seed=7)
    model = MixtureRewardModel(_template(feats))
    result = train_stage1(
        model, feats, Stage1Config(epochs=30, patience=1, lr=0.05, progress=False)
    )
    assert len(result.val_loss) <= 30
    assert result.best_epoch == min(range(len(result.val_loss)), key=result.val_loss.__getitem__)


def test_stage2_starts_from_the_stage1_router():
    feats = synthetic_features(200, seed=9)
    model = train_mixture(_template(feats), feats, Stage1Config(epochs=2, progress=False))
    model.add_context_router(["a", "b"])
    assert torch.allclose(
        model.stage2_log_route(feats.prompt, feats.context),
        model.stage1_log_route(feats.prompt),
        atol=1e-6,
    )


def _first_per_context(features: PairFeatures, n: int) -> list[int]:
    return [
        i
        for c in sorted(set(features.contexts))
        for i in [j for j, x in enumerate(features.contexts) if x == c][:n]
    ]


def test_the_stage2_guard_keeps_stage1_where_unguarded_stage2_hurts():
    # 20 labels per context, half of them flipped at random: stage 2 alone follows the
    # noise and loses what stage 1 knew; the guard sees no gain on held-out labels
    full = _flipped_by_context(1000, seed=11)
    train, test = full.subset(range(700)), full.subset(range(700, 1000))
    model = train_mixture(_template(train), train, FAST, stage1_context=True)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    stage1 = evaluate(model, test).average
    for noise in (0, 2):
        noisy = train.subset(_first_per_context(train, 20))
        flip = torch.rand(len(noisy), generator=torch.Generator().manual_seed(noise)) < 0.5
        noisy.chosen[flip], noisy.rejected[flip] = noisy.rejected[flip], noisy.chosen[flip]
        accuracy = {}
        for guard_folds in (0, 5):
            model.reset_routing()
            model.load_state_dict(state)
            config = Stage2Config(tau=1e-3, lr=0.1, progress=False, guard_folds=guard_folds)
            dropped = train_stage2(model, noisy, config).dropped_contexts
            accuracy[guard_folds] = evaluate(model, test).average
        assert accuracy[0] < stage1 - 0.2, (stage1, accuracy)  # unguarded stage 2 hurts
        assert accuracy[5] == stage1 and dropped == ["a", "b"]
