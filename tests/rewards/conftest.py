"""Fixtures for the rewards tests: a tiny deterministic text encoder and synthetic
preference features with known subgroup structure."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import torch

from mom_micro.rewards import CachedEncoder, FeatureCache, PairFeatures, PreferenceFeaturizer


class HashEncoder:
    """Bag of hashed words, L2-normalised: similar texts get similar vectors; no model."""

    def __init__(self, dim: int = 32, name: str = "hash-encoder") -> None:
        self.dim = dim
        self.name = name
        self.calls = 0

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                h = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[i, h[0] % self.dim] += 1.0 if h[1] % 2 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
        return out

    def pair_text(self, prompt: str, response: str) -> str:
        return f"{prompt}\n\n{response}"

    def spec(self) -> dict[str, Any]:
        return {"kind": "hash", "dim": self.dim}


@pytest.fixture
def hash_featurizer(tmp_path) -> PreferenceFeaturizer:
    encoder = HashEncoder()
    cached = CachedEncoder(encoder, FeatureCache(tmp_path / "cache", encoder.name), progress=False)
    return PreferenceFeaturizer(cached, "compose")


def synthetic_features(n: int = 1200, seed: int = 0, dim: int = 16,
                       routed_by: str = "prompt") -> PairFeatures:
    """Two subgroups with opposite linear rewards ``+w`` and ``-w``.

    ``routed_by="prompt"``: the subgroup shows in the prompt embedding (stage 1 can route);
    ``routed_by="context"``: prompts carry no signal, the context label ("a"/"b") does,
    and group b's reward is an independent vector (opposite rewards on prompts that do
    not reveal the group cannot be told apart by any mixture likelihood).
    """
    g = torch.Generator().manual_seed(seed)
    group = torch.randint(0, 2, (n,), generator=g)
    w = torch.randn(dim, generator=g)
    w_b = -w if routed_by == "prompt" else torch.randn(dim, generator=g)
    chosen_raw = torch.randn(n, dim, generator=g)
    rejected_raw = torch.randn(n, dim, generator=g)
    sign = (1 - 2 * group).float()
    gap = chosen_raw - rejected_raw
    better = torch.where(group == 0, gap @ w, gap @ w_b) > 0
    chosen = torch.where(better[:, None], chosen_raw, rejected_raw)
    rejected = torch.where(better[:, None], rejected_raw, chosen_raw)
    prompt = torch.randn(n, 8, generator=g)
    if routed_by == "prompt":
        prompt[:, 0] = sign * 3.0
    contexts = ["a" if k == 0 else "b" for k in group.tolist()]
    context = torch.stack([torch.tensor([1.0, 0.0]) if k == 0 else torch.tensor([0.0, 1.0])
                           for k in group.tolist()])
    return PairFeatures(prompt, chosen, rejected, context, contexts, torch.arange(n) // 2)
