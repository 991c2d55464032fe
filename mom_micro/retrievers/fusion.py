"""Fusing the evidence of the three memory layers into one score per atomic chunk.

The model (MoM leaves the per-layer formula open; this one is ours):

A query ``q`` is about one chunk ``a``; ``a`` belongs to section (memory unit) ``u(a)``
of document ``d(a)``. Each layer is an *expert* that, on its own, would pick an item of
its layer with a von Mises-Fisher likelihood on the unit sphere, i.e. a softmax over the
cosine similarities ``s_l`` of its items with concentration ``kappa_l``::

    p_outline(d | q) ∝ exp(kappa_o * s_o(d))
    p_core(u | q)    ∝ exp(kappa_k * s_k(u))
    p_chunk(a | q)   ∝ exp(kappa_c * s_c(a))

The experts are combined as a weighted product of experts (a log-linear model) over the
chunk's ancestry::

    P(a | q) ∝ p_chunk(a | q) * p_core(u(a) | q)^w_k * p_outline(d(a) | q)^w_o

Each expert's normaliser is constant over the candidates of one query, so

    log P(a | q) = kappa_c * [ s_c(a) + beta_core * s_k(u(a)) + beta_outline * s_o(d(a)) ] + const

with ``beta_l = w_l * kappa_l / kappa_c``. The calibration of the layers (their
different cosine scales, through ``kappa_l``) and their reliability (``w_l``) are thus
absorbed into two measured weights, and ``kappa_c`` (``1 / temperature``) only sets how
peaked the reported posterior is, not the ranking.

Sentence views: a chunk is seen by the chunk expert in several *views* -- the whole
span embedded with its title, and each of its sentences (the probes of
:mod:`mom_micro.retrievers.probes`). The expert is a mixture of von Mises-Fisher
components, one per view, ``p_chunk(a | q) ∝ sum_v exp(kappa_c * s_v(a))``; at the high
concentrations of sentence embeddings the log-sum-exp is its maximum, so::

    s_c(a) = max( s_chunk(a), max_i s_sentence_i(a) )

A question about one sentence of a chunk (a number, a list) then is not diluted by the
rest of the span. Only the sentence layer's top ``k`` probes are seen; a chunk with no
probe among them keeps its own cosine (a lower bound of the max; imputing the ``k``-th
probe cosine as an upper bound instead measured worse, docs/benchmarks.md).

Lexical evidence (``beta_lexical``): a fourth expert reads words, not meaning --
Okapi BM25 of the query against the chunk, normalised to [0, 1] by the best chunk in
scope (:mod:`mom_micro.retrievers.lexical`), ``p_lex(a | q) ∝ exp(kappa_x * lex(a))``::

    S(a) = s_c(a) + beta_core * s_k(u(a)) + beta_outline * s_o(d(a)) + beta_lexical * lex(a)

A chunk that shares no term with the query has ``lex = 0``; the score is exact for every
chunk, so no floor is needed. The lexical top chunks join the candidates.

Passage evidence (``beta_neighbours``): an answer sits in a *passage*, and a chunk whose
neighbours in its document also match the query is more likely inside it than an
isolated match (the score-space analogue of LlamaIndex's auto-merging, which hands back
a parent span when many of its leaves are retrieved). A fourth expert votes for that,
with the mean score ``S`` of the chunk's two neighbours::

    log P(a | q) = kappa_c * [ S(a) + beta_neighbours * (S(a-1) + S(a+1)) / 2 ] + const

A neighbour that is not a candidate (or does not exist, at a document's edge) gets the
lowest ``S`` among the candidates, in the same spirit as the layer floors below. It only
reorders the candidates; no text is added.

Evidence a layer did not return: each layer is searched for its top ``k_l`` items only.
An item outside them has a cosine no larger than the ``k_l``-th best, so it gets that
bound (the layer's *floor*). It is a mild, optimistic estimate; raising ``k_l`` makes it
exact (with one document in scope, the outline and core layers are complete).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = ["FusedScore", "LayerWeights", "fuse_layers"]


@dataclass(frozen=True)
class LayerWeights:
    """The log-linear weights ``beta`` of the core and outline layers (chunk weight = 1),
    of the lexical (BM25) evidence, of the neighbours' passage evidence, and the
    temperature ``1 / kappa_c`` of the reported posterior.

    The defaults were measured with :func:`mom_micro.bench.retrieval.sweep_layer_weights`
    (MiniLM, the offline reader, corpus scope) on COVID-QA papers held out from the
    first-25 reference subset, and confirmed by ``mom-micro bench retrieval``; the
    figures and their commands are in docs/benchmarks.md. Re-measure on your own data
    with ``sweep_layer_weights``.

    Example:
        >>> LayerWeights(core=0.25).core, LayerWeights().lexical
        (0.25, 0.5)
    """

    core: float = 0.5
    outline: float = 0.5
    temperature: float = 0.05
    neighbours: float = 0.25
    lexical: float = 0.5

    def __post_init__(self) -> None:
        if min(self.core, self.outline, self.neighbours, self.lexical) < 0:
            raise ValueError(
                f"layer weights must be >= 0, got core={self.core}, "
                f"outline={self.outline}, neighbours={self.neighbours}, "
                f"lexical={self.lexical}"
            )
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")


@dataclass
class FusedScore:
    """One candidate chunk's evidence: per-layer cosines (``sentence``: its best probe,
    None when none was found), the fused score and posterior."""

    key: tuple[str, int]
    chunk: float
    core: float
    outline: float
    sentence: float | None = None
    lexical: float = 0.0
    neighbours: float = 0.0
    score: float = 0.0
    probability: float = 0.0
    imputed: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, float | str | None]:
        """Flat metadata (``score_chunk``, ``score_sentence``, ``score_core``,
        ``score_outline``, ``score_lexical``, ``score_neighbours``, ``score_fused``,
        ``probability``, ``imputed_layers``) for a result node."""
        return {
            "score_chunk": round(self.chunk, 6),
            "score_sentence": None if self.sentence is None else round(self.sentence, 6),
            "score_core": round(self.core, 6),
            "score_outline": round(self.outline, 6),
            "score_lexical": round(self.lexical, 6),
            "score_neighbours": round(self.neighbours, 6),
            "score_fused": round(self.score, 6),
            "probability": round(self.probability, 6),
            "imputed_layers": ",".join(self.imputed),
        }


def _floor(scores: dict) -> float:
    return min(scores.values()) if scores else 0.0


def _add_passage_evidence(fused: list[FusedScore], weight: float) -> None:
    """Add ``weight`` x the mean score ``S`` of each candidate's two neighbours
    (a missing neighbour counts as the lowest candidate score)."""
    own = {f.key: f.score for f in fused}
    floor = _floor(own)
    for f in fused:
        doc_id, unit = f.key
        f.neighbours = (own.get((doc_id, unit - 1), floor) + own.get((doc_id, unit + 1), floor)) / 2
        f.score += weight * f.neighbours


def fuse_layers(
    chunk_scores: dict[tuple[str, int], float],
    core_scores: dict[tuple[str, int], float],
    outline_scores: dict[str, float],
    weights: LayerWeights = LayerWeights(),
    candidates: Iterable[tuple[str, int]] | None = None,
    lexical: Callable[[tuple[str, int]], float] | None = None,
    sentence_scores: dict[tuple[str, int], float] | None = None,
) -> list[FusedScore]:
    """Score candidate chunks, keyed ``(doc_id, unit)``, best first.

    Args:
        chunk_scores: cosine of each retrieved chunk, by ``(doc_id, unit)``.
        core_scores: cosine of each retrieved core-content node, by ``(doc_id, unit)``.
        outline_scores: cosine of each retrieved outline, by ``doc_id``.
        weights: the measured ``beta`` weights (layers, lexical, neighbours) and the
            temperature.
        candidates: the chunks to score (default: every chunk or core key seen).
        lexical: ``lex(a)`` of a chunk key, e.g. ``LexicalScores.get`` (default: no
            lexical evidence).
        sentence_scores: best cosine of a retrieved sentence probe, by ``(doc_id,
            unit)`` of its chunk; raises the chunk's own cosine to it (default: none).

    Example:
        >>> fused = fuse_layers({("a", 0): 0.6, ("b", 0): 0.62},
        ...                     {("a", 0): 0.7}, {"a": 0.5, "b": 0.1},
        ...                     LayerWeights(core=0.5, outline=0.3, neighbours=0, lexical=0))
        >>> [(f.key, round(f.score, 3)) for f in fused]
        [(('a', 0), 1.1), (('b', 0), 1.0)]
        >>> fused[1].imputed
        ['core']
        >>> lex = {("b", 0): 1.0}
        >>> fused = fuse_layers({("a", 0): 0.6, ("b", 0): 0.62},
        ...                     {("a", 0): 0.7}, {"a": 0.5, "b": 0.1},
        ...                     LayerWeights(core=0.5, outline=0.3, neighbours=0, lexical=0.5),
        ...                     lexical=lambda key: lex.get(key, 0.0))
        >>> [(f.key, round(f.score, 3)) for f in fused]
        [(('b', 0), 1.5), (('a', 0), 1.1)]
        >>> fused = fuse_layers({("a", 0): 0.6, ("b", 0): 0.62},
        ...                     {("a", 0): 0.7}, {"a": 0.5, "b": 0.1},
        ...                     LayerWeights(core=0.5, outline=0.3, neighbours=0, lexical=0),
        ...                     sentence_scores={("b", 0): 0.9, ("a", 0): 0.3})
        >>> [(f.key, round(f.score, 3)) for f in fused]
        [(('b', 0), 1.28), (('a', 0), 1.1)]
    """
    sentence_scores = sentence_scores or {}
    keys = list(
        dict.fromkeys(
            candidates
            if candidates is not None
            else [*chunk_scores, *core_scores, *sentence_scores]
        )
    )
    floors = (_floor(chunk_scores), _floor(core_scores), _floor(outline_scores))
    fused: list[FusedScore] = []
    for key in keys:
        imputed: list[str] = []
        chunk = chunk_scores.get(key)
        if chunk is None:
            chunk, imputed = floors[0], [*imputed, "chunk"]
        core = core_scores.get(key)
        if core is None:
            core, imputed = floors[1], [*imputed, "core"]
        outline = outline_scores.get(key[0])
        if outline is None:
            outline, imputed = floors[2], [*imputed, "outline"]
        sentence = sentence_scores.get(key)
        view = chunk if sentence is None else max(chunk, sentence)
        lex = lexical(key) if lexical is not None else 0.0
        score = view + weights.core * core + weights.outline * outline + weights.lexical * lex
        fused.append(
            FusedScore(
                key, chunk, core, outline, sentence, lexical=lex, score=score, imputed=imputed
            )
        )
    if weights.neighbours:
        _add_passage_evidence(fused, weights.neighbours)
    if fused:
        top = max(f.score for f in fused)
        exps = [math.exp((f.score - top) / weights.temperature) for f in fused]
        total = sum(exps)
        for f, e in zip(fused, exps):
            f.probability = e / total
    fused.sort(key=lambda f: (-f.score, f.key))
    return fused
