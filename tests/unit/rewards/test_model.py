"""MixtureRewardModel: per-example routing, the text API, feedback, save and load."""

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
    bounded_scores,
    train_mixture,
    train_stage1,
    train_stage2,
)
from tests.support.rewards import synthetic_features


def _template(features: PairFeatures, **kw) -> MixtureConfig:
    return MixtureConfig(
        n_heads=kw.pop("n_heads", 4),
        prompt_dim=features.prompt.shape[1],
        pair_dim=features.chosen.shape[1],
        context_dim=features.context.shape[1],
        **kw,
    )


def _trained_text_model(featurizer, profiles=None) -> MixtureRewardModel:
    pairs = []
    for i in range(40):
        pairs.append(
            PreferencePair(
                f"question {i} about cats",
                "friendly detailed answer",
                f"rude reply {i}",
                context="friendly",
            )
        )
        pairs.append(
            PreferencePair(
                f"question {i} about cats",
                "short",
                f"long rambling preamble number {i} before it",
                context="concise",
            )
        )
    model = MixtureRewardModel.create(featurizer, n_heads=3, profiles=profiles)
    train_stage1(model, pairs, Stage1Config(epochs=3, progress=False))
    train_stage2(model, pairs, Stage2Config(progress=False, epochs=20, lr=0.05, guard_folds=0))
    return model


def test_routing_is_per_example_not_per_batch():
    feats = synthetic_features(200, seed=5)
    model = train_mixture(_template(feats), feats, Stage1Config(epochs=3, progress=False))
    together = model.stage1_log_route(feats.prompt[:6])
    alone = torch.cat([model.stage1_log_route(feats.prompt[i : i + 1]) for i in range(6)])
    assert torch.allclose(together, alone, atol=1e-6)
    assert not torch.allclose(together[0], together[1])


def test_static_router_ignores_the_input():
    feats = synthetic_features(200, seed=8)
    model = train_mixture(
        _template(feats), feats, Stage1Config(epochs=2, progress=False), router="static"
    )
    weights = model.stage1_log_route(feats.prompt[:5]).exp()
    assert torch.allclose(weights, weights[:1].expand(5, -1))


def test_bad_features_and_missing_contexts_are_clear_errors():
    feats = synthetic_features(50, seed=10)
    bad = feats.chosen.clone()
    bad[3, 2] = float("nan")
    with pytest.raises(FeatureError, match="NaN"):
        PairFeatures(feats.prompt, bad, feats.rejected, feats.context, feats.contexts, feats.groups)
    model = MixtureRewardModel(_template(feats))
    no_context = PairFeatures(
        feats.prompt, feats.chosen, feats.rejected, feats.context, [None] * len(feats), feats.groups
    )
    with pytest.raises(RewardsError, match="needs pairs with a context: 50 of 50"):
        train_stage2(model, no_context)
    wrong = MixtureRewardModel(MixtureConfig(prompt_dim=3, pair_dim=16, context_dim=2))
    with pytest.raises(FeatureError, match="do not match"):
        train_stage1(wrong, feats)


def test_text_api_scores_by_context_and_falls_back_for_unseen_contexts(hash_featurizer):
    model = _trained_text_model(hash_featurizer)
    responses = ["friendly detailed answer", "rude reply 3"]
    kind = model.score("question 3 about cats", responses, context="friendly")
    assert kind[0] > kind[1]
    heads = model.head_scores("question 3 about cats", responses)
    weights = model.router_weights("question 3 about cats", context="friendly")
    assert heads.shape == (2, 3) and weights.shape == (3,)
    assert weights.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert kind == pytest.approx(bounded_scores(heads @ weights, responses), abs=1e-5)
    assert not torch.allclose(
        weights, model.router_weights("question 3 about cats", context="concise")
    )
    with pytest.warns(UserWarning, match="not seen in stage-2"):
        unseen = model.router_weights("q", context="pirate")
    assert torch.allclose(unseen, model.router_weights("q"))
    with pytest.raises(RewardsError, match="non-empty list"):
        model.score("q", "not a list")


