"""Context assembly: the fused chunks turned into passages that fit a word budget.

A reader of the context wants the answer's *passage*, whole and in order, within the
words it can take. Ranked isolated chunks fall short twice: an answer that runs across
a chunk boundary is split (its second half may come first, or be cut away), and at a
small budget the chunk the budget cuts keeps its first words, not its best ones. The
assembly uses the scores the fusion already gave (:mod:`mom_micro.retrievers.fusion`),
with no switch per data set:

**Passages.** Let ``score(a)`` be the fused score of candidate chunk ``a`` and ``tau``
the score of the *marginal* chunk: the last one the budget takes when the ranked chunks
are laid end to end (with no budget, the ``similarity_top_k``-th). A neighbour is *relevant* when it
would have earned a place on its own::

    join(a, a +- 1)  iff  (a +- 1) is a candidate and score(a +- 1) >= tau
                          and the passage with it still fits in the words left

Walking the ranking best first, each chunk not yet placed seeds a passage that grows
over relevant, unplaced neighbours at either edge (the better-scored edge first). A
passage is its chunks in document order (contiguous spans of the source; each chunk is
placed once, so no word is counted twice), ranked by its best chunk's score. A passage
is never cut: a neighbour that would push its seed past the budget stays out (laid
first in document order, it would push the best chunk's words out of the budget).

**Trimming.** The passages fill the budget in rank order. A chunk that does not fit in
the words left is trimmed to its best sentences that do (kept in document order), and
the filling goes on with the next chunk while words are left. A sentence ``i`` of chunk
``a`` is scored as its chunk is, with the sentence's own view and its share of the
chunk's words in place of the chunk's::

    S_i = s_i + beta_core * s_core(u(a)) + beta_outline * s_outline(d(a))
          + beta_lexical * lex(a) * |T(q) & T(i)| / |T(q) & T(a)|
          + beta_neighbours * n(a)

``s_i`` is the cosine of the sentence's probe when the sentence layer returned it, else
the lowest probe cosine returned (the layer's floor, as in the fusion; the chunk's own
cosine when no probe was returned); ``T(x)`` are the BM25 terms of ``x``
(:func:`mom_micro.text.terms`) and ``n(a)`` the chunk's passage evidence. Ties keep the
earlier sentence. At a large budget only the last passage is trimmed (where a plain cut
keeps its first words); at a small one the best sentences of several passages share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mom_micro.text import count_words, split_sentences, terms

from .fusion import FusedScore, LayerWeights
from .probes import MIN_PROBE_WORDS

__all__ = ["Passage", "assemble_passages", "marginal_score"]

ChunkKey = tuple[str, int]


@dataclass(frozen=True)
class Passage:
    """Contiguous chunks ``units`` of document ``doc_id`` (in document order) as one
    context item: its ``text`` (trimmed to its best sentences when ``trimmed``), its
    ``words``, its best chunk ``seed`` and that chunk's fused ``score``."""

    doc_id: str
    units: tuple[int, ...]
    text: str
    words: int
    seed: FusedScore
    trimmed: bool = False

    @property
    def score(self) -> float:
        """The fused score of the passage's best chunk."""
        return self.seed.score


def marginal_score(
    ranked: Sequence[FusedScore],
    words: Callable[[ChunkKey], int],
    max_words: int | None,
    similarity_top_k: int,
) -> float:
    """``tau``: the score of the last of the ``ranked`` chunks that ``max_words`` takes
    when they are laid end to end (``words`` gives a chunk's length), or of the ``similarity_top_k``-th
    with no budget.

    Example:
        >>> ranked = [FusedScore(("d", i), 0, 0, 0, score=1 - i / 10) for i in range(5)]
        >>> marginal_score(ranked, lambda key: 30, max_words=70, similarity_top_k=4)
        0.8
        >>> marginal_score(ranked, lambda key: 30, max_words=None, similarity_top_k=4)
        0.7
    """
    if not ranked:
        return 0.0
    if max_words is None:
        return ranked[min(similarity_top_k, len(ranked)) - 1].score
    total = 0
    for item in ranked:
        total += words(item.key)
        if total >= max_words:
            return item.score
    return ranked[-1].score


