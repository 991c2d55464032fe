"""Multi-path selection: score every candidate memory, fuse the rankings, keep the best.

MoM samples several candidate memories for one document and ranks them by chunk clarity
and by extraction completeness; the two rankings are fused by reciprocal rank fusion:

    S(m) = sum_over_criteria 1 / (k + rank_criterion(m))        (k = 60 by default)

where rank 1 is the best candidate under that criterion (ties share the better rank).
The paper does not publish k; 60 is the usual default of RRF (Cormack et al., 2009).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol, runtime_checkable

from .schema import CandidateScore, DocumentMemory

__all__ = ["CRITERIA", "MemoryScorerLike", "reciprocal_rank_fusion", "select_memory"]

#: The scores that take part in the fusion (both: higher is better).
CRITERIA = ("clarity", "completeness")


@runtime_checkable
class MemoryScorerLike(Protocol):
    """Anything that scores memories: ``score_many`` returns one dict per memory with at
    least the keys in :data:`CRITERIA`."""

    def score_many(self, memories: Sequence[DocumentMemory]) -> list[dict[str, float]]:
        """Score each memory."""
        ...


def reciprocal_rank_fusion(scores: Mapping[str, Sequence[float]], k: float = 60.0) -> list[float]:
    """Fuse per-criterion scores (higher is better) into one RRF score per candidate.

    Example:
        >>> fused = reciprocal_rank_fusion({"clarity": [0.9, 0.5], "completeness": [0.1, 0.2]})
        >>> [round(x, 5) for x in fused]
        [0.03252, 0.03252]
    """
    if k < 0:
        raise ValueError(f"RRF k must be non-negative, got {k}")
    lengths = {len(values) for values in scores.values()}
    if len(lengths) > 1:
        raise ValueError(f"every criterion needs one score per candidate, got lengths {lengths}")
    n = lengths.pop() if lengths else 0
    fused = [0.0] * n
    for values in scores.values():
        for i, value in enumerate(values):
            rank = 1 + sum(1 for other in values if other > value)
            fused[i] += 1.0 / (k + rank)
    return fused


def select_memory(
    candidates: Sequence[DocumentMemory], scorer: MemoryScorerLike, k: float = 60.0
) -> DocumentMemory:
    """Return the candidate with the best RRF score, carrying every candidate's scores.

    Ties go to the earlier candidate. A single candidate is still scored, so its record
    shows how it fared.
    """
    if not candidates:
        raise ValueError("no candidate memories to select from")
    scored = scorer.score_many(candidates)
    for criterion in CRITERIA:
        if any(criterion not in s for s in scored):
            raise ValueError(f"the scorer did not report {criterion!r} for every candidate")
    fused = reciprocal_rank_fusion({c: [s[c] for s in scored] for c in CRITERIA}, k=k)
    best = max(range(len(candidates)), key=lambda i: (fused[i], -i))
    records = [
        CandidateScore(
            path=memory.path or f"candidate {i}",
            scores={**scores, "rrf": fused[i]},
            n_units=len(memory.units),
            chosen=i == best,
        )
        for i, (memory, scores) in enumerate(zip(candidates, scored))
    ]
    return replace(candidates[best], candidates=records)
