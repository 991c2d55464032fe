"""Lexical evidence for the memory retriever: Okapi BM25 over the atomic chunks.

A dense embedding smooths over exactly the words a factual question turns on (a drug's
name, a figure, an acronym); word overlap does not. Each chunk ``a`` (its outline title
and its text, as it is embedded) gets the Okapi BM25 score of the query ``q``::

    bm25(a, q) = sum_{t in q} idf(t) * f(t, a) * (k1 + 1)
                              / (f(t, a) + k1 * (1 - b + b * |a| / avgdl))
    idf(t)     = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5))

with ``f(t, a)`` the count of term ``t`` in ``a``, ``|a|`` its length in terms,
``avgdl`` the mean length, ``N`` the number of chunks and ``n(t)`` those containing
``t`` (Robertson & Zaragoza 2009; ``k1 = 1.2``, ``b = 0.75``). Terms are lowercased
word tokens without English stop words (:func:`mom_micro.text.terms`). Scores are
normalised per query by the best chunk in scope, ``lex(a) = bm25(a, q) / max_a' bm25(a',
q)`` in [0, 1], so that the fusion weight means the same for every query (see
:mod:`mom_micro.retrievers.fusion`).

The statistics ``N``, ``n(t)`` and ``avgdl`` are those of the chunks *in scope*: the
whole index, or the documents of a ``doc_ids`` scope. Searching one document asks which
of *its* chunks the query is about, and a term that fills the whole document (its
topic, rare in the corpus) does not tell its chunks apart; with corpus statistics it
would outweigh the terms that do. (Lucene, Elasticsearch and Milvus keep the index's
statistics under a filter; docs/benchmarks.md, "BM25 from Milvus", measures both ways.)
Term counts are kept per chunk and the weights computed per query, so a scope costs one
mask; adding or removing documents rebuilds the postings.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from mom_micro.text import terms

__all__ = ["LexicalIndex", "LexicalScores", "LexicalSearch"]

ChunkKey = tuple[str, int]


class LexicalScores:
    """One query's normalised BM25 scores ``lex(a)`` in [0, 1] over the chunks in scope."""

    def __init__(
        self, keys: Sequence[ChunkKey], positions: dict[ChunkKey, int], scores: np.ndarray
    ) -> None:
        self._keys, self._positions, self._scores = keys, positions, scores

    def get(self, key: ChunkKey) -> float:
        """``lex(key)``; 0 for a chunk that shares no term with the query (or is out of
        scope)."""
        i = self._positions.get(key)
        return 0.0 if i is None else float(self._scores[i])

    def top(self, k: int) -> list[ChunkKey]:
        """The ``k`` best chunks with a score above 0, best first."""
        if k <= 0:
            return []
        found = np.flatnonzero(self._scores > 0)
        if k < found.size:
            found = found[np.argpartition(-self._scores[found], k - 1)[:k]]
        order = sorted(found.tolist(), key=lambda i: (-self._scores[i], self._keys[i]))
        return [self._keys[i] for i in order]


class LexicalSearch(Protocol):
    """Where the retriever gets its lexical evidence: this module's :class:`LexicalIndex`,
    or the store's own BM25 (:class:`~mom_micro.retrievers.word_search.StoreLexical`)."""

    def search(
        self, query: str, doc_ids: Sequence[str] | None = None, among: Iterable[ChunkKey] = ()
    ) -> LexicalScores:
        """Normalised BM25 scores of the chunks in scope; at least the best ones and those
        ``among`` the given candidates have theirs."""
        ...


