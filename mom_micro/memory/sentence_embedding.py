"""Sentence embeddings for the memory core: a callable from texts to unit-norm rows.

The bundled MiniLM embedder keeps a bounded memo of the texts it embedded last (by
text). The offline reader embeds every sentence of a document; the memory index, which
embeds through the same memo (:class:`~mom_micro.retrievers.embed_model.BundledMiniLM`),
then finds the sentences of its chunks -- the sentence probes -- and any core content that
repeats its chunk already there, so each distinct text is embedded once per ingest.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

__all__ = ["MINILM_NAME", "Embedder", "EmbeddingMemo", "minilm_embedder"]

#: The bundled embedding model's name, as readers record it in their configuration.
MINILM_NAME = "all-MiniLM-L6-v2"

#: ``embed(texts) -> float32 array of shape (len(texts), dim)`` with unit-norm rows.
Embedder = Callable[[Sequence[str]], np.ndarray]


class EmbeddingMemo:
    """An :data:`Embedder` with a memo of its last ``capacity`` texts (least recently
    used out first): a text asked again is not embedded again. Texts are looked up with
    their white space collapsed (``key``): the model's tokenizer splits on white space,
    so ``"Title\\ncore"`` and ``"Title core"`` are the same input -- a core content that
    repeats its whole chunk is found under the chunk. New texts are embedded in one call
    (sorted by length there, so batches pad little).

    Example:
        >>> calls = []
        >>> memo = EmbeddingMemo(lambda texts: calls.append(list(texts)) or
        ...                      np.ones((len(texts), 2), dtype=np.float32), capacity=10)
        >>> memo(["a", "b", "a"]).shape, memo(["b", "c  d"]).shape, memo(["c\\nd"]).shape
        ((3, 2), (2, 2), (1, 2))
        >>> calls, memo.embedded, memo.reused
        ([['a', 'b'], ['c  d']], 3, 3)
    """

    def __init__(
        self,
        embed: Embedder,
        capacity: int = 65_536,
        key: Callable[[str], str] = lambda text: " ".join(text.split()),
    ) -> None:
        self._embed = embed
        self.capacity = capacity
        self._key = key
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.embedded = 0
        self.reused = 0

    def clear(self) -> None:
        """Forget every vector (a benchmark that times embedding starts from nothing)."""
        with self._lock:
            self._memo.clear()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """The unit-norm vectors of ``texts``, embedding only those not in the memo."""
        keys = [self._key(t) for t in texts]
        with self._lock:
            todo = {k: t for k, t in zip(keys, texts) if k not in self._memo}
            self.reused += len(texts) - len(todo)
        vectors = self._embed(list(todo.values())) if todo else None
        with self._lock:
            if vectors is not None:
                self.embedded += len(todo)
                for key, vector in zip(todo, vectors, strict=True):
                    self._memo[key] = vector
            out = []
            for key, text in zip(keys, texts, strict=True):
                vector = self._memo.get(key)
                if vector is None:  # pushed out while embedding (a tiny memo)
                    vector = self._embed([text])[0]
                self._memo[key] = vector
                self._memo.move_to_end(key)
                out.append(vector)
            while len(self._memo) > self.capacity:
                self._memo.popitem(last=False)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


def _encode(texts: Sequence[str], batch_size: int) -> np.ndarray:
    from ..models.defaults import minilm

    return minilm().encode(texts, batch_size=batch_size)


@lru_cache(maxsize=1)
def minilm_embedder() -> EmbeddingMemo:
    """The bundled all-MiniLM-L6-v2 (on ONNX Runtime, :func:`mom_micro.models.defaults.minilm`)
    as an :data:`Embedder` with a memo (one per process, so the reader and the index
    share it).

    Example:
        >>> embed = minilm_embedder()                      # doctest: +SKIP
        >>> embed(["a cat", "a dog"]).shape               # doctest: +SKIP
        (2, 384)
    """
    return EmbeddingMemo(lambda texts: _encode(texts, batch_size=64))
