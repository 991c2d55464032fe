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

Evidence a layer did not return: each layer is searched for its top ``k_l`` items only.
An item outside them has a cosine no larger than the ``k_l``-th best, so it gets that
bound (the layer's *floor*). It is a mild, optimistic estimate; raising ``k_l`` makes it
exact (with one document in scope, the outline and core layers are complete).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["FusedScore", "LayerWeights", "fuse_layers"]


@dataclass(frozen=True)
class LayerWeights:
    """The log-linear weights ``beta`` of the core and outline layers (chunk weight = 1),
    and the temperature ``1 / kappa_c`` of the reported posterior.

    Defaults measured on held-out data (see ``mom_micro.retrievers.bench``), MiniLM.
    """

    core: float = 0.5
    outline: float = 0.3
    temperature: float = 0.05

    def __post_init__(self) -> None:
        if self.core < 0 or self.outline < 0:
            raise ValueError(f"layer weights must be >= 0, got core={self.core}, outline={self.outline}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")


@dataclass
class FusedScore:
    """One candidate chunk's evidence: per-layer cosines, the fused score and posterior."""

    key: tuple[str, int]
    chunk: float
    core: float
    outline: float
    score: float = 0.0
    probability: float = 0.0
    imputed: list[str] = field(default_factory=list)

    def as_metadata(self) -> dict[str, float | str]:
        """Flat metadata (``score_chunk``, ``score_core``, ``score_outline``, ``score_fused``,
        ``probability``, ``imputed_layers``) for a result node."""
        return {
            "score_chunk": round(self.chunk, 6),
            "score_core": round(self.core, 6),
            "score_outline": round(self.outline, 6),
            "score_fused": round(self.score, 6),
            "probability": round(self.probability, 6),
            "imputed_layers": ",".join(self.imputed),
        }


def _floor(scores: dict) -> float:
    return min(scores.values()) if scores else 0.0


def fuse_layers(
    chunk_scores: dict[tuple[str, int], float],
    core_scores: dict[tuple[str, int], float],
    outline_scores: dict[str, float],
    weights: LayerWeights = LayerWeights(),
    candidates: Iterable[tuple[str, int]] | None = None,
) -> list[FusedScore]:
    """Score candidate chunks, keyed ``(doc_id, unit)``, best first.

    Args:
        chunk_scores: cosine of each retrieved chunk, by ``(doc_id, unit)``.
        core_scores: cosine of each retrieved core-content node, by ``(doc_id, unit)``.
        outline_scores: cosine of each retrieved outline, by ``doc_id``.
        weights: the measured ``beta`` weights and the temperature.
        candidates: the chunks to score (default: every chunk or core key seen).

    Example:
        >>> fused = fuse_layers({("a", 0): 0.6, ("b", 0): 0.62},
        ...                     {("a", 0): 0.7}, {"a": 0.5, "b": 0.1},
        ...                     LayerWeights(core=0.5, outline=0.3))
        >>> [(f.key, round(f.score, 3)) for f in fused]
        [(('a', 0), 1.1), (('b', 0), 0.99)]
        >>> fused[1].imputed
        ['core']
    """
    keys = list(dict.fromkeys(candidates if candidates is not None
                              else [*chunk_scores, *core_scores]))
    floors = (_floor(chunk_scores), _floor(core_scores), _floor(outline_scores))
    fused: list[FusedScore] = []
    for key in keys:
        imputed = []
        chunk = chunk_scores.get(key)
        if chunk is None:
            chunk, imputed = floors[0], [*imputed, "chunk"]
        core = core_scores.get(key)
        if core is None:
            core, imputed = floors[1], [*imputed, "core"]
        outline = outline_scores.get(key[0])
        if outline is None:
            outline, imputed = floors[2], [*imputed, "outline"]
        score = chunk + weights.core * core + weights.outline * outline
        fused.append(FusedScore(key, chunk, core, outline, score, imputed=imputed))
    if fused:
        top = max(f.score for f in fused)
        exps = [math.exp((f.score - top) / weights.temperature) for f in fused]
        total = sum(exps)
        for f, e in zip(fused, exps):
            f.probability = e / total
    fused.sort(key=lambda f: (-f.score, f.key))
    return fused