class LexicalIndex:
    """BM25 over chunks keyed ``(doc_id, unit)``.

    Example:
        >>> index = LexicalIndex()
        >>> index.add([(("a", 0), "Masks reduce droplet transmission."),
        ...            (("a", 1), "The incubation period is five days."),
        ...            (("b", 0), "Vaccines were tested in trials.")])
        >>> scores = index.search("How long is the incubation period?")
        >>> scores.top(2)
        [('a', 1)]
        >>> scores.get(("a", 1)), scores.get(("b", 0))
        (1.0, 0.0)
        >>> index.search("incubation", doc_ids=["b"]).top(1)
        []
        >>> index.remove("a"); len(index)
        1
    """

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        if k1 < 0 or not 0 <= b <= 1:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={k1}, b={b}")
        self.k1, self.b = k1, b
        self._counts: dict[ChunkKey, Counter[str]] = {}
        self._built: _Postings | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._counts)

    def add(self, chunks: Iterable[tuple[ChunkKey, str]]) -> None:
        """Add (or replace) chunks given as ``((doc_id, unit), text)``."""
        with self._lock:
            for key, text in chunks:
                self._counts[(str(key[0]), int(key[1]))] = Counter(terms(text))
            self._built = None

    def remove(self, doc_id: str) -> None:
        """Forget every chunk of document ``doc_id`` (nothing happens for an unknown id)."""
        with self._lock:
            gone = [key for key in self._counts if key[0] == doc_id]
            for key in gone:
                del self._counts[key]
            if gone:
                self._built = None

    def _postings(self) -> _Postings:
        """The term postings, built once per change of the chunks: a query then only
        weighs the postings of its own terms."""
        with self._lock:
            if self._built is None:
                self._built = _Postings.build(self._counts)
            return self._built

    def search(
        self, query: str, doc_ids: Sequence[str] | None = None, among: Iterable[ChunkKey] = ()
    ) -> LexicalScores:
        """Normalised BM25 ``lex(a)`` of every chunk (of ``doc_ids``, if given) that
        shares a term with ``query``, with the statistics of the chunks in that scope
        (every chunk is scored, so ``among`` is not needed)."""
        built = self._postings()
        total = np.zeros(len(built.keys))
        if doc_ids is None:
            in_scope = np.ones(len(built.keys), dtype=bool)
        else:
            wanted = [built.doc_index[d] for d in doc_ids if d in built.doc_index]
            in_scope = np.isin(built.doc_of, wanted)
        n_chunks = int(in_scope.sum())
        if n_chunks:
            avgdl = max(float(built.lengths[in_scope].mean()), 1e-9)
            for term in set(terms(query)):
                if term not in built.postings:
                    continue
                idx, tf = built.postings[term]
                keep = in_scope[idx]
                idx, tf = idx[keep], tf[keep]
                if idx.size == 0:
                    continue
                idf = math.log(1 + (n_chunks - idx.size + 0.5) / (idx.size + 0.5))
                norm = self.k1 * (1 - self.b + self.b * built.lengths[idx] / avgdl)
                total[idx] += idf * tf * (self.k1 + 1) / (tf + norm)
        best = float(total.max()) if total.size else 0.0
        if best > 0:
            total /= best
        return LexicalScores(built.keys, built.positions, total)


@dataclass(frozen=True)
class _Postings:
    """One consistent snapshot of the index: chunk keys, their documents and lengths in
    terms, and per term the chunks containing it with its count in each."""

    keys: list[ChunkKey]
    positions: dict[ChunkKey, int]
    doc_index: dict[str, int]
    doc_of: np.ndarray
    lengths: np.ndarray
    postings: dict[str, tuple[np.ndarray, np.ndarray]]

    @classmethod
    def build(cls, counts: dict[ChunkKey, Counter[str]]) -> _Postings:
        keys = list(counts)
        doc_index: dict[str, int] = {}
        doc_of = np.array(
            [doc_index.setdefault(doc_id, len(doc_index)) for doc_id, _ in keys], dtype=np.int64
        )
        lengths = np.array([sum(c.values()) for c in counts.values()], dtype=np.float64)
        rows: dict[str, tuple[list[int], list[int]]] = {}
        for i, term_counts in enumerate(counts.values()):
            for term, f in term_counts.items():
                idx, tf = rows.setdefault(term, ([], []))
                idx.append(i)
                tf.append(f)
        postings = {
            term: (np.array(idx, dtype=np.int64), np.array(tf, dtype=np.float64))
            for term, (idx, tf) in rows.items()
        }
        positions = {key: i for i, key in enumerate(keys)}
        return cls(keys, positions, doc_index, doc_of, lengths, postings)
