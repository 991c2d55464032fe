"""Integration tests with the real offline backbones (MiniLM, SmolLM2) and the CLI."""

from __future__ import annotations

import json

import pytest

from mom_micro.cli import main
from mom_micro.rewards import (
    STYLE_FEATURES,
    CachedEncoder,
    FeatureCache,
    LastTokenEncoder,
    MixtureRewardModel,
    PreferenceFeaturizer,
    PreferencePair,
)


def test_reward_train_and_rank_with_minilm_through_the_cli(
    shared_data, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("MOM_MICRO_CACHE", str(tmp_path / "cache"))
    rows = json.loads(
        (shared_data / "pref" / "llmbar" / "LLMBar_Adversarial_GPTOut.json").read_text()
    )
    data = tmp_path / "llmbar_sample.json"
    data.write_text(json.dumps(rows[:8]))  # small: encoding is the slow part on 2 CPU cores
    model_dir = tmp_path / "model"
    assert (
        main(
            [
                "reward",
                "train",
                str(data),
                "--out",
                str(model_dir),
                "--heads",
                "2",
                "--epochs",
                "2",
                "--budget",
                "3",
                "--context",
                "follows_instructions",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "8 pairs from 8 rows" in out and "stage 2: 3 labelled pairs" in out
    assert "prompt router (the paper's)" in out  # one context: nothing for a context router
    assert any((tmp_path / "cache" / "features").rglob("*.safetensors"))
    profiles = tmp_path / "profiles.json"
    assert (
        main(
            [
                "reward",
                "rank",
                "--model",
                str(model_dir),
                "--prompt",
                "Name a colour.",
                "Blue.",
                "I like turtles.",
                "--context",
                "follows_instructions",
                "--user",
                "ana",
                "--profiles",
                str(profiles),
                "--json",
            ]
        )
        == 0
    )
    ranked = json.loads(capsys.readouterr().out)
    assert sorted(r["response"] for r in ranked["ranking"]) == ["Blue.", "I like turtles."]
    assert ranked["ranking"][0]["score"] >= ranked["ranking"][1]["score"]
    assert len(ranked["head_weights"]) == 2 and sum(ranked["head_weights"]) == pytest.approx(1)
    assert len(ranked["style_weights"]) == len(STYLE_FEATURES)


def test_smollm2_last_token_featurizer_scores_responses(tmp_path, monkeypatch):
    encoder = LastTokenEncoder.smollm2(max_length=64)
    vectors = encoder.encode(["Hello there.", "A much longer sentence about reward models."])
    assert vectors.shape == (2, 576)
    single = encoder.encode(["A much longer sentence about reward models."])
    assert abs(single - vectors[1:]).max() < 1e-3  # padding does not change a text's vector
    featurizer = PreferenceFeaturizer(
        CachedEncoder(encoder, FeatureCache(tmp_path, encoder.name), progress=False), "joint"
    )
    model = MixtureRewardModel.create(featurizer, n_heads=2)
    feats = featurizer.featurize([PreferencePair("Say hi", "Hi!", "Bye.")])
    assert feats.chosen.shape == (1, 576)
    assert len(model.score("Say hi", ["Hi!", "Bye."])) == 2