def _sentence_scores(
    item: FusedScore,
    text: str,
    probes: dict[int, float],
    floor: float,
    query_terms: set[str],
    weights: LayerWeights,
) -> list[tuple[int, int, float]]:
    """``(start, end, S_i)`` of each sentence of chunk ``item`` (the module's formula);
    ``probes`` maps a probe's index (among sentences of 4+ words) to its cosine."""
    chunk_terms = query_terms & set(terms(text))
    rest = (
        weights.core * item.core
        + weights.outline * item.outline
        + weights.neighbours * item.neighbours
    )
    out = []
    probe = 0
    for sentence in split_sentences(text):
        cosine = floor
        if sentence.words >= MIN_PROBE_WORDS:
            cosine = probes.get(probe, floor)
            probe += 1
        share = (
            len(query_terms & set(terms(text[sentence.start : sentence.end]))) / len(chunk_terms)
            if chunk_terms
            else 0.0
        )
        out.append(
            (sentence.start, sentence.end, cosine + rest + weights.lexical * item.lexical * share)
        )
    return out


def _trim(pieces: list[tuple[str, list[tuple[int, int, float]]]], room: int) -> tuple[str, int]:
    """The best sentences of a passage's chunks (``(text, [(start, end, score)])`` in
    document order) that fit in ``room`` words, in document order; and their words."""
    order = sorted(
        (
            (score, c, s)
            for c, (_, sentences) in enumerate(pieces)
            for s, (*_, score) in enumerate(sentences)
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    keep: set[tuple[int, int]] = set()
    used = 0
    for _, c, s in order:
        text, sentences = pieces[c]
        start, end, _ = sentences[s]
        n = count_words(text[start:end])
        if n and used + n <= room:
            keep.add((c, s))
            used += n
    parts = [
        pieces[c][0][start:end]
        for c, (_, sentences) in enumerate(pieces)
        for s, (start, end, _) in enumerate(sentences)
        if (c, s) in keep
    ]
    return "\n".join(parts), used


def _first_words(text: str, n: int) -> str:
    """``text`` up to its ``n``-th word (white space kept as it was)."""
    spans = [m.end() for m in re.finditer(r"\S+", text)]
    return text if n >= len(spans) else text[: spans[n - 1]] if n > 0 else ""


def _window(
    ranked: Sequence[FusedScore], text_of: Callable[[ChunkKey], str | None], enough: int
) -> tuple[list[FusedScore], dict[ChunkKey, str]]:
    """The ranked chunks with a text, best first, until ``enough`` words (or all)."""
    kept: list[FusedScore] = []
    texts: dict[ChunkKey, str] = {}
    total = 0
    for item in ranked:
        text = text_of(item.key)
        if text is None:
            continue
        kept.append(item)
        texts[item.key] = text
        total += count_words(text)
        if total >= enough:
            break
    return kept, texts


def _grow(
    seed: FusedScore,
    by_key: dict[ChunkKey, FusedScore],
    placed: set[ChunkKey],
    words: dict[ChunkKey, int],
    tau: float,
    room: int | None,
) -> list[FusedScore]:
    """The passage of ``seed``: grown over unplaced neighbours scoring at least ``tau``
    while it fits in ``room`` words (the better of its two edges first), in document
    order; every chunk taken is added to ``placed``."""
    doc_id, unit = seed.key
    group, size = [seed], words[seed.key]
    low, high = unit, unit
    while True:
        edges = [
            by_key[key]
            for key in ((doc_id, low - 1), (doc_id, high + 1))
            if key in by_key
            and key not in placed
            and by_key[key].score >= tau
            and (room is None or size + words[key] <= room)
        ]
        if not edges:
            break
        best = max(edges, key=lambda f: f.score)
        group.append(best)
        placed.add(best.key)
        size += words[best.key]
        low, high = min(low, best.key[1]), max(high, best.key[1])
    return sorted(group, key=lambda f: f.key[1])


def assemble_passages(
    ranked: Sequence[FusedScore],
    text_of: Callable[[ChunkKey], str | None],
    max_words: int | None = None,
    similarity_top_k: int = 4,
    weights: LayerWeights | None = None,
    query: str = "",
    probes: dict[ChunkKey, dict[int, float]] | None = None,
    probe_floor: float | None = None,
    assemble: bool = True,
) -> list[Passage]:
    """The passages of the fused ``ranked`` chunks (best first), filling ``max_words``
    (the module's rules), or the top ``similarity_top_k`` chunks grouped with no budget (no trimming).

    Args:
        ranked: the fused candidates, best first (:func:`~mom_micro.retrievers.fusion.fuse_layers`).
        text_of: a chunk's text by key, or None for a chunk to skip (gone, a duplicate);
            asked in rank order, and only as far as the budget needs.
        max_words: the word budget; None: the top ``similarity_top_k`` chunks, grouped into passages.
        similarity_top_k: chunks returned with no budget.
        weights: the fusion's weights (for the sentence scores).
        query: the query (its BM25 terms share out each chunk's lexical evidence).
        probes: per chunk, the cosine of each returned sentence probe by its index.
        probe_floor: the lowest returned probe cosine (default: the chunk's own cosine).
        assemble: False lays the ranked chunks end to end instead, each its own passage,
            and cuts the one the budget reaches at its first words (no joining, no
            trimming): the plain context, for comparison.

    Example:
        >>> texts = {("d", 0): "Water boils at 100 C.", ("d", 1): "It takes one minute.",
        ...          ("d", 2): "Ice melts.", ("e", 0): "Unrelated words here."}
        >>> ranked = [FusedScore(key, 0, 0, 0, score=s) for key, s in
        ...           [(("d", 1), .9), (("d", 0), .8), (("e", 0), .7), (("d", 2), .1)]]
        >>> [(p.doc_id, p.units, p.text) for p in assemble_passages(ranked, texts.get, similarity_top_k=3)]
        [('d', (0, 1), 'Water boils at 100 C.\\nIt takes one minute.'), ('e', (0,), 'Unrelated words here.')]
        >>> [p.text for p in assemble_passages(ranked, texts.get, max_words=11)]
        ['Water boils at 100 C.\\nIt takes one minute.', 'Ice melts.']
        >>> [p.text for p in assemble_passages(ranked, texts.get, max_words=11, assemble=False)]
        ['It takes one minute.', 'Water boils at 100 C.', 'Unrelated words']
    """
    weights = weights or LayerWeights()
    probes = probes or {}
    # with a budget, twice its words leave room to fill after trimming; without, similarity_top_k chunks
    enough = 2 * max_words if max_words is not None else 10**9
    ranked, texts = _window(ranked, text_of, enough)
    if max_words is None:
        ranked = ranked[:similarity_top_k]
    words = {key: count_words(text) for key, text in texts.items()}
    tau = marginal_score(ranked, words.__getitem__, max_words, similarity_top_k)
    query_terms = set(terms(query))
    by_key = {item.key: item for item in ranked}
    placed: set[ChunkKey] = set()
    passages: list[Passage] = []
    room = max_words
    for seed in ranked:
        if room is not None and room <= 0:
            break
        if seed.key in placed:
            continue
        placed.add(seed.key)
        group = [seed]
        if assemble and (room is None or words[seed.key] <= room):
            group = _grow(seed, by_key, placed, words, tau, room)
        text = "\n".join(texts[f.key] for f in group)
        n = sum(words[f.key] for f in group)
        trimmed = room is not None and n > room
        if room is not None and n > room and not assemble:
            text, n = _first_words(text, room), room
        elif room is not None and n > room:
            pieces = [
                (
                    texts[f.key],
                    _sentence_scores(
                        f,
                        texts[f.key],
                        probes.get(f.key, {}),
                        f.chunk if probe_floor is None else probe_floor,
                        query_terms,
                        weights,
                    ),
                )
                for f in group
            ]
            text, n = _trim(pieces, room)
            if not n:
                continue
        passages.append(
            Passage(seed.key[0], tuple(f.key[1] for f in group), text, n, seed, trimmed)
        )
        if room is not None:
            room -= n
    return passages
