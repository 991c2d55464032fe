"""The feature cache, the featurizer and its checks."""

from __future__ import annotations

import numpy as np
import pytest

from mom_micro.rewards import (
    CachedEncoder,
    FeatureCache,
    FeatureError,
    PreferenceFeaturizer,
    PreferencePair,
)
from tests.support.rewards import HashEncoder


def test_cache_reuses_vectors_across_instances_and_keeps_backbones_apart(tmp_path):
    encoder = HashEncoder()
    first = CachedEncoder(encoder, FeatureCache(tmp_path, encoder.name), progress=False)
    vectors = first.encode(["a b", "c d", "a b"])
    assert encoder.calls == 2 and first.misses == 2
    second = CachedEncoder(encoder, FeatureCache(tmp_path, encoder.name), progress=False)
    assert np.array_equal(second.encode(["c d", "a b"]), vectors[[1, 0]])
    assert encoder.calls == 2 and second.misses == 0
    other = HashEncoder(name="other")
    third = CachedEncoder(other, FeatureCache(tmp_path, other.name), progress=False)
    third.encode(["a b"])
    assert other.calls == 1
    assert len(list((tmp_path / "hash-encoder").glob("*.safetensors"))) == 1


def test_non_finite_backbone_output_is_refused(tmp_path):
    class NaNEncoder(HashEncoder):
        def encode(self, texts, batch_size=32):
            out = super().encode(texts)
            out[0, 0] = np.nan
            return out

    cached = CachedEncoder(NaNEncoder(), FeatureCache(tmp_path, "nan"), progress=False)
    with pytest.raises(FeatureError, match="NaN"):
        cached.encode(["x"])


def test_featurize_composes_prompt_and_response_embeddings(hash_featurizer):
    pairs = [
        PreferencePair("p one", "good answer", "bad answer", "c1"),
        PreferencePair("p one", "bad answer", "good answer", None),
        PreferencePair("p two", "x y", "z", "c2"),
    ]
    feats = hash_featurizer.featurize(pairs)
    assert feats.prompt.shape == (3, 32) and feats.chosen.shape == (3, 64)
    e = hash_featurizer.encoder.encode_tensor
    ex, ey = e(["p one"])[0], e(["good answer"])[0]
    assert np.allclose(feats.chosen[0].numpy(), np.concatenate([ey, ex * ey]))
    assert feats.groups.tolist() == [0, 0, 1]
    assert feats.context[1].abs().sum() == 0 and feats.context[0].abs().sum() > 0
    assert feats.context_labels() == ["c1", "c2"]
    assert len(feats.subset([2, 0])) == 2


def test_joint_pair_mode_embeds_the_exchange(tmp_path):
    encoder = HashEncoder()
    featurizer = PreferenceFeaturizer(
        CachedEncoder(encoder, FeatureCache(tmp_path, encoder.name), progress=False), "joint"
    )
    feats = featurizer.featurize([PreferencePair("p", "a", "b")])
    assert feats.chosen.shape == (1, 32)
    assert np.allclose(feats.chosen[0].numpy(), encoder.encode(["p\n\na"])[0])
    with pytest.raises(ValueError, match="pair_mode"):
        PreferenceFeaturizer(encoder, "sideways")
