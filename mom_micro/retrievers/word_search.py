"""Lexical evidence from the store's own BM25: the retriever's ``lex(a)`` when the chunks
live in a store that scores words itself (Milvus's ``BM25`` function).

The score is the Okapi BM25 of :mod:`mom_micro.retrievers.lexical` (same terms, ``k1 =
1.2``, ``b = 0.75``), normalised by the best chunk in scope, ``lex(a) = bm25(a, q) /
max_a' bm25(a', q)``; what differs is where the statistics ``N``, ``n(t)`` and ``avgdl``
come from. The store keeps them for its whole collection as rows are inserted and
deleted, so nothing is rebuilt when a client opens the index, and a client holds no
postings: the cost of opening does not grow with the corpus. A ``doc_ids`` scope filters
the chunks but keeps the collection's statistics (Lucene's and Elasticsearch's behaviour
under a filter), where :class:`~mom_micro.retrievers.lexical.LexicalIndex` takes the
scope's own. Measured at document scope on three QA sets, the collection's statistics
did as well as the scope's (docs/benchmarks.md, "BM25 from Milvus"), so no scope's
chunks are read to rebuild its statistics.

One search asks the store for the ``top_k`` best chunks in scope; the fusion also needs
``lex(a)`` of the candidates the dense layers found, which a second search restricted to
those candidates' ids returns exactly. Hits of a version that is not the committed one
(a write in flight) are dropped.

Example:
    .. code-block:: python

        lexical = StoreLexical(index.stores.store("chunk"), index.committed.version)
        scores = lexical.search("How long is the incubation period?", among=[("a.txt", 3)])
        scores.top(5), scores.get(("a.txt", 3))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from mom_micro.text import terms

from .lexical import ChunkKey, LexicalScores
from .nodes import LAYER_CHUNK, node_id_for, parse_node_id, split_versioned_id, versioned_id
from .storage.stores import SearchesWords

__all__ = ["StoreLexical"]


class StoreLexical:
    """BM25 evidence asked of the chunk layer's store (module docstring).

    Args:
        store: the chunk layer's store, which searches words.
        version: the committed version of a document (None for one not committed).
        top_k: best chunks asked for per query (at least the retriever's
            ``lexical_top_k``).
    """

    def __init__(
        self,
        store: SearchesWords,
        version: Callable[[str], str | None],
        top_k: int = 100,
    ) -> None:
        self.store = store
        self.version = version
        self.top_k = top_k

    def search(
        self, query: str, doc_ids: Sequence[str] | None = None, among: Iterable[ChunkKey] = ()
    ) -> LexicalScores:
        """Normalised BM25 ``lex(a)`` of the ``top_k`` best chunks in scope and of the
        chunks ``among`` the candidates (0 for those sharing no term with ``query``)."""
        words = " ".join(dict.fromkeys(terms(query)))
        scores: dict[ChunkKey, float] = {}
        if words and (doc_ids is None or doc_ids):
            scope = None if doc_ids is None else list(doc_ids)
            self._take(self.store.word_search(words, self.top_k, scope), scores)
            wanted: dict[str, None] = {}
            for doc_id, unit in among:
                op = self.version(doc_id)
                if (doc_id, unit) not in scores and op is not None:
                    wanted[versioned_id(node_id_for(doc_id, LAYER_CHUNK, unit), op)] = None
            if wanted:
                found = self.store.word_search(words, len(wanted), scope, list(wanted))
                self._take(found, scores)
        keys = sorted(scores)
        values = np.array([scores[key] for key in keys], dtype=np.float64)
        if values.size and values.max() > 0:
            values /= values.max()
        return LexicalScores(keys, {key: i for i, key in enumerate(keys)}, values)

    def _take(self, hits: list[tuple[str, float]], scores: dict[ChunkKey, float]) -> None:
        """Add the hits of committed versions to ``scores``."""
        for vector_id, score in hits:
            node_id, op = split_versioned_id(vector_id)
            parsed = parse_node_id(node_id)
            if parsed is not None and parsed[1] == LAYER_CHUNK and self.version(parsed[0]) == op:
                scores[(parsed[0], parsed[2])] = score
