"""Pairwise accuracy per context and averaged over contexts.

Accuracy is the share of pairs whose preferred response gets the strictly higher
reward (a tie counts as wrong). The average is the unweighted mean over contexts, as
the MiCRo paper reports it; pairs without a context are grouped under ``"(none)"``.

Example:
    >>> report = pairwise_accuracy(torch.tensor([1.0, -1.0, 2.0]), ["a", "a", "b"])
    >>> report.per_context, report.average
    ({'a': 0.5, 'b': 1.0}, 0.75)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .featurizer import PairFeatures
from .model import MixtureRewardModel

__all__ = ["AccuracyReport", "evaluate", "pairwise_accuracy"]

NO_CONTEXT = "(none)"


@dataclass
class AccuracyReport:
    """Accuracy per context, its unweighted mean, and the number of pairs per context."""

    per_context: dict[str, float]
    average: float
    counts: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        """``{"per_context": {...}, "average": ..., "counts": {...}}``."""
        return {"per_context": self.per_context, "average": self.average, "counts": self.counts}


def pairwise_accuracy(margins: torch.Tensor, contexts: Sequence[str | None]) -> AccuracyReport:
    """Accuracy from routed reward gaps ``r(x, y_w) - r(x, y_l)``, grouped by context."""
    if len(margins) != len(contexts):
        raise ValueError(f"{len(margins)} margins for {len(contexts)} contexts")
    if len(margins) == 0:
        raise ValueError("no pairs to evaluate")
    correct = (margins > 0).tolist()
    hits: dict[str, list[bool]] = {}
    for ok, context in zip(correct, contexts, strict=True):
        hits.setdefault(context if context is not None else NO_CONTEXT, []).append(ok)
    per_context = {c: sum(v) / len(v) for c, v in sorted(hits.items())}
    return AccuracyReport(
        per_context,
        sum(per_context.values()) / len(per_context),
        {c: len(v) for c, v in sorted(hits.items())},
    )


def evaluate(
    model: MixtureRewardModel, features: PairFeatures, use_context: bool = True
) -> AccuracyReport:
    """Accuracy of ``model`` on ``features``; ``use_context=False`` scores with the
    stage-1 router only."""
    return pairwise_accuracy(model.pair_margins(features, use_context), features.contexts)
