"""Sentence embeddings for the memory core: a callable from texts to unit-norm rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["MINILM_NAME", "Embedder", "minilm_embedder"]

#: The bundled embedding model's name, as readers record it in their configuration.
MINILM_NAME = "all-MiniLM-L6-v2"

#: ``embed(texts) -> float32 array of shape (len(texts), dim)`` with unit-norm rows.
Embedder = Callable[[Sequence[str]], np.ndarray]


def minilm_embedder(batch_size: int = 64) -> Embedder:
    """The bundled all-MiniLM-L6-v2 as an :data:`Embedder` (loaded once per process).

    Example:
        >>> embed = minilm_embedder()                      # doctest: +SKIP
        >>> embed(["a cat", "a dog"]).shape               # doctest: +SKIP
        (2, 384)
    """
    from ..defaults import sentence_transformer

    def embed(texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = sentence_transformer().encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    return embed
