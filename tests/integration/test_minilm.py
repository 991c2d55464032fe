"""The bundled MiniLM on ONNX Runtime gives sentence-transformers' vectors (padding,
truncation at 256 tokens, mean pooling, unit length), and a fresh export in another
folder works offline."""

from __future__ import annotations

import numpy as np

from mom_micro.models import defaults
from mom_micro.models.minilm import OnnxMiniLM


def test_onnx_vectors_equal_sentence_transformers(tmp_path):
    texts = [
        "hi",
        "A cat sat on the mat.",
        "Quantum chromodynamics describes quarks. " * 3,
        "A very long text about rivers, bridges and harbors. " * 60,
        "记忆检索很重要。",
    ]
    reference = defaults.sentence_transformer().encode(texts, normalize_embeddings=True)
    fresh = OnnxMiniLM.load(cache=tmp_path / "onnx")
    for model in (defaults.minilm(), fresh):
        vectors = model.encode(texts, batch_size=2)
        assert vectors.shape == (5, 384) and vectors.dtype == np.float32
        assert np.abs(vectors - reference).max() < 1e-5
    assert (tmp_path / "onnx" / "model.onnx").is_file()
    assert fresh.encode([]).shape == (0, 384)
