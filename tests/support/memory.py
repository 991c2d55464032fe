"""Memory test doubles: a multi-section text written for the tests (``data/``), and a
small deterministic bag-of-words embedder for fast tests of the segmentation logic."""

import hashlib
import re
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
SECTIONS = [
    "History of the Water System",
    "Water Treatment",
    "Distribution Network",
    "Billing and Rates",
    "Emergencies and Boil-Water Notices",
]


def hashing_embedder(texts, dim: int = 256) -> np.ndarray:
    """Unit-norm bag of hashed lowercase words: similar vocabulary, similar vector."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in re.findall(r"\w+", text.lower()):
            out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


def tiny_llama(tokenizer, hidden_size: int = 48, layers: int = 2, heads: int = 4):
    """A randomly initialised Llama (seed 0) over ``tokenizer``'s vocabulary: a real
    ``transformers`` causal LM small enough for unit tests."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    return LlamaForCausalLM(config)
