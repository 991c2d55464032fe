"""``ThreeLayerRetriever``: MoM's three-layer memory retrieval as a LlamaIndex retriever."""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.callbacks import CallbackManager
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle, TextNode
from rapidfuzz import fuzz

from mom_micro.errors import MomMicroError

from .assembly import Passage, assemble_passages
from .fusion import FusedScore, LayerWeights, fuse_layers
from .lexical import LexicalSearch
from .nodes import LAYER_CHUNK, LAYER_CORE, LAYER_OUTLINE, LAYER_SENTENCE, node_id_for
from .probes import probe_cosines
from .storage.stores import LayerHit, LayerStores

__all__ = ["MAX_QUERY_CHARS", "InvalidQueryError", "ThreeLayerRetriever", "check_query"]

#: Longest query accepted (characters). MiniLM reads 256 tokens; far longer text is a
#: mistake (a document pasted as a query), not a question.
MAX_QUERY_CHARS = 8_192


class InvalidQueryError(MomMicroError, ValueError):
    """The query is empty or too long; the message says which."""


def check_query(query: str, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Return ``query`` stripped, or raise :class:`InvalidQueryError`.

    Example:
        >>> check_query("  what is MoM? ")
        'what is MoM?'
        >>> check_query("   ")
        Traceback (most recent call last):
        ...
        mom_micro.retrievers.retriever.InvalidQueryError: the query is empty
    """
    if not isinstance(query, str):
        raise InvalidQueryError(f"the query must be a str, got {type(query).__name__}")
    text = query.strip()
    if not text:
        raise InvalidQueryError("the query is empty")
    if len(text) > max_chars:
        raise InvalidQueryError(
            f"the query has {len(text):,} characters, over the limit of {max_chars:,}: "
            "ask a question, do not paste a document"
        )
    return text


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _chunk_key(hit: LayerHit) -> tuple[str, int]:
    return hit.doc_id, hit.unit


def _best_per_chunk(hits: Sequence[LayerHit]) -> dict[tuple[str, int], float]:
    """The best cosine per ``(doc_id, unit)`` among ``hits`` (several probes, or a shared
    store's repeats, can name one chunk)."""
    best: dict[tuple[str, int], float] = {}
    for hit in hits:
        key = _chunk_key(hit)
        best[key] = max(hit.cosine, best.get(key, -1.0))
    return best


class ThreeLayerRetriever(BaseRetriever):
    """Search the outline, core-content, chunk and sentence layers separately; return chunks.

    Each layer is searched with the same query embedding for its own top ``k_l`` items
    (``layer_top_k``), and the chunks by their words (BM25, ``lexical``). The candidate
    chunks are those found in the chunk layer, those with a sentence probe found, the
    chunks of the sections whose core content was found, and the ``lexical_top_k`` best
    chunks by BM25. Each candidate ``a`` gets the log-linear product-of-experts score
    (see :mod:`mom_micro.retrievers.fusion`)::

        S(a) = s_c(a) + beta_core * s_core(u(a)) + beta_outline * s_outline(d(a))
               + beta_lexical * lex(a)
        s_c(a) = max( s_chunk(a), max_i s_sentence_i(a) )
        log P(a | q) = kappa * [ S(a) + beta_neighbours * (S(a-1) + S(a+1)) / 2 ] + const

    where ``s_l`` are cosine similarities: ``s_chunk`` of the chunk embedded as
    ``title + "\\n" + chunk``, ``s_sentence_i`` of its i-th sentence among the sentence layer's hits
    (:mod:`mom_micro.retrievers.probes`; none found: ``s_chunk`` alone), ``s_core`` of its
    section's core content, ``s_outline`` of its document's outline. Each layer is a von
    Mises-Fisher expert ``p_l(x | q) ∝ exp(kappa_l s_l(x))``; ``beta_l = w_l kappa_l /
    kappa_chunk`` folds the layer's calibration (``kappa_l``) and weight (``w_l``) into one
    measured number. A candidate missing from a layer's top ``k_l`` gets that layer's
    ``k_l``-th cosine (an upper bound). ``lex(a)`` is the chunk's BM25 score normalised by
    the query's best (:mod:`mom_micro.retrievers.lexical`; ``weights.lexical``). Passage
    evidence adds ``beta_neighbours`` times the mean ``S`` of the chunk's previous and next
    chunk (``weights.neighbours``). A weight of 0 switches its evidence off. Results are
    de-duplicated (normalised text, then rapidfuzz ratio >= ``dedupe_threshold``),
    optionally re-ranked by ``reranker``, and cut to ``similarity_top_k``.

    With ``max_words``, the result is instead a context of at most that many words: the
    ranked chunks laid end to end and the last one cut at the budget; with ``assemble``
    (an option, off by default: whether it helps depends on the data and the budget, see
    docs/benchmarks.md) relevant neighbours are joined into passages in document order
    and a chunk that does not fit is trimmed to its best sentences
    (:mod:`mom_micro.retrievers.assembly`). A passage's metadata adds ``units`` (its chunks),
    ``words`` and ``trimmed``; the other scores are its best chunk's. Each result's
    metadata carries ``score_chunk``, ``score_sentence``, ``score_core``, ``score_outline``,
    ``score_lexical``, ``score_neighbours``, ``score_fused`` and ``probability`` (the
    posterior over the candidates, temperature ``1 / kappa``).

    Setup:
        .. code-block:: python

            from mom_micro.retrievers import MemoryIndex

            index = MemoryIndex.from_documents(documents, persist_dir="./mom_index")
            retriever = index.as_retriever(similarity_top_k=4)

    Example:
        .. code-block:: python

            for hit in retriever.retrieve("How is the virus transmitted?"):
                print(hit.score, hit.metadata["title"], hit.metadata["score_core"])

            from llama_index.core.query_engine import RetrieverQueryEngine
            engine = RetrieverQueryEngine.from_args(retriever, llm=my_llm)

    Key params:
        similarity_top_k: chunks returned.
        weights: :class:`LayerWeights` (``core``, ``outline``, ``lexical``,
            ``neighbours`` betas, ``temperature``).
        layer_top_k: items searched per layer, ``{"outline": .., "core": .., "chunk": ..,
            "sentence": ..}`` (``"sentence": 0`` switches the sentence views off).
        lexical: the lexical evidence (``MemoryIndex`` keeps a
            :class:`~mom_micro.retrievers.lexical.LexicalIndex` of its chunks, or asks
            the store's own BM25: :mod:`~mom_micro.retrievers.word_search`);
            None searches by embedding only.
        lexical_top_k: best chunks by BM25 added to the candidates.
        doc_ids: restrict the search to these documents (metadata filter).
        reranker: any LlamaIndex node postprocessor applied to the fused candidates.
        refresh: called before each query (``MemoryIndex`` takes in what other clients
            committed).
        prefetch: called with the fused candidates' ``(doc_id, unit)`` before their
            nodes are looked up (``MemoryIndex`` reads chunks it does not hold in one
            request).
        max_words: a word budget for the whole context (None: ``similarity_top_k``
            chunks).
        assemble: with ``max_words``, build passages and trim them (True) or cut the
            ranked chunks at the budget (False, the default).
        assembly: the former name of ``assemble`` (deprecated).
    """

    def __init__(
        self,
        stores: LayerStores,
        embed_model: BaseEmbedding,
        node_lookup: Callable[[str], BaseNode | None],
        similarity_top_k: int = 4,
        weights: LayerWeights | None = None,
        layer_top_k: dict[str, int] | None = None,
        doc_ids: Sequence[str] | None = None,
        reranker: BaseNodePostprocessor | None = None,
        lexical: LexicalSearch | None = None,
        lexical_top_k: int = 30,
        dedupe_threshold: float = 95.0,
        max_query_chars: int = MAX_QUERY_CHARS,
        refresh: Callable[[], Any] | None = None,
        prefetch: Callable[[list[tuple[str, int]]], None] | None = None,
        max_words: int | None = None,
        assemble: bool = False,
        callback_manager: CallbackManager | None = None,
        verbose: bool = False,
        assembly: bool | None = None,
    ) -> None:
        if assembly is not None:
            warnings.warn(
                "ThreeLayerRetriever(assembly=...) is now assemble=...",
                DeprecationWarning,
                stacklevel=2,
            )
            assemble = assembly
        if similarity_top_k < 1:
            raise ValueError(f"similarity_top_k must be >= 1, got {similarity_top_k}")
        if max_words is not None and max_words < 1:
            raise ValueError(f"max_words must be >= 1, got {max_words}")
        self._stores = stores
        self._embed_model = embed_model
        self._lookup = node_lookup
        self.similarity_top_k = similarity_top_k
        self.weights = weights or LayerWeights()
        defaults = {LAYER_OUTLINE: 10, LAYER_CORE: 30, LAYER_CHUNK: 30, LAYER_SENTENCE: 30}
        self.layer_top_k = {**defaults, **(layer_top_k or {})}
        self.layer_top_k[LAYER_CHUNK] = max(self.layer_top_k[LAYER_CHUNK], similarity_top_k)
        self.doc_ids = list(doc_ids) if doc_ids is not None else None
        self.reranker = reranker
        self.lexical = lexical
        self.lexical_top_k = lexical_top_k
        self.dedupe_threshold = dedupe_threshold
        self.max_query_chars = max_query_chars
        self.refresh = refresh
        self.prefetch = prefetch
        self.max_words = max_words
        self.assemble = assemble
        super().__init__(callback_manager=callback_manager, verbose=verbose)

    # -- the steps ------------------------------------------------------------------------
    def embed_query(self, query_bundle: QueryBundle) -> list[float]:
        """The query's embedding (computed once and kept in ``query_bundle``); raises
        :class:`InvalidQueryError` for an empty or over-long query."""
        check_query(query_bundle.query_str, self.max_query_chars)
        if query_bundle.embedding is None:
            text = " ".join(query_bundle.embedding_strs).strip() or query_bundle.query_str
            query_bundle.embedding = self._embed_model.get_query_embedding(text)
        return query_bundle.embedding

    def search_layers(self, query_bundle: QueryBundle) -> dict[str, list[LayerHit]]:
        """Each layer's own top ``layer_top_k`` hits for the query (first step of
        :meth:`retrieve`; with :meth:`fuse`, the layers can be searched once and fused
        under several weightings)."""
        embedding = self.embed_query(query_bundle)
        if self.refresh is not None:
            self.refresh()
        return {
            layer: self._stores.query(layer, embedding, k, self.doc_ids)
            for layer, k in self.layer_top_k.items()
        }

    def fuse(
        self, query_bundle: QueryBundle, hits: dict[str, list[LayerHit]]
    ) -> list[NodeWithScore]:
        """The fused, de-duplicated (and, with a ``reranker``, re-ranked) chunks for the
        layers' ``hits``, best first, at most ``similarity_top_k`` (second step of
        :meth:`retrieve`)."""
        chunk_scores = _best_per_chunk(hits[LAYER_CHUNK])
        core_scores = _best_per_chunk(hits[LAYER_CORE])
        outline_scores = {h.doc_id: h.cosine for h in hits[LAYER_OUTLINE]}
        sentence_scores = _best_per_chunk(hits.get(LAYER_SENTENCE, []))
        candidates = [*chunk_scores, *sentence_scores, *core_scores]
        lexical = None
        if self.lexical is not None and self.weights.lexical > 0:
            lexical = self.lexical.search(query_bundle.query_str, self.doc_ids, candidates)
            candidates += lexical.top(self.lexical_top_k)
        fused = fuse_layers(
            chunk_scores,
            core_scores,
            outline_scores,
            self.weights,
            candidates,
            lexical.get if lexical is not None else None,
            sentence_scores,
        )
        if self.prefetch is not None:
            self.prefetch([item.key for item in fused])
        if self.max_words is not None:
            assembled = self._assemble(query_bundle, fused, hits.get(LAYER_SENTENCE, []))
            if self.reranker is not None:
                return self.reranker.postprocess_nodes(assembled, query_bundle=query_bundle)
            return assembled
        keep = (
            self.similarity_top_k if self.reranker is None else max(self.similarity_top_k * 3, 10)
        )
        results: list[NodeWithScore] = []
        seen: list[str] = []
        for item in fused:  # best first; nodes are looked up only for the results kept
            node = self._lookup(node_id_for(item.key[0], LAYER_CHUNK, item.key[1]))
            if node is None:
                continue
            if self._is_duplicate(node, seen):
                continue
            results.append(self._result(node, item))
            if len(results) >= keep:
                break
        if self.reranker is not None:
            results = self.reranker.postprocess_nodes(results, query_bundle=query_bundle)
        return results[: self.similarity_top_k]

    def _assemble(
        self, query_bundle: QueryBundle, fused: list[FusedScore], probes: list[LayerHit]
    ) -> list[NodeWithScore]:
        """The passages of ``fused`` within ``max_words`` (duplicates skipped)."""
        nodes: dict[tuple[str, int], BaseNode] = {}
        seen: list[str] = []

        def text_of(key: tuple[str, int]) -> str | None:
            node = self._lookup(node_id_for(key[0], LAYER_CHUNK, key[1]))
            if node is None or self._is_duplicate(node, seen):
                return None
            nodes[key] = node
            return node.get_content()

        passages = assemble_passages(
            fused,
            text_of,
            self.max_words,
            self.similarity_top_k,
            self.weights,
            query_bundle.query_str,
            probe_cosines(probes),
            min((hit.cosine for hit in probes), default=None),
            assemble=self.assemble,
        )
        return [self._passage_result(nodes[p.seed.key], p) for p in passages]

    @classmethod
    def _passage_result(cls, node: BaseNode, passage: Passage) -> NodeWithScore:
        """A result for ``passage``: its best chunk's node, with the passage's text."""
        result = cls._result(node, passage.seed)
        first, last = passage.units[0], passage.units[-1]
        extra = {"units": list(passage.units), "words": passage.words, "trimmed": passage.trimmed}
        result.node = TextNode(
            id_=f"{node.node_id}~passage-{first}-{last}",
            text=passage.text,
            metadata={**result.node.metadata, **extra},
            excluded_embed_metadata_keys=[*result.node.excluded_embed_metadata_keys, *extra],
            excluded_llm_metadata_keys=[*result.node.excluded_llm_metadata_keys, *extra],
            relationships=dict(result.node.relationships),
        )
        return result

    @staticmethod
    def _result(node: BaseNode, item: FusedScore) -> NodeWithScore:
        node = node.model_copy()
        node.metadata = {**node.metadata, **item.as_metadata()}
        excluded = set(node.excluded_embed_metadata_keys) | set(item.as_metadata())
        node.excluded_embed_metadata_keys = sorted(excluded)
        node.excluded_llm_metadata_keys = sorted(
            set(node.excluded_llm_metadata_keys) | set(item.as_metadata())
        )
        return NodeWithScore(node=node, score=item.score)

    def _is_duplicate(self, node: BaseNode, seen: list[str]) -> bool:
        """Whether ``node``'s text repeats one in ``seen`` (normalised text, then rapidfuzz
        ratio >= ``dedupe_threshold``); if not, it is added to ``seen``."""
        text = _norm(node.get_content())
        if any(text == other or fuzz.ratio(text, other) >= self.dedupe_threshold for other in seen):
            return True
        seen.append(text)
        return False

    # -- BaseRetriever ---------------------------------------------------------------------
    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.fuse(query_bundle, self.search_layers(query_bundle))

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        check_query(query_bundle.query_str, self.max_query_chars)
        if query_bundle.embedding is None:
            text = " ".join(query_bundle.embedding_strs).strip() or query_bundle.query_str
            query_bundle.embedding = await self._embed_model.aget_query_embedding(text)
        embedding = query_bundle.embedding
        if self.refresh is not None:
            self.refresh()
        layers = list(self.layer_top_k)
        found = await asyncio.gather(
            *(
                self._stores.aquery(layer, embedding, self.layer_top_k[layer], self.doc_ids)
                for layer in layers
            )
        )
        return self.fuse(query_bundle, dict(zip(layers, found)))

    def with_options(self, **changes: Any) -> ThreeLayerRetriever:
        """A copy with some constructor options changed (e.g. ``doc_ids=[...]``)."""
        options: dict[str, Any] = dict(
            stores=self._stores,
            embed_model=self._embed_model,
            node_lookup=self._lookup,
            similarity_top_k=self.similarity_top_k,
            weights=self.weights,
            layer_top_k=dict(self.layer_top_k),
            doc_ids=self.doc_ids,
            reranker=self.reranker,
            lexical=self.lexical,
            lexical_top_k=self.lexical_top_k,
            dedupe_threshold=self.dedupe_threshold,
            max_query_chars=self.max_query_chars,
            refresh=self.refresh,
            prefetch=self.prefetch,
            max_words=self.max_words,
            assemble=self.assemble,
            callback_manager=self.callback_manager,
        )
        options.update(changes)
        return ThreeLayerRetriever(**options)
