"""Baselines trained through the same code path as MiCRo (same features, loss, loop).

- **single BT** — one reward (``K = 1``): the mixture loss reduces to Bradley-Terry.
- **static mixture** — K heads with input-independent weights (``router="static"``).
- **per-context oracle** — one BT model per context trained on that context's pairs
  and used for it: what perfect routing to linear heads could reach. A reference, not a
  competitor (it is given the test pair's context label and all its training labels).

Example:
    >>> bt = train_single_bt(template, train_features)                 # doctest: +SKIP
    >>> oracle = OraclePerContext.train(template, train_features)      # doctest: +SKIP
    >>> evaluate(bt, test_features).average, oracle.evaluate(test_features).average  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from .config import MixtureConfig, Stage1Config
from .errors import RewardsError
from .evaluation import AccuracyReport, pairwise_accuracy
from .featurizer import PairFeatures
from .model import MixtureRewardModel
from .trainer import train_stage1

__all__ = ["OraclePerContext", "train_mixture", "train_single_bt", "train_static_mixture"]


def train_mixture(
    template: MixtureConfig,
    features: PairFeatures,
    stage1: Stage1Config | None = None,
    **changes: object,
) -> MixtureRewardModel:
    """A model of shape ``template`` with ``changes`` (e.g. ``n_heads=1``), fitted by stage 1."""
    config = replace(template, **changes)  # type: ignore[arg-type]
    model = MixtureRewardModel(config)
    train_stage1(model, features, stage1)
    return model


def train_single_bt(
    template: MixtureConfig, features: PairFeatures, stage1: Stage1Config | None = None
) -> MixtureRewardModel:
    """One Bradley-Terry reward (K = 1) on all pairs."""
    return train_mixture(template, features, stage1, n_heads=1)


def train_static_mixture(
    template: MixtureConfig, features: PairFeatures, stage1: Stage1Config | None = None
) -> MixtureRewardModel:
    """K heads mixed by learned weights that do not depend on the input."""
    return train_mixture(template, features, stage1, router="static")


@dataclass
class OraclePerContext:
    """One single-BT model per context label (see module docstring)."""

    models: dict[str, MixtureRewardModel]

    @classmethod
    def train(
        cls, template: MixtureConfig, features: PairFeatures, stage1: Stage1Config | None = None
    ) -> OraclePerContext:
        """Fit one K = 1 model on each context's pairs."""
        labels = features.context_labels()
        if not labels:
            raise RewardsError("the per-context oracle needs pairs with contexts")
        models = {}
        for label in labels:
            rows = [i for i, c in enumerate(features.contexts) if c == label]
            models[label] = train_single_bt(template, features.subset(rows), stage1)
        return cls(models)

    def evaluate(self, features: PairFeatures) -> AccuracyReport:
        """Accuracy with each pair scored by its own context's model."""
        margins = torch.zeros(len(features))
        for label, model in self.models.items():
            rows = [i for i, c in enumerate(features.contexts) if c == label]
            if rows:
                margins[rows] = model.pair_margins(features.subset(rows), use_context=False)
        unseen = sorted({c for c in features.contexts if c not in self.models}, key=str)
        if unseen:
            raise RewardsError(f"the oracle has no model for contexts {unseen}")
        return pairwise_accuracy(margins, features.contexts)
