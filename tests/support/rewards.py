"""Rewards test doubles: a tiny deterministic text encoder and synthetic preference
features with known subgroup structure."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from mom_micro.rewards import PairFeatures, PreferencePair


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


class WordVectorEncoder(HashEncoder):
    """Mean of a seeded Gaussian vector per word, L2-normalised, with the text's log word
    count in the first dimension: dense like a sentence embedding (every dimension
    varies, so standardised features stay finite on words never seen in training), and
    length is visible, as it is to MiniLM. No model."""

    def __init__(self, dim: int = 64, name: str = "word-vector-encoder") -> None:
        super().__init__(dim, name)

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            words = text.lower().replace(".", " ").replace(",", " ").split()
            for word in words:
                seed = int.from_bytes(
                    hashlib.blake2b(word.encode(), digest_size=4).digest(), "little"
                )
                out[i] += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else out[i]
            out[i, 0] = np.log1p(len(words))
        return out


def synthetic_features(
    n: int = 1200, seed: int = 0, dim: int = 16, routed_by: str = "prompt"
) -> PairFeatures:
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
    context = torch.stack(
        [torch.tensor([1.0, 0.0]) if k == 0 else torch.tensor([0.0, 1.0]) for k in group.tolist()]
    )
    return PairFeatures(prompt, chosen, rejected, context, contexts, torch.arange(n) // 2)


def toy_pairs(n_prompts: int = 30) -> list[PreferencePair]:
    """Two contexts over ``n_prompts`` prompts: "friendly" (a friendly answer beats a rude
    reply) and "concise" (a short answer beats a rambling one)."""
    pairs = []
    for i in range(n_prompts):
        prompt = f"topic {i} question"
        pairs.append(
            PreferencePair(prompt, "friendly detailed answer", f"rude reply {i}", "friendly")
        )
        pairs.append(PreferencePair(prompt, "short", f"long rambling preamble {i} text", "concise"))
    return pairs


def tiny_sentence_transformer(folder: Any, texts: Sequence[str], layers: int = 2) -> str:
    """A small random BERT sentence-transformer (word-level vocabulary over ``texts``,
    mean pooling, normalised) saved in ``folder``: a real encoder that can be tuned, made
    in the test (no download). Returns the folder as a string."""
    from pathlib import Path

    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = Path(folder)
    base = folder.with_name(folder.name + "-hf")
    base.mkdir(parents=True)
    words = sorted({w for t in texts for w in t.lower().replace(".", " ").split()})
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    (base / "vocab.txt").write_text("\n".join(specials + words) + "\n")
    BertTokenizerFast(str(base / "vocab.txt")).save_pretrained(base)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(specials) + len(words),
        hidden_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(base)
    transformer = models.Transformer(str(base), max_seq_length=48)
    pooling = models.Pooling(32, "mean")
    SentenceTransformer(modules=[transformer, pooling, models.Normalize()], device="cpu").save(
        str(folder)
    )
    return str(folder)


def few_pairs() -> list[PreferencePair]:
    """Twelve hand-written preference pairs on six prompts: a training set too small to
    constrain a model (what ``reward train`` must warn about)."""
    rows = [
        (
            "How do I boil an egg?",
            "Put the egg in boiling water for nine minutes.",
            "Eggs are food.",
        ),
        (
            "How do I boil an egg?",
            "- Boil water.\n- Add the egg.\n- Wait nine minutes.",
            "No idea.",
        ),
        ("What is the capital of France?", "Paris is the capital of France.", "It is in Europe."),
        ("What is the capital of France?", "The capital is Paris.", "Maybe Lyon?"),
        ("How far is the moon?", "About 384,000 km on average.", "Far away!"),
        ("How far is the moon?", "Roughly 384,000 kilometres from Earth.", "Ask someone else."),
        ("Name a prime number.", "7 is a prime number.", "Numbers are fun."),
        ("Name a prime number.", "Two, the only even prime.", "Nine."),
        ("Why is the sky blue?", "Air scatters blue light more than red light.", "Because it is."),
        ("Why is the sky blue?", "Rayleigh scattering: short waves scatter most.", "Sorry, no."),
        ("How do I sort a list in Python?", "Use sorted(items) or items.sort().", "A snake."),
        ("How do I sort a list in Python?", "sorted(xs) returns a new sorted list.", "Write it."),
    ]
    return [PreferencePair(prompt, chosen, rejected) for prompt, chosen, rejected in rows]
