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