def test_online_feedback_moves_a_user_towards_their_preference(hash_featurizer, tmp_path):
    model = _trained_text_model(hash_featurizer)
    model.profiles = store = model.profile_store(tmp_path / "profiles.json")
    prompt, responses = "question 7 about cats", ["friendly detailed answer", "rude reply 7"]
    new_user = model.score(prompt, responses, user="zoe")
    assert new_user == pytest.approx(model.score(prompt, responses))  # a new user gets the prior
    assert new_user[1] > new_user[0]  # without a context the population wants it short
    margins = []
    for _ in range(5):  # zoe keeps choosing the friendly answer
        model.record_feedback("zoe", prompt, responses[0], responses[1])
        after = model.score(prompt, responses, user="zoe")
        margins.append(after[0] - after[1])
    assert margins == sorted(margins)  # each choice moves her further her way
    assert after[0] > after[1]  # and the top answer changed, for zoe only
    assert model.score(prompt, responses, user="yan") == pytest.approx(new_user)
    assert store.get("zoe").updates == 5 and len(store.get("zoe").choices) == 5
    weights = model.weights(prompt, user="zoe")
    basis = model.basis(prompt, responses)
    assert after == pytest.approx(bounded_scores(basis @ weights, responses), abs=1e-5)
    with pytest.raises(RewardsError, match="profile store"):
        MixtureRewardModel.create(hash_featurizer, n_heads=3).score(prompt, responses, user="zoe")
    with pytest.raises(RewardsError, match="non-empty name"):
        model.score(prompt, responses, user="")
    with pytest.raises(CheckpointMismatchError, match="dim 7"):
        model.profiles = UserProfileStore(dim=7)
        model.record_feedback("zoe", prompt, responses[1], responses[0])


def test_save_load_round_trip_and_refusals(hash_featurizer, tmp_path):
    model = _trained_text_model(hash_featurizer)
    path = model.save(tmp_path / "ckpt")
    loaded = MixtureRewardModel.load(path, featurizer=hash_featurizer)
    responses = ["friendly detailed answer", "rude reply 1"]
    assert loaded.score("question 1 about cats", responses, context="concise") == pytest.approx(
        model.score("question 1 about cats", responses, context="concise")
    )
    assert loaded.stage2_contexts == ["concise", "friendly"]
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


def _corrupt(path, name, change):
    target = path / name
    if name == "config.json":
        meta = json.loads(target.read_text())
        target.write_text(change(meta) if callable(change) else change)
    else:
        target.write_bytes(change(target.read_bytes()))


def _set(section, key, value):
    def change(meta):
        if section:
            meta[section][key] = value
        else:
            meta[key] = value
        return json.dumps(meta)

    return change


def _drop(key):
    def change(meta):
        del meta[key]
        return json.dumps(meta)

    return change


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("model.safetensors", lambda b: b[: len(b) // 2], "not a readable safetensors"),
        ("model.safetensors", lambda b: bytes(range(256)) * 8, "not a readable safetensors"),
        ("config.json", "[1, 2]", "not a mom-micro-mixture-reward/1 checkpoint"),
        ("config.json", '{"format": "mom-micro-mix', "not valid JSON"),
        ("config.json", _set(None, "format", "two"), "not a mom-micro-mixture-reward/1"),
        ("config.json", _set("config", "n_heads", "ten"), "n_heads must be a whole number"),
        ("config.json", _set("config", "prompt_dim", None), "prompt_dim must be a whole number"),
        ("config.json", _set("config", "version", "two"), "unknown MixtureConfig keys"),
        ("config.json", _drop("config"), "no 'config' object"),
        ("config.json", _set(None, "featurizer", "x"), "'featurizer' must be an object"),
        ("config.json", _set("config", "contexts", "abc"), "not a list of strings"),
        ("config.json", _set("state", "stage2_contexts", 5), "not a list of strings"),
    ],
    ids=[
        "truncated-weights",
        "random-weights",
        "config-a-list",
        "config-truncated",
        "format-two",
        "n_heads-ten",
        "prompt_dim-null",
        "version-two",
        "no-config",
        "featurizer-x",
        "contexts-a-string",
        "stage2-contexts-a-number",
    ],
)
def test_damaged_checkpoints_are_one_clear_error_naming_the_file(
    hash_featurizer, tmp_path, name, change, message
):
    model = _trained_text_model(hash_featurizer)
    path = model.save(tmp_path / "ckpt")
    _corrupt(path, name, change)
    with pytest.raises(CheckpointMismatchError, match=message) as error:
        MixtureRewardModel.load(path, featurizer=hash_featurizer)
    assert str(path) in str(error.value)
