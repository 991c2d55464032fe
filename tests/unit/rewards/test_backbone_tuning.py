"""tune_backbone on a small BERT made in the test: the top layers learn, the lower ones
stay frozen, the best evaluated encoder is the one written, and a model trained with
``reward train --tune-backbone`` moves whole to another folder and still ranks."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from mom_micro.cli import main
from mom_micro.rewards import (
    BackboneTuningConfig,
    PreferenceFeaturizer,
    RewardsError,
    backbone_tuning,
    tune_backbone,
)
from tests.support.rewards import tiny_sentence_transformer, toy_pairs

pytest.importorskip("sentence_transformers")

FAST = {"batch_size": 8, "eval_every": 2, "patience": 5, "progress": False}


@pytest.fixture
def pairs():
    return toy_pairs(12)


@pytest.fixture
def base(tmp_path, pairs):
    texts = [t for p in pairs for t in (p.prompt, p.chosen, p.rejected, p.context)]
    return tiny_sentence_transformer(tmp_path / "tiny", texts)


def weights(folder):
    return load_file(str(next(p for p in folder.rglob("model.safetensors"))))


def test_only_the_top_layers_are_tuned(tmp_path, pairs, base):
    out = tmp_path / "tuned"
    config = BackboneTuningConfig(tune_layers=1, lr=1e-2, **FAST)
    # every evaluation better than the last: the last step is kept
    scores = iter([0.5 + 0.01 * i for i in range(100)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backbone_tuning, "_accuracy", lambda *a: next(scores))
        report = tune_backbone(pairs, out, config, base=base)
    assert report.best_step == report.steps[-1] > 0
    before, after = weights(tmp_path / "tiny"), weights(out)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all(".layer.1." in k for k in changed), changed
    assert json.loads((out / backbone_tuning.TUNING_FILE).read_text())["best_step"] > 0


def test_tuning_that_does_not_help_leaves_the_encoder_as_it_was(tmp_path, pairs, base):
    out = tmp_path / "tuned"
    config = BackboneTuningConfig(tune_layers=None, lr=1e-2, **{**FAST, "patience": 1})
    scores = iter([0.8] + [0.6] * 100)  # the untuned encoder was the best
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backbone_tuning, "_accuracy", lambda *a: next(scores))
        report = tune_backbone(pairs, out, config, base=base)
    assert report.best_step == 0 and report.stopped_early
    before, after = weights(tmp_path / "tiny"), weights(out)
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_two_tuned_folders_of_one_name_do_not_share_cached_features(tmp_path, pairs, base):
    config = BackboneTuningConfig(tune_layers=None, lr=1e-2, **FAST)
    scores = iter([0.5 + 0.01 * i for i in range(100)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backbone_tuning, "_accuracy", lambda *a: next(scores))
        tune_backbone(pairs, tmp_path / "a" / "backbone", config, base=base)
    shutil.copytree(base, tmp_path / "b" / "backbone")
    names = {
        PreferenceFeaturizer.from_backbone(str(tmp_path / side / "backbone")).name for side in "ab"
    }
    assert len(names) == 2 and all(n.startswith("st:backbone@") for n in names)


def test_only_sentence_transformer_backbones_can_be_tuned(tmp_path, pairs):
    with pytest.raises(RewardsError, match="only sentence-transformers encoders can be tuned"):
        tune_backbone(pairs, tmp_path / "out", BackboneTuningConfig(**FAST), base=str(tmp_path))


def test_a_model_with_a_tuned_backbone_moves_whole(tmp_path, pairs, base, capsys):
    data = tmp_path / "prefs.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {
                    "prompt": p.prompt,
                    "chosen": p.chosen,
                    "rejected": p.rejected,
                    "context": p.context,
                }
            )
            + "\n"
            for p in pairs
        )
    )
    argv = ["reward", "train", str(data), "--out", str(tmp_path / "m"), "--backbone", base]
    assert main([*argv, "--heads", "2", "--tune-backbone", "--budget", "0"]) == 0
    assert "backbone tuned on" in capsys.readouterr().out
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["featurizer"]["encoder"]["model"] == "backbone"
    shutil.move(tmp_path / "m", tmp_path / "moved")
    shutil.rmtree(base)  # the model no longer needs the folder it was tuned from
    rank = ["reward", "rank", "--model", str(tmp_path / "moved"), "--prompt", "topic 1 question"]
    assert main([*rank, "--context", "concise", "--json", "short", "long rambling preamble"]) == 0
    ranking = json.loads(capsys.readouterr().out)
    assert len(ranking["ranking"]) == 2
